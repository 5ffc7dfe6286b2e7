"""Deploy steps on the vSphere side: preflight, port groups, the lab's VMs (the master's are in
``deploy_master``).

Each step looks at vCenter first and only creates what is missing, so it can run again after
a crash, a takeover or on an already deployed lab.
"""
from __future__ import annotations

from labspec.model import Lab
from workflows.master_preflight import master_findings
from workflows.ports import VSpherePort
from workflows.records import DeployRecord, NodeVm
from workflows.run import Run
from workflows.voices import deploy_failures as failures
from workflows import vm_ledger
from workflows.voices.deploy_facts import (CreatedVm, DeployFact, HostsSkipped, PreflightChecked, VmsCreated,
                                           VSphereReady)
from workflows.vm_ledger import VmLedger

DeployRun = Run[DeployRecord, DeployFact]


def missing_portgroups(client: VSpherePort, lab: Lab) -> set[str]:
    """Declared port groups that do not exist yet (the next step creates them)."""
    present = {p.name for p in client.distributed_portgroups()}
    present |= {p.name for p in client.standard_portgroups()}
    return {name for name in lab.networks.names() if name not in present}


def step_preflight(run: DeployRun) -> None:
    """Stop on a failing finding (except port groups the next step will create) and show the fix."""
    lab = run.lab
    client = run.vsphere()
    findings = vm_ledger.preflight(run.deps.session_factory, lab, client) + master_findings(run, lab, deploying=True)
    will_create = missing_portgroups(client, lab)
    run.tell(PreflightChecked(findings=tuple(findings), will_create=frozenset(will_create)))
    blocking = [f for f in findings if f.level == "fail" and f.obj not in will_create]
    if blocking:
        raise failures.preflight_blocked(blocking)


def step_portgroups(run: DeployRun) -> None:
    """The article's vSphere preparation: ``pxe`` (VLAN 3, promiscuous) and ``br100`` on vSwitch0."""
    lab = run.lab
    changes = run.vsphere().fix_portgroups(lab)
    pxe = next((p for p in lab.networks.distributed if p.name == lab.networks.pxe), None)
    run.tell(VSphereReady(pxe=pxe, standard=tuple(lab.networks.standard), changes=tuple(changes)))


def step_create_vms(run: DeployRun) -> None:
    """Create the lab's node VMs in its folder, each recorded before and after vCenter makes it, network
    boot on the pxe NIC first, and power them on; report their MACs and any host skipped."""
    lab = run.lab
    client = run.vsphere()
    ledger = VmLedger.of(run.deps.session_factory, lab, client)
    plans = ledger.plan(client.plan_vms([node.vm for node in lab.nodes]), job_id=run.job_id)
    report = client.provision(lab, plans, on_created=ledger.confirm, checkpoint=run.checkpoint)
    ledger.confirm_all(report.owned)        # a VM made just before a crash, found by its planned instance UUID
    if report.skipped_hosts:
        run.tell(HostsSkipped(hosts=report.skipped_hosts))
    report.raise_for_failures()
    vms = {vm.name: vm for vm in report.vms}
    created = []
    for node in lab.nodes:
        macs = list(vms[node.name].macs)
        pxe_mac = macs[node.vm.boot_nic()] if macs else None
        new = node.name in report.created
        run.data.vms[node.name] = NodeVm(macs=macs, pxe_mac=pxe_mac, created=new)
        if new:
            created.append(CreatedVm(spec=node.vm, pxe_mac=pxe_mac))
    run.save()
    run.tell(VmsCreated(lab=lab.name, pxe=lab.networks.pxe, created=tuple(created), total=len(lab.nodes),
                        folder=ledger.folder))
