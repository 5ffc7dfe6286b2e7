"""The simulated master as root meets it over SSH: login, the article's commands, dockerctl, install time."""
from __future__ import annotations

import io
import re
import socket
import tarfile
import time
from collections.abc import Callable, Iterator

import paramiko
import pytest
import requests

from sim.fuel import FuelSimulator
from tests.fixtures.fuel_simulator import wait_for


def connect(sim: FuelSimulator, password: str = "r00tme") -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=sim.ssh_port, username="root", password=password, look_for_keys=False,
                   allow_agent=False, timeout=10)
    return client


def run(client: paramiko.SSHClient, command: str, stdin: str | None = None) -> tuple[int, str, str]:
    chan_in, out, err = client.exec_command(command, timeout=10)
    if stdin is not None:
        chan_in.write(stdin)
        chan_in.channel.shutdown_write()
    status = out.channel.recv_exit_status()
    return status, out.read().decode(), err.read().decode()


@pytest.fixture
def root(fuelsim: FuelSimulator) -> Iterator[paramiko.SSHClient]:
    client = connect(fuelsim)
    yield client
    client.close()


def version(sim: FuelSimulator) -> dict:
    try:
        reply = requests.get(f"{sim.url}/api/version", timeout=5)
    except requests.ConnectionError:
        return {}
    return reply.json() if reply.status_code == 200 else {}


def test_root_logs_in_with_r00tme_and_nothing_else(fuelsim: FuelSimulator) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        connect(fuelsim, password="admin")
    client = connect(fuelsim)
    transport = client.get_transport()
    assert transport is not None and transport.remote_version == "SSH-2.0-OpenSSH_5.3"
    assert transport.get_remote_server_key().get_name() == "ssh-rsa"
    client.close()


def test_the_article_commands_and_feature_groups_after_a_nailgun_restart(fuelsim: FuelSimulator,
                                                                        root: paramiko.SSHClient) -> None:
    status, text, _ = run(root, "cat /etc/fuel/version.yaml")
    assert status == 0 and text.startswith("VERSION:\n  feature_groups:\n    - mirantis\n")
    assert run(root, "sed -i '/^    - mirantis$/a\\    - experimental' /etc/fuel/version.yaml")[0] == 0
    assert version(fuelsim)["feature_groups"] == ["mirantis"]         # nailgun has not read it yet
    assert run(root, "dockerctl restart nailgun") == (0, "fuel-core-6.0-nailgun\n", "")
    assert wait_for(lambda: version(fuelsim).get("feature_groups") == ["mirantis", "experimental"])
    assert run(root, "dockerctl restart nginx")[0] == 0
    status, text, _ = run(root, "dockerctl shell cobbler cobbler sync")
    assert status == 0 and text.rstrip().endswith("*** TASK COMPLETE ***")


def test_nailgun_does_not_start_on_a_broken_version_yaml(fuelsim: FuelSimulator, root: paramiko.SSHClient) -> None:
    assert run(root, "sed -i 's/^  feature_groups:/  feature_groups: [/' /etc/fuel/version.yaml")[0] == 0
    run(root, "dockerctl restart nailgun")
    time.sleep(0.3)
    reply = requests.get(f"{fuelsim.url}/api/version", timeout=5)
    assert reply.status_code == 502 and "Bad Gateway" in reply.text     # nginx, for a nailgun that died
    assert run(root, "dockerctl check nailgun")[0] == 1


@pytest.mark.parametrize(("command", "status", "stdout", "stderr"), [
    ("fuel --version", 0, "", "6.0.0\n"),
    ("hostname", 0, "fuel.domain.tld\n", ""),
    ("cobbler sync", 127, "", "-bash: cobbler: command not found\n"),
    ("systemctl restart nailgun", 127, "", "bash: systemctl: command not found\n"),
    ("cat /etc/fuel/nope.yaml", 1, "", "cat: /etc/fuel/nope.yaml: No such file or directory\n"),
    ("sed -i 'x' /etc/fuel/version.yaml", 1, "", "sed: -e expression #1, char 1: unknown command: `x'\n"),
    ("dockerctl restart nailgunn", 1, "", "Error: No such container: nailgunn\n"),
    ("false && echo no || echo yes", 0, "yes\n", ""),
])
def test_commands_answer_as_bash_would(root: paramiko.SSHClient, command: str, status: int, stdout: str,
                                       stderr: str) -> None:
    assert run(root, command) == (status, stdout, stderr)


def test_dockerctl_list_names_the_containers(root: paramiko.SSHClient) -> None:
    status, text, _ = run(root, "dockerctl list")
    assert status == 0 and set(text.split()) == {"postgres", "rabbitmq", "keystone", "rsync", "astute", "rsyslog",
                                                 "nailgun", "ostf", "nginx", "cobbler", "mcollective"}


def test_chpasswd_changes_roots_password(fuelsim: FuelSimulator, root: paramiko.SSHClient) -> None:
    assert run(root, "chpasswd", stdin="root:N3w-root-pw\n")[0] == 0
    with pytest.raises(paramiko.AuthenticationException):
        connect(fuelsim)
    connect(fuelsim, password="N3w-root-pw").close()


