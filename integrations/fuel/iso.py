"""The Fuel 6.0 ISO's boot menu: what to type there to install a master with the lab's settings.

fuel-main 6.0 ``iso/isolinux/isolinux.cfg`` has one entry, "Fuel Install (Static IP)", booted by
default after 30 s, whose kernel line ends ``ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1
netmask=255.255.255.0 hostname=fuel.domain.tld showmenu=no``. Tab opens that line for editing
with the cursor at its end; ``iso/ks.template`` reads the parameters back with ``eval`` in order,
so words appended after Tab override the defaults. ``showmenu=no`` keeps fuelmenu from waiting
for a person on the first boot (``iso/bootstrap_admin_node.sh``). NTP is not a boot parameter:
fuelmenu's defaults (0-2.pool.ntp.org) stand until the master is set up afterwards.
"""
from __future__ import annotations

from labspec.model import MasterSetup

MENU_TIMEOUT_SECONDS = 30.0        # isolinux.cfg "timeout 300" (tenths of a second)


def boot_parameters(setup: MasterSetup) -> str:
    """The words appended to the menu entry's kernel line."""
    return (f"ip={setup.ip} gw={setup.gateway} dns1={setup.dns[0]} netmask={setup.netmask} "
            f"hostname={setup.hostname} showmenu=no")


def boot_keys(setup: MasterSetup) -> str:
    """What to type at the menu: Tab, a space and the parameters, Enter."""
    return f"\t {boot_parameters(setup)}\n"


def boot_instructions(setup: MasterSetup, vm_name: str) -> str:
    """What a person types at the console when the vCenter cannot type for fuelbot (before 6.5)."""
    return (f"Open the console of `{vm_name}` now; within 30 s of the Fuel menu appearing press Tab, "
            f"type a space and `{boot_parameters(setup)}` at the end of the line, then Enter.")
