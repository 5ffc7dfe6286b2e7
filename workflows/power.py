"""Power a lab's node VMs off: what a lease's end does when the spec says ``lease.on_expiry: power_off``."""
from __future__ import annotations

from jobs.record import JobRecord
from jobs.states import JobKind
from workflows.oneshot import OneShotWorkflow
from workflows.run import Run
from workflows.voices.power import PoweredOff, PowerOffVoice


class PowerOffWorkflow(OneShotWorkflow[JobRecord, PoweredOff]):
    """The node VMs fuelbot created for the lab, powered off; the Fuel master (maybe shared) is not."""

    kind, title = JobKind.POWER_OFF, "Power off"
    record = JobRecord
    voice = PowerOffVoice()

    def run(self, run: Run[JobRecord, PoweredOff]) -> None:
        lab = run.lab
        vsphere = run.vsphere()
        found = {vm.name: vm for vm in vsphere.vms()}
        off, already = [], []
        for node in lab.nodes:
            vm = found.get(node.name)
            if vm is None or not vm.owned_by(lab.name):
                continue
            if vm.power_state == "poweredOff":
                already.append(vm.name)
                continue
            vsphere.power_off(vm.name)
            off.append(vm.name)
        run.data.result = {"powered_off": off}
        run.headline = self.voice.headline(PoweredOff(lab=lab.name, off=tuple(off), already=tuple(already),
                                                      why=run.params.get("why")))
