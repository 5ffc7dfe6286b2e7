"""What an admin reads on the simulated master: uptime, df, docker ps (as 6.0's tools print them), and rm;
and fuelbot's parsers of the same texts."""
from __future__ import annotations

from integrations.fuel import master_overview
from sim.fuel.clock import SimClock
from sim.fuel.config import SimConfig
from sim.fuel.engine import Engine
from sim.fuel.host import CONTAINERS
from sim.fuel.inject import inject
from sim.fuel.shell import Shell
from sim.fuel.sysinfo import human_duration


class StoppedClock:
    """Simulated time that moves only when told (the engine's clock reads ``now``)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def engine_at(clock: StoppedClock) -> Engine:
    """A master whose simulated seconds are ``clock``'s (speed 1)."""
    engine = Engine(SimConfig(restart_time=10.0))
    engine.clock = SimClock(1.0, monotonic=clock)
    engine.state.wall_time = engine.clock.wall_time
    return engine


def test_docker_durations_are_docker_0_10s_words() -> None:
    assert [human_duration(s) for s in (0.5, 42, 61, 600, 3700, 7200, 3 * 86400, 20 * 86400)] == [
        "Less than a second", "42 seconds", "About a minute", "10 minutes", "About an hour", "2 hours", "3 days",
        "2 weeks"]


def test_uptime_docker_ps_and_a_restart_as_fuelbot_reads_them() -> None:
    clock = StoppedClock()
    engine = engine_at(clock)
    shell = Shell(engine)
    clock.now = 2 * 86400 + 3 * 3600 + 10 * 60
    with engine.lock:
        assert shell.run("dockerctl restart nailgun").status == 0
        clock.now += 120
        up = shell.run("uptime").stdout
        ps = shell.run("docker ps").stdout
        check = shell.run("dockerctl check").stdout
    assert " up 2 days,  3:12,  1 user,  load average: " in up and master_overview.uptime(up) == "2 days, 3:12"
    assert ps.splitlines()[0].startswith("CONTAINER ID        IMAGE")
    uptimes = master_overview.uptimes(ps)
    assert uptimes["nailgun"] == "2 minutes" and uptimes["postgres"] == "2 days" and set(uptimes) == set(CONTAINERS)
    services = master_overview.services(check, ps)
    assert [s.name for s in services] == list(CONTAINERS) and all(s.ready for s in services)


def test_a_restarting_container_is_not_ready_yet() -> None:
    clock = StoppedClock()
    engine = engine_at(clock)
    with engine.lock:
        Shell(engine).run("dockerctl restart nginx")
        check = Shell(engine).run("dockerctl check nginx")
    assert check.status == 1 and master_overview.services(check.stdout, "") == (
        master_overview.Service(name="nginx", ready=False, up=None),)


def test_df_shows_6_0s_volumes_and_var_log_fills_with_the_nodes_logs() -> None:
    engine = engine_at(StoppedClock())
    with engine.lock:
        before = {d.mount: d for d in master_overview.filesystems(Shell(engine).run("df -hP").stdout)}
    for _ in range(10):
        inject(engine, mac=None, cpus=1, memory_mb=1024, disk_gb=16, nics=1, online=True, boot=False,
               promiscuous=True, pxe_vlan=None)
    with engine.lock:
        after = {d.mount: d for d in master_overview.filesystems(Shell(engine).run("df -hP").stdout)}
        refused = Shell(engine).run("df --inodes")
    assert [(d.mount, d.size, d.used_percent) for d in before.values()] == [
        ("/", "9.7G", 27), ("/var", "18G", 30), ("/var/log", "9.7G", 4)]
    assert after["/var/log"].used_percent == 19 and after["/var"] == before["/var"]
    assert refused.status == 1 and "invalid option" in refused.stderr


def test_rm_removes_files_and_refuses_folders_as_coreutils_does() -> None:
    engine = engine_at(StoppedClock())
    with engine.lock:
        shell = Shell(engine)
        assert shell.run("rm /etc/fuel").stderr == "rm: cannot remove `/etc/fuel': Is a directory\n"
        assert shell.run("rm /etc/fuel/version.yaml").status == 0
        assert shell.run("cat /etc/fuel/version.yaml").stderr == (
            "cat: /etc/fuel/version.yaml: No such file or directory\n")
        assert shell.run("rm /etc/fuel/version.yaml").status == 1
        assert shell.run("rm -f /etc/fuel/version.yaml").status == 0
