"""Preflight checks of the cluster under a lab: the article's and nova's VMware pitfalls.

Pure functions over the records of :mod:`integrations.vsphere.info`; each finding names the
object and its fix. Sources: the article (a LAG of four pNICs on the distributed switch, vSAN
troubles and its FAQ, the ESXi VNC firewall FAQ), nova's VMware driver prerequisites (DRS
enabled and fully automated, datastores shared by the cluster's hosts), ESXi 7.0's release notes
(the built-in VNC server is gone) and ESXi's swap files (one per powered-on VM, its memory size).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from integrations.vsphere.finding import Finding
from integrations.vsphere.info import DatastoreInfo, FirewallRuleset, HostInfo, TeamingInfo, VMInfo
from integrations.vsphere.placement import DrsState
from labspec.model import Lab, VMSpec

VNC_PORTS = (5900, 6105)           # the article's FAQ: 5900–6000 plus 6101, 6102, 6105
VNC_FIX = ("add a VNC ruleset for TCP 5900–6105 to /etc/vmware/firewall/service.xml on each host and run "
           "`esxcli network firewall refresh` (article FAQ), or enable the gdbserver ruleset in "
           "Host > Manage > Settings > Security Profile")
NO_VNC_FIX = ("ESXi 7.0 and later have no built-in VNC server, so no firewall rule helps: open instance consoles "
              "with the vSphere client's web console, or run the lab's compute cluster on ESXi 6.x hosts")
VSAN_FIX = ("use a local or shared VMFS/NFS datastore for vcenter.datastore; for Glance on vSAN point "
            "glance-api.conf's vmware_server_host at an ESXi host that mounts it (the article's FAQ, "
            "\"Image upload hangs\")")
VSAN_COPIES = 2                    # vSAN's default storage policy: one failure to tolerate, two copies
_GB = 1024 ** 3


def lab_vms(lab: Lab) -> list[VMSpec]:
    return [n.vm for n in lab.nodes] + ([lab.fuel.vm] if lab.fuel.vm else [])


def check_drs(lab: Lab, drs: DrsState) -> Iterator[Finding]:
    cluster = lab.vcenter.cluster
    fix = (f"enable vSphere DRS on cluster {cluster}, fully automated (Cluster > Configure > vSphere DRS): "
           "nova's VMware driver needs it to place instances")
    if not drs.enabled:
        yield Finding("fail", "drs", cluster, f"DRS is off on cluster `{cluster}`", fix)
    elif not drs.fully_automated:
        yield Finding("warn", "drs", cluster, f"DRS on cluster `{cluster}` is {drs.behavior}, not fully automated", fix)
    else:
        yield Finding("ok", "drs", cluster, f"DRS fully automated on `{cluster}`")


def check_hosts(lab: Lab, hosts: Sequence[HostInfo], pxe_switch: str | None) -> Iterator[Finding]:
    """Unusable hosts (skipped), the pxe switch on every host, the datastores on every host."""
    usable = [h for h in hosts if h.usable]
    for host in hosts:
        if not host.usable:
            yield Finding("warn", "host-state", host.name, f"host `{host.name}` is {host.state_text()}: no lab VM "
                          "will be placed on it", "reconnect it or take it out of maintenance mode to use it")
    if pxe_switch:
        outside = [h.name for h in usable if pxe_switch not in h.switches]
        if outside:
            yield Finding("fail", "pxe-switch", pxe_switch, f"host(s) {', '.join(outside)} are not members of "
                          f"`{pxe_switch}`: a node there cannot reach the pxe network",
                          f"add them to {pxe_switch} (Networking > {pxe_switch} > Add and Manage Hosts)")
    datastores = [lab.vcenter.datastore] + [d for d in {_iso_datastore(lab)} if d and d != lab.vcenter.datastore]
    for datastore in datastores:
        unmounted = [h.name for h in usable if datastore not in h.datastores]
        if unmounted:
            yield Finding("fail", "shared-datastore", datastore, f"datastore `{datastore}` is not mounted on "
                          f"{', '.join(unmounted)}: DRS, HA and nova need datastores every host shares",
                          f"mount {datastore} on those hosts, or set vcenter.datastore to a shared datastore")


def _iso_datastore(lab: Lab) -> str | None:
    iso = lab.fuel.vm.iso if lab.fuel.vm else None
    return iso[1:iso.index("]")] if iso and iso.startswith("[") and "]" in iso else None


def check_iso(lab: Lab, found: bool | None, existing: set[str]) -> Iterator[Finding]:
    """The Fuel master's ISO exists (``found`` None: not looked for, the master already exists)."""
    master = lab.fuel.vm
    if master is None or not master.iso or master.name in existing or found is None:
        return
    if found:
        yield Finding("ok", "iso", master.iso, f"Fuel ISO `{master.iso}` is on the datastore")
    else:
        yield Finding("fail", "iso", master.iso, f"Fuel ISO `{master.iso}` is not on the datastore: the Fuel "
                      "master cannot be installed", "upload MirantisOpenStack-6.0.iso there (Datastore > Files > "
                      "Upload), or fix fuel.master_vm.iso in the lab spec")


