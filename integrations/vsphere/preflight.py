"""Check a lab's vSphere side against every pitfall of the article, before anything is built.

Each check yields ``Finding`` records that name the object and the fix. Port-group findings can
be repaired by ``fix_portgroups`` (``/fuel preflight <lab> --fix``); the rest need a person.
Network and VM checks live here, cluster checks (DRS, hosts, datastores, capacity, vSAN, LAG,
VNC, questions) in :mod:`integrations.vsphere.cluster_checks`.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from pyVmomi import vim

from core.errors import VSphereError
from integrations.vsphere import cluster_checks, inventory
from integrations.vsphere.collector import retrieve, wait_for_task
from integrations.vsphere.finding import Finding
from integrations.vsphere.info import DistributedPortGroupInfo, HostInfo, VMInfo
from integrations.vsphere.inventory import Placement
from integrations.vsphere.placement import read_drs
from integrations.vsphere.session import Session
from labspec.model import Lab, StandardPortGroup

__all__ = ["Finding", "check_distributed", "check_standard", "check_vms", "preflight", "target_finding"]
FUEL_MASTER_MIN_MB = 2048          # the article: with less, unpacking fuel-images.tar fails
_SEARCH_TIMEOUT = 60.0


def _fix_cmd(lab: Lab) -> str:
    return f"`/fuel preflight {lab.name} --fix`"


def check_distributed(lab: Lab, portgroups: Sequence[DistributedPortGroupInfo],
                      switches: set[str]) -> Iterator[Finding]:
    """The article's ``pxe`` (VLAN, promiscuous mode) and every other declared distributed port group."""
    by_name = {p.name: p for p in portgroups}
    for spec in lab.networks.distributed:
        is_pxe = spec.name == lab.networks.pxe
        check = "pxe-portgroup" if is_pxe else "distributed-portgroup"
        current = by_name.get(spec.name)
        if spec.switch not in switches:
            yield Finding("fail", check, spec.switch, f"distributed switch `{spec.switch}` for port group "
                          f"`{spec.name}` does not exist", f"create it in vCenter or fix the port group's switch "
                          f"in {lab.source}")
        elif current is None:
            yield Finding("fail", check, spec.name, f"port group `{spec.name}` is missing on `{spec.switch}`",
                          f"{_fix_cmd(lab)} creates it (VLAN {spec.vlan}, promiscuous "
                          f"{'on' if spec.promiscuous else 'off'})")
        elif current.switch != spec.switch:
            yield Finding("fail", check, spec.name, f"port group `{spec.name}` is on `{current.switch}`, "
                          f"not `{spec.switch}`", f"fix the switch in {lab.source} or move the port group")
        else:
            problems = []
            if current.vlan != spec.vlan or current.trunk:
                problems.append(f"VLAN is {current.vlan if not current.trunk else 'a trunk'}, not {spec.vlan}")
            if current.promiscuous != spec.promiscuous:
                problems.append("promiscuous mode is off; Fuel's PXE/DHCP and network checks need it on"
                                if spec.promiscuous else "promiscuous mode is on but the spec says off")
            if problems:
                for problem in problems:
                    yield Finding("fail", check, spec.name, f"port group `{spec.name}`: {problem}",
                                  f"{_fix_cmd(lab)} reconfigures it")
            else:
                yield Finding("ok", check, spec.name, f"port group `{spec.name}` (VLAN {spec.vlan}, promiscuous "
                              f"{'✓' if spec.promiscuous else 'off'})")


def check_standard(lab: Lab, hosts: Sequence[HostInfo], distributed: set[str]) -> Iterator[Finding]:
    """``br100`` and friends: on a standard vSwitch of every host, with the declared uplink (vmnic0)."""
    for spec in lab.networks.standard:
        findings = list(_standard_findings(lab, spec, hosts, distributed))
        yield from findings or [Finding("ok", "standard-portgroup", spec.name,
                                        f"`{spec.name}` on {spec.vswitch} (uplink {spec.uplink} ✓)")]


