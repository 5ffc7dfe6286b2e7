"""Deploy steps on the vSphere side: preflight, port groups, the lab's VMs (the master's are in
``deploy_master``).

Each step looks at vCenter first and only creates what is missing, so it can run again after
a crash, a takeover or on an already deployed lab.
"""
from __future__ import annotations

from typing import Sequence

from labspec.model import Lab, Nic
from workflows.master_preflight import master_findings
from workflows.ports import VSpherePort
from workflows.records import DeployRecord, NodeVm
from workflows.run import Run
from workflows.voices import deploy_failures as failures
from workflows.voices.deploy_facts import CreatedVm, DeployFact, PreflightChecked, VmsCreated, VSphereReady

DeployRun = Run[DeployRecord, DeployFact]


def pxe_index(lab: Lab, nics: Sequence[Nic]) -> int:
    """Index of the NIC on the PXE port group (the one Fuel sees the node by)."""
    for index, nic in enumerate(nics):
        if nic.portgroup == lab.networks.pxe:
            return index
    return 0


def missing_portgroups(client: VSpherePort, lab: Lab) -> set[str]:
    """Declared port groups that do not exist yet (the next step creates them)."""
    present = {p.name for p in client.distributed_portgroups()}
    present |= {p.name for p in client.standard_portgroups()}
    return {name for name in lab.networks.names() if name not in present}


def step_preflight(run: DeployRun) -> None:
    """Stop on a failing finding (except port groups the next step will create) and show the fix."""
    lab = run.lab
    client = run.vsphere()
    findings = client.preflight(lab) + master_findings(run, lab, deploying=True)
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
    """Create the lab's node VMs (network boot first) and power them on; report their MACs."""
    lab = run.lab
    client = run.vsphere()
    created = []
    existing = {vm.name for vm in client.vms() if vm.owned_by(lab.name)}
    ensured = client.ensure_vms([node.vm for node in lab.nodes], lab=lab.name)   # one inventory read
    for node, info in zip(lab.nodes, ensured):
        existed = node.name in existing
        if info.power_state != "poweredOn":
            info = client.power_on(node.name)
        macs = list(info.macs)
        pxe_mac = macs[pxe_index(lab, node.vm.nics)] if macs else None
        run.data.vms[node.name] = NodeVm(macs=macs, pxe_mac=pxe_mac, created=not existed)
        if not existed:
            created.append(CreatedVm(spec=node.vm, pxe_mac=pxe_mac))
    run.save()
    run.tell(VmsCreated(lab=lab.name, pxe=lab.networks.pxe, created=tuple(created), total=len(lab.nodes)))
