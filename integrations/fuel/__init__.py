"""A client for the Fuel 6.0 master's REST APIs (Nailgun, Keystone, OSTF) over ``requests``.

Start at ``FuelClient``; values come back as the frozen models of ``models`` with the enums of
``enums``; every failure is a ``core.errors.FuelError``.
"""
from integrations.fuel.client import FuelClient, deadline_in

__all__ = ["FuelClient", "deadline_in"]
