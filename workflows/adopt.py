"""``/fuel adopt <lab>``: take over the VMs an older fuelbot made for a lab, once, when an admin asks.

Labs deployed before per-lab folders and ownership records have VMs that carry the lab's owner
marker but no record, in the datacenter's VM folder or already in the lab's. Deploy and destroy
never take those over by themselves (a marker can be copied); preflight reports them. This job
moves each into the lab's folder, records it as fuelbot's, and writes an ``adopted`` event to the
audit trail naming the VM, its moref and instance UUID, where it came from and who asked.
"""
from __future__ import annotations

from integrations.vsphere.adoption import Adoption
from jobs.queue import record_event
from jobs.record import JobRecord
from jobs.states import JobKind
from store.models import Job
from workflows.oneshot import OneShotWorkflow
from workflows.run import Run
from workflows.vm_ledger import VmLedger
from workflows.voices.adopt import AdoptedVm, AdoptVoice, VmsAdopted, adoption_refused

AdoptRun = Run[JobRecord, VmsAdopted]


class AdoptWorkflow(OneShotWorkflow[JobRecord, VmsAdopted]):
    """Move the lab's unrecorded, marked VMs into its folder and record them, each audited."""

    kind, title, deadline_seconds = JobKind.ADOPT, "Adopt", 900.0
    record = JobRecord
    voice = AdoptVoice()

    def run(self, run: AdoptRun) -> None:
        lab = run.lab
        client = run.vsphere()
        ledger = VmLedger.of(run.deps.session_factory, lab, client)
        recorded = {r.moid for r in ledger.owned() if r.moid}
        outcomes = client.adopt_vms(lab.name, [node.name for node in lab.nodes], recorded=recorded)
        adopted = [o for o in outcomes if o.owned is not None]
        self._record(run, ledger, adopted)
        fact = VmsAdopted(lab=lab.name, folder=ledger.folder,
                          adopted=tuple(AdoptedVm(o.name, o.owned.moid, o.moved_from) for o in adopted if o.owned),
                          refused=tuple((o.name, o.reason) for o in outcomes if o.owned is None))
        run.tell(fact)
        run.headline = self.voice.headline(fact)
        if fact.refused:
            raise adoption_refused(lab.name, fact.refused)

    @staticmethod
    def _record(run: AdoptRun, ledger: VmLedger, adopted: list[Adoption]) -> None:
        """Each VM's record and its audit event, in one transaction."""
        with run.deps.session_factory() as session, session.begin():
            job = session.get(Job, run.job_id)
            for outcome in adopted:
                vm = outcome.owned
                if vm is None:
                    continue
                ledger.record(session, vm)
                origin = f"from {outcome.moved_from}" if outcome.moved_from else "where it was"
                record_event(session, job, actor=run.ctx.requester, kind="adopted",
                             message=f"VM {vm.name} ({vm.moid}, instance UUID {vm.instance_uuid}) adopted for "
                                     f"{vm.lab} into {vm.folder}, {origin}",
                             data={"vm": vm.name, "moid": vm.moid, "instance_uuid": vm.instance_uuid,
                                   "folder": vm.folder, "moved_from": outcome.moved_from,
                                   "vcenter_uuid": vm.vcenter_uuid})