def _standard_findings(lab: Lab, spec: StandardPortGroup, hosts: Sequence[HostInfo],
                       distributed: set[str]) -> Iterator[Finding]:
    missing = [h.name for h in hosts if h.portgroup(spec.name) is None]
    if len(missing) == len(hosts):
        where = " (it exists only as a distributed port group; nova-network needs a standard vSwitch)" \
            if spec.name in distributed else ""
        yield Finding("fail", "standard-portgroup", spec.name,
                      f"port group `{spec.name}` is missing on every host's {spec.vswitch}{where}",
                      f"{_fix_cmd(lab)} adds it to {spec.vswitch}")
    elif missing:
        yield Finding("fail", "standard-portgroup", spec.name, f"port group `{spec.name}` is missing on "
                      f"{', '.join(missing)}", f"{_fix_cmd(lab)} adds it")
    for host in hosts:
        current = host.portgroup(spec.name)
        if current is not None and current.vswitch != spec.vswitch:
            yield Finding("fail", "standard-portgroup", spec.name, f"`{spec.name}` on {host.name} is on "
                          f"{current.vswitch}, not {spec.vswitch}", f"{_fix_cmd(lab)} moves it")
        elif current is not None and current.vlan != spec.vlan:
            yield Finding("fail", "standard-portgroup", spec.name, f"`{spec.name}` on {host.name} has VLAN "
                          f"{current.vlan}, not {spec.vlan}", f"{_fix_cmd(lab)} fixes it")
        vswitch = host.vswitch(spec.vswitch)
        if vswitch is None:
            yield Finding("fail", "uplink", spec.vswitch, f"{host.name} has no vSwitch `{spec.vswitch}`",
                          f"create {spec.vswitch} with uplink {spec.uplink} on {host.name}")
        elif spec.uplink not in vswitch.uplinks:
            yield Finding("fail", "uplink", f"{host.name}/{spec.vswitch}", f"`{spec.uplink}` is not an uplink of "
                          f"{spec.vswitch} on {host.name} (uplinks: {', '.join(vswitch.uplinks) or 'none'}); "
                          f"OpenStack cannot deploy instances without it", f"add {spec.uplink} to {spec.vswitch} "
                          f"on {host.name} in the vSphere client")


def check_vms(lab: Lab, existing: Sequence[VMInfo]) -> Iterator[Finding]:
    """Fuel master memory and presence; VM names taken by VMs fuelbot did not create for this lab."""
    by_name: dict[str, list[VMInfo]] = {}
    for vm in existing:
        by_name.setdefault(vm.name, []).append(vm)
    for spec in cluster_checks.lab_vms(lab):
        for vm in by_name.get(spec.name, []):
            if not vm.owned_by(lab.name):
                yield Finding("fail", "vm-collision", spec.name, f"a VM named `{spec.name}` already exists and was "
                              f"not created by fuelbot for {lab.name} (annotation: {vm.annotation or 'none'})",
                              "rename or remove that VM in vCenter, or rename the VM in the lab spec")
    master = lab.fuel.vm
    if master is None:
        return
    if master.memory_mb < FUEL_MASTER_MIN_MB:
        yield Finding("fail", "fuel-master", master.name, f"the Fuel master spec has {master.memory_mb} MB; "
                      f"installing Fuel needs at least {FUEL_MASTER_MIN_MB} MB",
                      f"set fuel.master_vm.memory_mb: {FUEL_MASTER_MIN_MB} in {lab.source}")
    current = by_name.get(master.name, [])
    if not current:
        yield Finding("warn", "fuel-master", master.name, f"Fuel master VM `{master.name}` does not exist yet; "
                      f"it will be created ({master.memory_mb} MB, ISO {master.iso or 'none'})")
    elif current[0].memory_mb < FUEL_MASTER_MIN_MB:
        yield Finding("fail", "fuel-master", master.name, f"Fuel master VM `{master.name}` has "
                      f"{current[0].memory_mb} MB; Fuel needs at least {FUEL_MASTER_MIN_MB} MB",
                      f"power it off and give it {FUEL_MASTER_MIN_MB} MB in the vSphere client")
    else:
        yield Finding("ok", "fuel-master", master.name, f"Fuel master VM `{master.name}` exists "
                      f"({current[0].memory_mb} MB)")


