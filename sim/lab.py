"""The embedded lab: govmomi's vCenter simulator and the Fuel master simulator, coupled.

``python app.py lab`` and ``python app.py console`` start it on loopback; the Fuel simulator
watches vcsim, so a VM that powers on on the ``pxe`` port group becomes a Fuel node.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sim.fuel.config import SimConfig
from sim.fuel.simulator import FuelSimulator
from sim.vcenter.process import VcsimProcess

VCENTER_USER = "fuelbot"
VCENTER_PASSWORD = "embedded-vcsim"   # the default lab1.yaml's ${VCENTER_PASSWORD:-...} matches it
FUEL_USER = "admin"
FUEL_PASSWORD = "admin"


@dataclass
class EmbeddedLab:
    """A running vcsim + Fuel simulator pair."""

    vcsim: VcsimProcess
    fuel: FuelSimulator

    @classmethod
    def start(cls, *, vcenter_port: int = 8989, fuel_port: int = 8000, ssh_port: int = 8022, speed: float = 1.0,
              log_dir: Path | None = None, pxe_portgroup: str = "pxe", master_vm: str | None = None,
              install_time: float | None = None) -> "EmbeddedLab":
        """Start both simulators on 127.0.0.1 (port 0 = any free port).

        With ``master_vm`` the Fuel master follows that VM in vcsim (it installs when the VM boots the
        ISO, taking ``install_time`` simulated seconds); without, it is installed and up from the start.
        """
        log_path = (log_dir / "vcsim.log") if log_dir else None
        if log_dir:
            log_dir.mkdir(parents=True, exist_ok=True)
        vcsim = VcsimProcess.start(port=vcenter_port, user=VCENTER_USER, password=VCENTER_PASSWORD,
                                   log_path=log_path)
        try:
            config = SimConfig(speed=speed, admin_user=FUEL_USER, admin_password=FUEL_PASSWORD,
                               vcenter_url=vcsim.url, vcenter_user=VCENTER_USER, vcenter_password=VCENTER_PASSWORD,
                               pxe_portgroup=pxe_portgroup, master_vm=master_vm)
            if install_time is not None:
                config = config.with_changes(install_time=install_time)
            fuel = FuelSimulator(config)
            fuel.start(port=fuel_port, ssh_port=ssh_port)
        except BaseException:
            vcsim.stop()
            raise
        return cls(vcsim=vcsim, fuel=fuel)

    def environ(self) -> dict[str, str]:
        """The variables that point ``labs/*.yaml`` (whose defaults follow this lab) at it."""
        return {"VCENTER_URL": self.vcsim.url, "VCENTER_USER": VCENTER_USER,
                "VCENTER_PASSWORD": VCENTER_PASSWORD, "FUEL_URL": self.fuel.url,
                "FUEL_USER": FUEL_USER, "FUEL_PASSWORD": FUEL_PASSWORD, "FUEL_SSH_PORT": str(self.fuel.ssh_port)}

    def stop(self) -> None:
        try:
            self.fuel.stop()
        finally:
            self.vcsim.stop()

    def __enter__(self) -> "EmbeddedLab":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
