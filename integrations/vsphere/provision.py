"""Create, configure and power on a lab's VMs in bulk, kindly to a shared vCenter.

One pass reads what it needs once (the lab's folder and pool, the networks, the hosts, DRS, and
every MAC of every datacenter); then a :class:`TaskWindow` keeps up to ``size`` tasks in flight:
CreateVM_Task (firmware, NICs, MACs and instance UUID in the creation spec), then the boot order
(device keys are the server's, so it follows creation, read back in one batch per round), then,
once every MAC is checked unique across the vCenter, PowerOnVM_Task. Morefs are passed along;
nothing is looked up again per VM. A VM that already exists is finished, not re-created.
"""
from __future__ import annotations

import uuid
from collections import deque
from functools import partial
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import inventory, networks
from integrations.vsphere.collector import Row, retrieve
from integrations.vsphere.folders import ensure_folder, lab_folder_path, resolve_pool
from integrations.vsphere.info import VMInfo, owner_annotation
from integrations.vsphere.inventory import VM_PATHS, Placement, to_info
from integrations.vsphere.macs import assign_macs
from integrations.vsphere.macs_in_use import duplicate_problem, mac_owners, nic_macs
from integrations.vsphere.ownership import OwnedVM, VMPlan
from integrations.vsphere.placement import VMNeeds, choose, read_drs
from integrations.vsphere.session import Session
from integrations.vsphere.tasks import TaskWindow
from integrations.vsphere.vmspec import boot_options, config_spec, planned_boot_order, read_boot_order
from labspec.model import VCenterTarget, VMSpec, VSphereNetworks

Dev = vim.vm.device
MAX_IN_FLIGHT = 12


@dataclass(frozen=True)
class VMFailure:
    """A VM the pass could not finish, and why."""

    name: str
    message: str


@dataclass(frozen=True)
class ProvisionReport:
    """What a pass did: the VMs as they are now (spec order), those it created, hosts it skipped."""

    vms: tuple[VMInfo, ...]
    owned: tuple[OwnedVM, ...]         # every VM of the batch that is the lab's (created now or before)
    created: tuple[str, ...]
    skipped_hosts: tuple[str, ...]
    failures: tuple[VMFailure, ...]

    def raise_for_failures(self) -> None:
        """Raise the first failure as a VSphereError naming the VM."""
        if self.failures:
            first = self.failures[0]
            more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            raise VSphereError(f"VM {first.name}: {first.message}{more}", obj=first.name)


@dataclass
class _Job:
    spec: VMSpec
    instance_uuid: str
    vm: Any = None
    row: Row | None = None             # the VM as read (existing, or read back after creation)
    macs: tuple[str, ...] = ()
    config: Any = None
    host: Any = None
    failed: bool = False


@dataclass
class _Pass:
    session: Session
    placement: Placement
    lab: str
    folder_path: str
    vcenter: str
    on_created: Callable[[OwnedVM], None] | None
    failures: list[VMFailure] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    def fail(self, job: _Job, message: str) -> None:
        job.failed = True
        self.failures.append(VMFailure(job.spec.name, message))

    def owned(self, job: _Job) -> OwnedVM:
        props = job.row.props if job.row is not None else {}
        return OwnedVM(lab=self.lab, name=job.spec.name, moid=job.vm._moId,
                       instance_uuid=str(props.get("config.instanceUuid") or job.instance_uuid),
                       vcenter_uuid=self.vcenter, folder=self.folder_path, macs=nic_macs(props))


def _datastore_of(path: str | None) -> str | None:
    return path[1:path.index("]")] if path and path.startswith("[") and "]" in path else None


