"""Check a lab's vSphere side against every pitfall of the article, before anything is built.

Each check yields ``Finding`` records that name the object and the fix. Port-group findings can
be repaired by ``fix_portgroups`` (``/fuel preflight <lab> --fix``); the rest need a person.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from core.errors import VSphereError
from integrations.vsphere import inventory, vms
from integrations.vsphere.info import (DistributedPortGroupInfo, FirewallRuleset, HostInfo, VMInfo,
                                       owner_annotation)
from integrations.vsphere.inventory import Placement
from integrations.vsphere.session import Session
from labspec.model import Lab, StandardPortGroup, VMSpec

FUEL_MASTER_MIN_MB = 2048          # the article: with less, unpacking fuel-images.tar fails
VNC_PORTS = (5900, 6105)           # the article's FAQ: 5900–6000 plus 6101, 6102, 6105
_GB = 1024 ** 3
VNC_FIX = ("add a VNC ruleset for TCP 5900–6105 to /etc/vmware/firewall/service.xml on each host and run "
           "`esxcli network firewall refresh` (article FAQ), or enable the gdbserver ruleset in "
           "Host > Manage > Settings > Security Profile")


@dataclass(frozen=True)
class Finding:
    """One preflight result: ``level`` is ok, warn or fail."""

    level: str
    check: str
    obj: str
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}" if self.fix else self.message


def _fix_cmd(lab: Lab) -> str:
    return f"`/fuel preflight {lab.name} --fix`"


def vnc_open(rulesets: Sequence[FirewallRuleset], ports: tuple[int, int] = VNC_PORTS) -> bool:
    """True when enabled inbound TCP rules together cover every port of ``ports``."""
    ranges = sorted((r.port, r.end_port) for rs in rulesets if rs.enabled for r in rs.rules
                    if r.direction == "inbound" and r.protocol == "tcp")
    needed = ports[0]
    for start, end in ranges:
        if start > needed:
            break
        needed = max(needed, end + 1)
        if needed > ports[1]:
            return True
    return False


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


def check_standard(lab: Lab, hosts: Sequence[HostInfo], distributed: set[str], *,
                   simulator: bool) -> Iterator[Finding]:
    """``br100`` and friends: on a standard vSwitch of every host, with the declared uplink (vmnic0)."""
    for spec in lab.networks.standard:
        findings = list(_standard_findings(lab, spec, hosts, distributed, simulator=simulator))
        yield from findings or [Finding("ok", "standard-portgroup", spec.name,
                                        f"`{spec.name}` on {spec.vswitch} (uplink {spec.uplink} ✓)")]


def _standard_findings(lab: Lab, spec: StandardPortGroup, hosts: Sequence[HostInfo], distributed: set[str], *,
                       simulator: bool) -> Iterator[Finding]:
    missing = [h.name for h in hosts if h.portgroup(spec.name) is None]
    if len(missing) == len(hosts):
        where = " (it exists only as a distributed port group; nova-network needs a standard vSwitch)" \
            if spec.name in distributed else ""
        yield Finding("fail", "standard-portgroup", spec.name,
                      f"port group `{spec.name}` is missing on every host's {spec.vswitch}{where}",
                      f"{_fix_cmd(lab)} adds it to {spec.vswitch}")
    elif missing and simulator:
        # vcsim allows one host port group per name per datacenter; real ESX hosts each need it.
        yield Finding("warn", "standard-portgroup", spec.name, f"port group `{spec.name}` is missing on "
                      f"{', '.join(missing)}: vcsim holds a host port group name on one host only")
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


def _lab_vms(lab: Lab) -> list[VMSpec]:
    return [n.vm for n in lab.nodes] + ([lab.fuel.vm] if lab.fuel.vm else [])


def check_vms(lab: Lab, existing: Sequence[VMInfo]) -> Iterator[Finding]:
    """Fuel master memory and presence; VM names taken by VMs fuelbot did not create for this lab."""
    by_name: dict[str, list[VMInfo]] = {}
    for vm in existing:
        by_name.setdefault(vm.name, []).append(vm)
    for spec in _lab_vms(lab):
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


def check_capacity(lab: Lab, existing: Sequence[VMInfo], datastore_free: int, datastore: str,
                   hosts: Sequence[HostInfo]) -> Iterator[Finding]:
    """Datastore space and cluster memory for the VMs that do not exist yet."""
    names = {v.name for v in existing}
    todo = [s for s in _lab_vms(lab) if s.name not in names]
    need_gb = sum(s.disk_gb for s in todo)
    free_gb = datastore_free / _GB
    level = "fail" if free_gb < need_gb else "ok"
    yield Finding(level, "datastore-space", datastore, f"datastore `{datastore}` has {free_gb:.0f} GB free, "
                  f"lab needs {need_gb} GB", None if level == "ok" else
                  "free space on the datastore, or set vcenter.datastore to a bigger one")
    need_mb = sum(s.memory_mb for s in todo)
    usable = [h for h in hosts if h.connection_state == "connected"]
    free_mb = sum(max(0, h.memory_mb - h.memory_used_mb) for h in usable)
    level = "fail" if need_mb > free_mb else "ok"
    yield Finding(level, "cluster-memory", lab.vcenter.cluster, f"cluster `{lab.vcenter.cluster}` has "
                  f"{free_mb} MB free on {len(usable)} connected host(s), lab needs {need_mb} MB",
                  None if level == "ok" else "free memory in the cluster or shrink the lab's VMs")


def check_vnc(hosts: Sequence[HostInfo]) -> Iterator[Finding]:
    """The article's FAQ: ESXi's firewall blocks the VNC consoles of OpenStack instances."""
    readable = [h for h in hosts if h.firewall is not None]
    closed = [h.name for h in readable if not vnc_open(h.firewall or ())]
    if closed:
        yield Finding("warn", "vnc-firewall", ", ".join(closed), f"ESXi firewall blocks VNC (TCP 5900–6105) on "
                      f"{', '.join(closed)}: instance consoles will not open", VNC_FIX)
    elif readable:
        yield Finding("ok", "vnc-firewall", "hosts", "ESXi firewall allows VNC on every host")


def target_finding(lab: Lab, err: VSphereError) -> Finding:
    """The finding for a datacenter, cluster or datastore the lab names but vCenter lacks."""
    return Finding("fail", "target", err.obj or lab.vcenter.url, str(err).split(" Fix: ")[0], err.fix)


def preflight(session: Session, placement: Placement, lab: Lab, *, simulator: bool) -> list[Finding]:
    """Every finding for ``lab``, in a handful of bulk reads."""
    switch_rows, pg_rows = inventory.network_rows(session, placement)
    portgroups = [inventory.to_dvpg(r, switch_rows) for r in pg_rows]
    hosts = inventory.hosts(session, placement)
    existing = vms.all_vms(session, placement, paths=("name", "config.annotation", "config.hardware.memoryMB"))
    store = next(d for d in inventory.datastores(session, placement) if d.name == placement.datastore_name)
    checks: Iterable[Iterator[Finding]] = (
        check_distributed(lab, portgroups, {r.get("name") for r in switch_rows}),
        check_standard(lab, hosts, {p.name for p in portgroups}, simulator=simulator),
        check_vms(lab, existing),
        check_capacity(lab, existing, store.free, store.name, hosts),
        check_vnc(hosts),
    )
    return [finding for check in checks for finding in check]
