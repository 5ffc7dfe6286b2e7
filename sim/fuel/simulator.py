"""``FuelSimulator``: a Fuel 6.0 master on one local port, for tests and the embedded demo lab.

    with FuelSimulator(SimConfig(speed=50)) as sim:     # or sim.start(); ...; sim.stop()
        requests.get(sim.url + "/api/version")
        sim.inject_node(memory_mb=1024)

Everything the Python API does is also reachable over HTTP under ``/_sim``. The master's sshd
listens on a port of its own (``sim.ssh_port``; root's password is 6.0's ``r00tme``). Both
answer only while the master is up (see :mod:`sim.fuel.master`).
"""
from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

import paramiko

from core.redact import register_secret
from sim.fuel import inject
from sim.fuel.dispatch import Dispatcher
from sim.fuel.config import SimConfig
from sim.fuel.discovery import VSphereDiscovery
from sim.fuel.engine import Engine
from sim.fuel.server import FuelHttpServer
from sim.fuel.shell import Result, Shell
from sim.fuel.ssh_server import SshHandlers, SshServer
from sim.ports import stable_port


class FuelSimulator:
    """A running (after :meth:`start`) simulated Fuel master."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.engine = Engine(self.config)
        self._server: FuelHttpServer | None = None
        self._ssh: SshServer | None = None
        self._discovery: VSphereDiscovery | None = None
        self._gate_stop = threading.Event()
        self._gate: threading.Thread | None = None

    # ----- lifecycle ------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0, ssh_port: int = 0) -> None:
        """Listen on ``host:port`` and ``host:ssh_port`` (0 = a free port); start the clock and the
        vSphere watcher."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        # Not the admin password: its default "admin" would mask that word everywhere.
        register_secret(self.config.vcenter_password)
        # Ports the kernel will not hand anyone else while the master is down (sim.ports).
        port, ssh_port = stable_port(host, port), stable_port(host, ssh_port)
        server = FuelHttpServer((host, port), Dispatcher(self.engine, on_outage=self.outage))
        server.start()
        self._server = server
        self._ssh = SshServer(SshHandlers(authenticate=self._root_login, host_key=self._host_key,
                                          run=self._run_command, log=self._sshd_log), host, ssh_port)
        self._ssh.start()
        self.engine.start_ticker()
        if self.config.vcenter_url:
            self._discovery = VSphereDiscovery(
                url=self.config.vcenter_url, user=self.config.vcenter_user or "",
                password=self.config.vcenter_password or "", pxe_portgroup=self.config.pxe_portgroup,
                engine=self.engine, master_vm=self.config.master_vm)
            self.engine.l2_source = self._discovery
            self.engine.catch_up = self._discovery.catch_up
            self.engine.on_reset.append(self._discovery.resync)
            self._discovery.start()
        self._apply_gate()   # a master that is not up yet refuses from the first moment
        self._gate_stop.clear()
        self._gate = threading.Thread(target=self._follow_master, name="fuelsim-gate", daemon=True)
        self._gate.start()

    def stop(self) -> None:
        """Stop serving (by our own threads only); safe to call twice."""
        self._gate_stop.set()
        if self._gate is not None:
            self._gate.join(timeout=5)
            self._gate = None
        if self._ssh is not None:
            self._ssh.stop()
            self._ssh = None
        if self._discovery is not None:
            self._discovery.stop()
            self._discovery = None
        self.engine.stop_ticker()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "FuelSimulator":
        if self._server is None:
            self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return int(self._server.server_address[1])

    @property
    def ssh_port(self) -> int:
        """The port the master's sshd listens on (its port 22)."""
        if self._ssh is None:
            raise RuntimeError("the simulator is not running")
        return self._ssh.port

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (the master's ``:8000``); the API is under ``/api``, ``/ostf``, ``/keystone``."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        host = str(self._server.server_address[0])
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}"

    # ----- the master's own services -------------------------------------------------------------------
    def _root_login(self, user: str, password: str) -> bool:
        with self.engine.lock:
            self.engine.advance()
            return user == "root" and password == self.engine.host.root_password

    def _host_key(self) -> paramiko.PKey:
        with self.engine.lock:
            return self.engine.host.host_key

    def _sshd_log(self, pid: int, line: str) -> None:
        with self.engine.lock:
            now = self.engine.advance()
            self.engine.host.log_secure(f"sshd[{pid}]: {line}", at=self.engine.clock.wall_time(now))

    def _run_command(self, command: str, stdin: bytes) -> Result:
        self.engine.catch_up()
        with self.engine.lock:
            self.engine.advance()
            return Shell(self.engine).run(command, stdin)

    def _follow_master(self) -> None:
        """Listen only while the master would: down while off or installing, sshd before the API."""
        while not self._gate_stop.wait(self.config.tick_interval):
            self._apply_gate()

    def _apply_gate(self) -> None:
        with self.engine.lock:
            now = self.engine.advance()
            http = self.engine.master.serving_http() and self.engine.host.serving("nginx", now)
            ssh = self.engine.master.serving_ssh()
        server, sshd = self._server, self._ssh
        if server is not None and not server.in_outage:
            if http and server.down:
                server.resume()
            elif not http and not server.down:
                server.pause()
        if sshd is not None:
            if ssh and sshd.down:
                sshd.resume()
            elif not ssh and not sshd.down:
                sshd.pause()

    def run_command(self, command: str, stdin: bytes = b"") -> Result:
        """Run a command line as root on the master, as over SSH (for tests and the console)."""
        return self._run_command(command, stdin)

    # ----- test controls --------------------------------------------------------------------------------
    def inject_node(self, *, mac: str | None = None, cpus: int = 2, memory_mb: int = 2048, disk_gb: int = 50,
                    nics: int = 5, online: bool = True, boot: bool = False, promiscuous: bool = True,
                    pxe_vlan: int | None = None) -> dict[str, Any] | None:
        """Add a machine without a VM; its node JSON (None while it boots, when ``boot``)."""
        return inject.inject(self.engine, mac=mac, cpus=cpus, memory_mb=memory_mb, disk_gb=disk_gb, nics=nics,
                             online=online, boot=boot, promiscuous=promiscuous, pxe_vlan=pxe_vlan)

    def set_fault(self, *, route: str | None = None, method: str | None = None, status: int | None = None,
                  rate: float = 1.0, count: int | None = None, latency_ms: float = 0.0, drop: bool = False) -> None:
        """Make matching API calls fail (``status``), stall (``latency_ms``) or lose their connection."""
        with self.engine.lock:
            self.engine.faults.add_http(route=route, method=method, status=status, rate=rate, count=count,
                                        latency_ms=latency_ms, drop=drop)

    def fail_node(self, node: int | str, *, stage: str = "provision", message: str | None = None) -> None:
        """Make a node (id or MAC) fail ``stage`` ("provision" or "deploy") on the next deployment."""
        with self.engine.lock:
            self.engine.faults.fail_node(node, stage, message or f"Simulated {stage} failure")

    def fail_ostf_test(self, test: str, *, message: str, step: int = 1) -> None:
        """Make an OSTF test (full id or last dotted part) fail at ``step`` with ``message``."""
        with self.engine.lock:
            self.engine.faults.fail_ostf(test, message, step)

    def fail_dump(self, message: str) -> None:
        """Make the next diagnostic snapshots (``dump`` tasks) fail with ``message``."""
        with self.engine.lock:
            self.engine.faults.dump = message

    def unreachable_ntp(self, server: str) -> None:
        """Make an NTP server (as ntp.conf or ntpdate names it) answer nothing from the master."""
        with self.engine.lock:
            self.engine.faults.ntp_unreachable.add(server)

    def clear_faults(self) -> None:
        with self.engine.lock:
            self.engine.faults.clear()

    def expire_tokens(self) -> None:
        """Every Keystone token issued so far stops working now."""
        with self.engine.lock:
            self.engine.tokens.expire_all()

    def outage(self, seconds: float) -> None:
        """The whole API goes away (connections refused or cut) for ``seconds`` of wall time."""
        if self._server is not None:
            self._server.go_away(seconds)

    def set_speed(self, speed: float) -> None:
        self.engine.set_speed(speed)

    def power(self, node_id: int, on: bool) -> None:
        """Power a node's machine on or off (for machines without a VM)."""
        with self.engine.lock:
            now = self.engine.advance()
            node = self.engine.state.node(node_id)
            (self.engine.machines.power_on if on else self.engine.machines.power_off)(node.mac, now)

    def reset(self) -> None:
        """Back to a freshly installed master."""
        self.engine.reset()

    def state(self) -> dict[str, Any]:
        """The same snapshot as ``GET /_sim/state``."""
        return self.engine.snapshot()