def provision(session: Session, placement: Placement, target: VCenterTarget, specs: Sequence[VMSpec], *,
              lab: str, declared: VSphereNetworks | None = None, plans: Mapping[str, VMPlan] | None = None,
              power_on: bool = True, size: int = MAX_IN_FLIGHT, timeout: float = 1800.0,
              on_created: Callable[[OwnedVM], None] | None = None,
              checkpoint: Callable[[], None] | None = None) -> ProvisionReport:
    """Make every VM of ``specs`` exist (in the lab's folder) with its boot order, and powered on.

    With ``plans`` (name → planned instance UUID, recorded by the caller beforehand), a VM of the
    folder is the lab's only if its instance UUID is the planned one. Without, the older rule
    applies: a VM of that name anywhere in the datacenter carrying the lab's owner marker.
    """
    folder_path = lab_folder_path(target, lab)
    folder = ensure_folder(session, placement, folder_path)
    pool = resolve_pool(session, placement, target.resource_pool)
    rows = retrieve(session, {vim.VirtualMachine: [*VM_PATHS, "parent"]}, root=placement.datacenter)
    jobs, todo = [], []
    for spec in specs:
        plan = plans.get(spec.name) if plans is not None else None
        if plans is not None and plan is None:
            raise ValueError(f"no plan for VM {spec.name}: plan every VM before provisioning")
        job = _Job(spec=spec, instance_uuid=plan.instance_uuid if plan else str(uuid.uuid4()))
        jobs.append(job)
        existing = _existing(rows, spec.name, folder if plans is not None else None, lab)
        if existing is not None:
            problem = _not_ours(existing, job, lab, planned=plan is not None)
            if problem:
                raise VSphereError(f"VM {spec.name!r} {problem}", obj=spec.name,
                                   fix="rename or remove that VM in vCenter, or rename the VM in the lab spec")
            job.vm, job.row = existing.obj, existing
        else:
            todo.append(job)
    inv = networks.read_networks(session, placement)
    dvpg_names = {key: name for name, key, _ in inv.distributed}
    skipped: tuple[str, ...] = ()
    if todo:
        skipped = _prepare(session, placement, target, todo, inv=inv, declared=declared, lab=lab)
    run = _Pass(session, placement, lab, folder_path, session.vcenter_uuid, on_created)
    boots = [j for j in jobs if j not in todo and _boot_change(j) is not None]
    starts = [j for j in jobs if j not in todo and _state(j) != "poweredOn"] if power_on else []
    if todo or boots or starts:
        with TaskWindow(session, size=size, timeout=timeout, checkpoint=checkpoint) as window:
            _create_and_boot(run, window, jobs, todo, boots, folder, pool)
            if todo:   # MACs unique across the vCenter, read after creation and before anything runs
                owners = mac_owners(session)
                for job in [j for j in jobs if not j.failed]:
                    if problem := duplicate_problem(job.spec.name, nic_macs(job.row.props if job.row else {}), owners):
                        run.fail(job, problem)
            if power_on:
                _power_on(run, window, [j for j in jobs if not j.failed and j.vm is not None and _state(j) != "poweredOn"])
    alive = [j for j in jobs if j.vm is not None]
    final = {r.obj._moId: r for r in retrieve(session, {vim.VirtualMachine: list(VM_PATHS)},
                                              objects=[j.vm for j in alive])} if alive else {}
    return ProvisionReport(
        vms=tuple(to_info(final[j.vm._moId], dvpg_names) for j in alive if j.vm._moId in final),
        owned=tuple(run.owned(j) for j in alive),
        created=tuple(run.created), skipped_hosts=skipped, failures=tuple(run.failures))


def _existing(rows: list[Row], name: str, folder: Any | None, lab: str = "") -> Row | None:
    matches = [r for r in rows if r.get("name") == name
               and (folder is None or getattr(r.get("parent"), "_moId", None) == folder._moId)]
    if folder is not None and not matches:
        older = [r for r in rows if r.get("name") == name
                 and owner_annotation(lab) in (r.get("config.annotation") or "").splitlines()]
        if older:
            raise VSphereError(f"VM {name!r} of lab {lab} lives outside the lab's folder ({older[0].obj._moId}); "
                               f"fuelbot has no record of it", obj=name,
                               fix=f"if it is the lab's, `/fuel adopt {lab}` takes it over into the lab's folder; "
                                   "otherwise delete it in vCenter and deploy again")
    if len(matches) > 1:
        raise VSphereError(f"{len(matches)} VMs are named {name!r} ({', '.join(r.obj._moId for r in matches)})",
                           obj=name, fix="rename or delete the extra VMs in vCenter; fuelbot needs unique names")
    return matches[0] if matches else None


def _not_ours(row: Row, job: _Job, lab: str, *, planned: bool) -> str | None:
    if planned:
        found = (row.get("config.instanceUuid") or "").lower()
        if found != job.instance_uuid.lower():
            return (f"already exists in the lab's folder with instance UUID {found or 'none'}, not the one fuelbot "
                    f"recorded ({job.instance_uuid}): fuelbot did not create it")
        return None
    if owner_annotation(lab) not in (row.get("config.annotation") or "").splitlines():
        return f"already exists and fuelbot did not create it for lab {lab}"
    return None


