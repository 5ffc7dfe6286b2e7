"""Commands that need root on a lab's Fuel master (``backup-master``, ``backups``): refused at once
when fuelbot does not manage that master, naming the lab that does."""
from __future__ import annotations

from commands.request import Request
from core.errors import CommandError


def require_managed_master(request: Request, lab: str, *, command: str) -> None:
    """A CommandError unless ``lab`` declares ``fuel.master_vm`` (fuelbot holds root's password then)."""
    labs, _ = request.services.labs.load()
    spec = labs[lab]
    if spec.fuel.setup is not None:
        return
    owner = next((name for name, other in sorted(labs.items())
                  if other.fuel.url == spec.fuel.url and other.fuel.setup is not None), None)
    where = (f"*{owner}* declares it, on the same master: `/fuel {command} {owner}`" if owner else
             f"no lab declares it; add `fuel.master_vm` to {lab}'s spec (with its root password, "
             "`FUEL_ROOT_PASSWORD`) for fuelbot to log in as root")
    raise CommandError(f"*{lab}* declares no `fuel.master_vm`, so fuelbot has no root login on its Fuel master "
                       f"({spec.fuel.url}): {where}.")