def test_dockerctl_backup_writes_an_archive_where_6_0_does(fuelsim: FuelSimulator, root: paramiko.SSHClient) -> None:
    status, text, _ = run(root, "dockerctl backup")
    assert status == 0
    last = text.rstrip().splitlines()[-1]
    assert last.startswith("Backup complete. File is available at /var/backup/fuel/backup_")
    path = last.rsplit(" ", 1)[1]
    assert path.endswith(".tar.lrz") and "/fuel_backup_" in path
    folder = path.rsplit("/", 1)[0]
    status, listing, _ = run(root, f"ls -l {folder}")
    size = int(listing.split()[4])
    with tarfile.open(fileobj=io.BytesIO(fuelsim.engine.host.files[path])) as archive:
        names = archive.getnames()
        assert size == len(fuelsim.engine.host.files[path])
        assert "system-dirs.tar" in names and "fuel__nailgun_6.0_" + path.split("fuel_backup_")[1][:-8] + ".tar" in names
        system = tarfile.open(fileobj=archive.extractfile("system-dirs.tar"))  # type: ignore[arg-type]
        assert "etc/fuel/version.yaml" in system.getnames()


def test_backup_refuses_while_a_task_runs(fuelsim: FuelSimulator, fuel_api: Callable, root: paramiko.SSHClient) -> None:
    node = fuelsim.inject_node()
    assert node is not None
    reply = fuel_api.post("/api/clusters", {"name": "env", "release": 1, "mode": "multinode"})  # type: ignore[attr-defined]
    cid = reply.json()["id"]
    fuel_api.put("/api/nodes", [{"id": node["id"], "cluster_id": cid, "pending_roles": ["controller"],  # type: ignore[attr-defined]
                                 "pending_addition": True}])
    assert fuel_api.put(f"/api/clusters/{cid}/changes").status_code == 202  # type: ignore[attr-defined]
    status, _, err = run(root, "dockerctl backup")
    assert status == 1 and err.startswith("There are currently running Fuel tasks.")


def test_a_fresh_master_answers_ssh_then_the_api_after_its_install_time(fuelsim_factory: Callable) -> None:
    sim = fuelsim_factory(installed=False, install_time=300.0)   # 3 s of wall time at speed 100
    assert version(sim) == {}
    with pytest.raises((paramiko.SSHException, OSError)):
        connect(sim)
    wait_for(lambda: _ssh_ok(sim), timeout=10, what="sshd after the installer")
    assert version(sim) == {}                                     # containers still being built
    assert wait_for(lambda: version(sim).get("release") == "6.0", timeout=10, what="the API")


def _ssh_ok(sim: FuelSimulator) -> bool:
    try:
        connect(sim).close()
    except (paramiko.SSHException, OSError):
        return False
    return True


def test_reset_is_a_freshly_installed_master_again(fuelsim: FuelSimulator, root: paramiko.SSHClient) -> None:
    run(root, "sed -i '/^    - mirantis$/a\\    - experimental' /etc/fuel/version.yaml")
    run(root, "dockerctl restart nailgun")
    assert run(root, "chpasswd", stdin="root:Other-pw-1\n")[0] == 0
    wait_for(lambda: version(fuelsim).get("feature_groups") == ["mirantis", "experimental"])
    fuelsim.reset()
    assert version(fuelsim)["feature_groups"] == ["mirantis"]
    client = connect(fuelsim)                                      # r00tme again
    assert run(client, "cat /etc/fuel/version.yaml")[1].count("    - ") == 1
    client.close()


def secure_log(sim: FuelSimulator) -> list[str]:
    """``/var/log/secure`` on the master, without the syslog prefix (``Nov 30 14:05:01 fuel ``)."""
    text = sim.run_command("cat /var/log/secure").stdout
    return [line.split(" ", 4)[4] for line in text.splitlines()]


def wait_logged(sim: FuelSimulator, count: int) -> list[str]:
    """sshd logs a closed connection once its session ends, just after the client has left."""
    wait_for(lambda: len(secure_log(sim)) >= count, timeout=10)
    return secure_log(sim)


def test_sshd_logs_each_login_attempt_as_openssh_does_and_never_a_password(fuelsim: FuelSimulator) -> None:
    assert secure_log(fuelsim) == []
    with socket.create_connection(("127.0.0.1", fuelsim.ssh_port), timeout=5) as sock:   # a host-key check
        transport = paramiko.Transport(sock)
        transport.start_client(timeout=5)
        assert transport.get_remote_server_key().get_name() == "ssh-rsa"
        transport.close()
    log = wait_logged(fuelsim, 1)
    assert re.fullmatch(r"sshd\[\d+\]: Connection closed by 127\.0\.0\.1", log[0]), log
    with pytest.raises(paramiko.AuthenticationException):
        connect(fuelsim, password="Not-The-One")
    connect(fuelsim).close()
    log = wait_logged(fuelsim, 3)
    assert re.fullmatch(r"sshd\[\d+\]: Failed password for root from 127\.0\.0\.1 port \d+ ssh2", log[1]), log
    assert re.fullmatch(r"sshd\[\d+\]: Accepted password for root from 127\.0\.0\.1 port \d+ ssh2", log[2]), log
    raw = fuelsim.run_command("cat /var/log/secure").stdout
    assert "Not-The-One" not in raw and "r00tme" not in raw
    assert re.match(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d fuel sshd\[", raw)     # rsyslog's line, host "fuel"
    fuelsim.reset()                                        # a reinstall: a new disk, an empty log
    assert secure_log(fuelsim) == []