def _prepare(session: Session, placement: Placement, target: VCenterTarget, todo: list[_Job], *,
             inv: networks.NetworkInventory, declared: VSphereNetworks | None, lab: str) -> tuple[str, ...]:
    """Networks, MACs, host and creation spec of each VM to create; the hosts skipped."""
    taken = set(mac_owners(session))
    hosts = inventory.hosts(session, placement)
    refs = {ref._moId: ref for ref in placement.hosts}
    drs = read_drs(session, placement)
    vcenter = session.vcenter_uuid
    skipped: set[str] = set()
    switch_names = {uuid_: name for moid, name in inv.switches.items() if (uuid_ := inv.switch_uuids.get(moid))}
    for job in todo:
        spec = job.spec
        targets = networks.resolve(spec, inv, declared, lab=lab)
        needs = VMNeeds(
            datastores=tuple(dict.fromkeys(d for d in (placement.datastore_name, _datastore_of(spec.iso)) if d)),
            switches=tuple(sorted({switch_names.get(t.switch_uuid or "", "") for t in targets if t.distributed})),
            standard=tuple(sorted({t.name for t in targets if not t.distributed})))
        choice = choose(hosts, refs, needs, drs, cluster=placement.cluster_name, vm=spec.name)
        skipped.update(choice.skipped)
        job.host = choice.host
        job.macs = assign_macs(lab, spec.name, len(spec.nics), taken=taken, vcenter=vcenter)
        taken.update(job.macs)
        job.config = config_spec(spec, lab=lab, datastore=placement.datastore_name, networks=targets,
                                 macs=job.macs, instance_uuid=job.instance_uuid)
    return tuple(sorted(skipped))


def _boot_change(job: _Job) -> Any | None:
    """The boot order to set, or None when it is right (or the VM runs: it applies at next power-on)."""
    props = job.row.props if job.row is not None else {}
    devices = props.get("config.hardware.device") or ()
    planned = planned_boot_order(devices, iso=bool(job.spec.iso), boot_nic=job.spec.boot_nic())
    if read_boot_order(props.get("config.bootOptions.bootOrder")) == planned:
        return None
    if props.get("runtime.powerState") == "poweredOn":
        return None
    return vim.vm.ConfigSpec(bootOptions=boot_options(planned))


def _state(job: _Job) -> str | None:
    return job.row.get("runtime.powerState") if job.row is not None else None


def _create_and_boot(run: _Pass, window: TaskWindow, jobs: list[_Job], todo: list[_Job], boots: list[_Job],
                     folder: Any, pool: Any) -> None:
    queue: deque[tuple[str, _Job]] = deque(("create", j) for j in todo)
    queue.extend(("boot", j) for j in boots)
    by_name = {j.spec.name: j for j in jobs}
    while queue or len(window):
        while queue and window.room:
            stage, job = queue.popleft()
            if stage == "create":
                window.submit(("create", job.spec.name), partial(folder.CreateVM_Task, config=job.config, pool=pool,
                                                                 host=job.host), what=f"creating VM {job.spec.name}")
            else:
                window.submit(("boot", job.spec.name), partial(job.vm.ReconfigVM_Task, _boot_change(job)),
                              what=f"setting the boot order of {job.spec.name}")
        created = []
        for outcome in window.wait():
            stage, vm_name = outcome.key if isinstance(outcome.key, tuple) else ("", "")
            job = by_name[str(vm_name)]
            if not outcome.ok:
                run.fail(job, f"{'creating it' if stage == 'create' else 'setting its boot order'} failed: "
                              f"{_fault_text(outcome.error)}")
            elif stage == "create":
                job.vm = outcome.result
                created.append(job)
        if created:
            _read_back(run, created)
            for job in created:
                if not job.failed and _boot_change(job) is not None:
                    queue.append(("boot", job))


def _read_back(run: _Pass, created: list[_Job]) -> None:
    """One read for every VM created in this round: devices (for the boot order), MACs, instance UUID."""
    rows = {r.obj._moId: r for r in retrieve(run.session, {vim.VirtualMachine: list(VM_PATHS)},
                                             objects=[j.vm for j in created])}
    for job in created:
        job.row = rows.get(job.vm._moId)
        run.created.append(job.spec.name)
        if run.on_created is not None:
            run.on_created(run.owned(job))
        got = nic_macs(job.row.props if job.row else {})
        if got != job.macs:
            run.fail(job, f"vCenter gave it MACs {', '.join(got)} instead of {', '.join(job.macs)}")


def _power_on(run: _Pass, window: TaskWindow, jobs: list[_Job]) -> None:
    queue = deque(jobs)
    by_name = {j.spec.name: j for j in jobs}
    while queue or len(window):
        while queue and window.room:
            job = queue.popleft()
            window.submit(job.spec.name, job.vm.PowerOnVM_Task, what=f"powering on {job.spec.name}",
                          vm=job.vm, vm_name=job.spec.name)
        for outcome in window.wait():
            if not outcome.ok and not isinstance(outcome.error, vim.fault.InvalidPowerState):
                run.fail(by_name[str(outcome.key)], f"powering it on failed: {_fault_text(outcome.error)}")


def _fault_text(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    message = getattr(error, "msg", None) or ""
    reason = getattr(error, "reason", None) or ""
    return " ".join(p for p in (type(error).__name__, str(reason), str(message)) if p) or repr(error)
