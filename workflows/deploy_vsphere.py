"""Deploy steps on the vSphere side: preflight, port groups, Fuel master, the lab's VMs.

Each step looks at vCenter first and only creates what is missing, so it can run again after
a crash, a takeover or on an already deployed lab.
"""
from __future__ import annotations

from core.errors import FuelError
from integrations.fuel.models import FuelVersion
from labspec.model import Lab
from workflows.ports import VSpherePort
from workflows.records import DeployRecord, NodeVm
from workflows.run import Run
from workflows.voices import deploy_failures as failures
from workflows import vm_ledger
from workflows.vm_ledger import VmLedger
from workflows.voices.deploy_facts import (CreatedVm, DeployFact, HostsSkipped, MasterReachable, MasterVmCreated,
                                           PreflightChecked, VmsCreated, VSphereReady)

MIN_MASTER_MB = 2048
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
    findings = vm_ledger.preflight(run.deps.session_factory, lab, client)
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


def step_fuel_master(run: DeployRun) -> None:
    """The Fuel master VM exists (created from the ISO when missing) and its API answers."""
    lab = run.lab
    master = lab.fuel.vm
    if master is not None:
        client = run.vsphere()
        info = client.vm(master.name)
        if info is None:
            info = client.ensure_vm(master, lab=lab.name)
            run.tell(MasterVmCreated(spec=master))
        if info.memory_mb < MIN_MASTER_MB:
            raise failures.master_too_small(master.name, info.memory_mb, MIN_MASTER_MB)
        if info.power_state != "poweredOn":
            client.power_on(master.name)
    api = run.fuel()

    def logged_in() -> FuelVersion:
        version = api.version()
        api.releases()  # proves the credentials work, not only that nginx answers
        return version

    def gave_up(last: FuelVersion | None, error: FuelError | None) -> Exception:
        return failures.master_silent(lab.fuel.url, error)

    version = run.follow(logged_in, done=lambda _: True, state=lambda v: v.release,
                         describe=lambda _: f"Fuel master at {lab.fuel.url}", timeout=run.deps.timeouts.fuel_reachable,
                         error=FuelError, max_poll=run.deps.timeouts.poll, give_up=gave_up)
    run.tell(MasterReachable(release=version.release, url=lab.fuel.url, user=lab.fuel.user))


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