def target_finding(lab: Lab, err: VSphereError) -> Finding:
    """The finding for a datacenter, cluster or datastore the lab names but vCenter lacks."""
    return Finding("fail", "target", err.obj or lab.vcenter.url, str(err).split(" Fix: ")[0], err.fix)


def iso_exists(session: Session, placement: Placement, path: str) -> bool:
    """Whether ``[datastore] dir/file.iso`` exists (the datastore browser, one search task)."""
    if not path.startswith("[") or "]" not in path:
        return False
    datastore, rest = path[1:path.index("]")], path[path.index("]") + 1:].strip()
    directory, _, name = rest.rpartition("/")
    stores = retrieve(session, {vim.Datastore: ["name", "browser"]}, root=placement.datacenter)
    browser = next((r.get("browser") for r in stores if r.get("name") == datastore), None)
    if browser is None:
        return False
    spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=[name])
    try:
        result = wait_for_task(session, browser.SearchDatastore_Task(f"[{datastore}] {directory}".rstrip(), spec),
                               timeout=_SEARCH_TIMEOUT, what=f"looking for {path}")
    except (vim.fault.FileNotFound, vim.fault.InvalidDatastorePath):
        return False
    return any(f.path == name for f in getattr(result, "file", None) or ())


def _lab_vm_rows(session: Session, placement: Placement) -> tuple[list[VMInfo], dict[str, str]]:
    """Every VM of the datacenter (name, notes, memory) and the questions pending on any of them."""
    rows = retrieve(session, {vim.VirtualMachine: ["name", "config.annotation", "config.hardware.memoryMB",
                                                   "runtime.question"]}, root=placement.datacenter)
    questions = {r.obj._moId: " ".join(str(getattr(r.get("runtime.question"), "text", "") or "").split())
                 for r in rows if r.get("runtime.question") is not None}
    return [inventory.to_info(r, {}) for r in rows], questions


def preflight(session: Session, placement: Placement, lab: Lab) -> list[Finding]:
    """Every finding for ``lab``, in a handful of bulk reads."""
    switch_rows, pg_rows = inventory.network_rows(session, placement)
    portgroups = [inventory.to_dvpg(r, switch_rows) for r in pg_rows]
    hosts = inventory.hosts(session, placement)
    existing, questions = _lab_vm_rows(session, placement)
    stores = inventory.datastores(session, placement)
    store = next(d for d in stores if d.name == placement.datastore_name)
    master = lab.fuel.vm
    names = {v.name for v in existing}
    iso_found = iso_exists(session, placement, master.iso) \
        if master is not None and master.iso and master.name not in names else None
    pxe_switch = next((p.switch for p in lab.networks.distributed if p.name == lab.networks.pxe), None)
    checks: Iterable[Iterator[Finding]] = (
        check_distributed(lab, portgroups, {r.get("name") for r in switch_rows}),
        check_standard(lab, hosts, {p.name for p in portgroups}),
        check_vms(lab, existing),
        cluster_checks.check_iso(lab, iso_found, names),
        cluster_checks.check_drs(lab, read_drs(session, placement)),
        cluster_checks.check_hosts(lab, hosts, pxe_switch),
        cluster_checks.check_capacity(lab, existing, store, hosts),
        cluster_checks.check_vsan(lab, stores),
        cluster_checks.check_lag(lab, inventory.teaming(session, placement)),
        cluster_checks.check_vnc(hosts),
        cluster_checks.check_questions(lab, existing, questions),
    )
    return [finding for check in checks for finding in check]
