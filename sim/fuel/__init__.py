"""A Fuel 6.0 master simulator: Nailgun, OSTF and Keystone APIs on one port, a lab that moves in time.

It is both the Fuel peer of the test suite and the embedded demo lab: ``FuelSimulator`` serves
the 6.0 routes, payloads and failure modes; a state machine advances deployments in simulated
time (``speed`` x wall time); ``discovery`` turns vSphere VMs that PXE-boot into nodes; ``/_sim``
injects faults and exposes state. Run it with ``python -m sim.fuel``.
"""
from sim.fuel.config import SimConfig, Timings
from sim.fuel.simulator import FuelSimulator

__all__ = ["FuelSimulator", "SimConfig", "Timings"]