def check_capacity(lab: Lab, existing: Sequence[VMInfo], datastore: DatastoreInfo,
                   hosts: Sequence[HostInfo]) -> Iterator[Finding]:
    """Datastore space (disks + one swap file per VM, twice on vSAN) and cluster memory for the VMs to create."""
    names = {v.name for v in existing}
    todo = [s for s in lab_vms(lab) if s.name not in names]
    disks = sum(s.disk_gb for s in todo)
    swap = sum(s.memory_mb for s in todo) / 1024
    copies = VSAN_COPIES if datastore.kind == "vsan" else 1
    need_gb = (disks + swap) * copies
    free_gb = datastore.free / _GB
    level = "fail" if free_gb < need_gb else "ok"
    how = f"{disks} GB of disks + {swap:.0f} GB of swap files" + (f", × {copies} for vSAN's default policy"
                                                                  if copies > 1 else "")
    yield Finding(level, "datastore-space", datastore.name, f"datastore `{datastore.name}` has {free_gb:.0f} GB free, "
                  f"lab needs {need_gb:.0f} GB ({how})", None if level == "ok" else
                  "free space on the datastore, or set vcenter.datastore to a bigger one")
    need_mb = sum(s.memory_mb for s in todo)
    usable = [h for h in hosts if h.usable]
    free_mb = sum(max(0, h.memory_mb - h.memory_used_mb) for h in usable)
    level = "fail" if need_mb > free_mb else "ok"
    yield Finding(level, "cluster-memory", lab.vcenter.cluster, f"cluster `{lab.vcenter.cluster}` has "
                  f"{free_mb} MB free on {len(usable)} usable host(s), lab needs {need_mb} MB",
                  None if level == "ok" else "free memory in the cluster or shrink the lab's VMs")


def check_vsan(lab: Lab, datastores: Sequence[DatastoreInfo]) -> Iterator[Finding]:
    """The article: vSAN is troublesome for instance disks, and Glance on vSAN needs tuning."""
    kinds = {d.name: d.kind for d in datastores}
    targets = {lab.vcenter.datastore, lab.environment.settings.glance_vcenter_datastore}
    for name in sorted(t for t in targets if t and kinds.get(t) == "vsan"):
        yield Finding("warn", "vsan", name, f"datastore `{name}` is vSAN: Mirantis OpenStack 6.0 has trouble with "
                      "vSAN for instance disks, and Glance needs tuning to upload there", VSAN_FIX)


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


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def check_vnc(hosts: Sequence[HostInfo]) -> Iterator[Finding]:
    """VNC consoles: ESXi 7.0+ has no VNC server; older ESXi's firewall blocks it (the article's FAQ)."""
    modern = [h.name for h in hosts if _major(h.version) >= 7]
    if modern:
        yield Finding("warn", "vnc", ", ".join(modern), f"{', '.join(modern)} run ESXi 7.0 or later, which has no "
                      "VNC server: instance consoles in the OpenStack dashboard will not open", NO_VNC_FIX)
    readable = [h for h in hosts if h.firewall is not None and _major(h.version) < 7]
    closed = [h.name for h in readable if not vnc_open(h.firewall or ())]
    if closed:
        yield Finding("warn", "vnc-firewall", ", ".join(closed), f"ESXi firewall blocks VNC (TCP 5900–6105) on "
                      f"{', '.join(closed)}: instance consoles will not open", VNC_FIX)
    elif readable:
        yield Finding("ok", "vnc-firewall", "hosts", "ESXi firewall allows VNC on every host")


def check_lag(lab: Lab, teaming: Sequence[TeamingInfo]) -> Iterator[Finding]:
    """A port group using standalone uplinks while the switch bundles the pNICs in a LAG has no path."""
    declared = {p.name for p in lab.networks.distributed}
    for team in teaming:
        if team.portgroup not in declared or not team.lags:
            continue
        if not set(team.active) & set(team.lags):
            lags = ", ".join(team.lags)
            yield Finding("fail", "lag-teaming", team.portgroup, f"port group `{team.portgroup}` sends traffic on "
                          f"standalone uplinks ({', '.join(team.active) or 'none'}) while {team.switch}'s uplinks "
                          f"are bundled in LAG {lags}: it has no path to the network",
                          f"in {team.portgroup}'s Teaming and failover, make {lags} the only active uplink and "
                          "move the standalone uplinks to Unused (the article's switch uses a LAG)")


def check_questions(lab: Lab, existing: Sequence[VMInfo], questions: dict[str, str]) -> Iterator[Finding]:
    """A lab VM waiting for an answer does not power on until someone answers it."""
    names = {s.name for s in lab_vms(lab)}
    for vm in existing:
        text = questions.get(vm.moid)
        if vm.name in names and text:
            yield Finding("fail", "vm-question", vm.name, f"VM `{vm.name}` is waiting for an answer: \"{text}\"",
                          "answer it in the vSphere client (the VM's Summary tab), then retry")
