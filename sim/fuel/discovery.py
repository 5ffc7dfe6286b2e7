"""Node discovery from vSphere: VMs that PXE-boot from the ``pxe`` port group become Fuel nodes.

A watcher thread keeps its own property collector (the default one is shared by every
session and loses updates, see reference/vcsim.md) over container views of all VMs and all
distributed port groups, and feeds the engine what changed: a VM whose BIOS would network-boot
on the PXE port group is a machine (see :func:`boot_nic`); its power state and removal are
forwarded as they happen. Only property-collector retrieval is used, never
attribute reads of properties that may be unset (those crash vcsim's connection).
The watcher reconnects (and re-reads everything) when vCenter restarts or the session dies.
"""
from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from sim.fuel.engine import Engine
from sim.fuel.hardware import Hardware, NicInfo, agent_payload
from sim.fuel.machines import L2Facts, Machine
from sim.fuel.master_tasks import MasterSnapshotTasks
from sim.fuel.master_vm import boot_devices, typed_lines

log = logging.getLogger(__name__)
PC = vmodl.query.PropertyCollector
VM_PATHS = ["name", "runtime.powerState", "config.hardware.device", "config.hardware.memoryMB",
            "config.hardware.numCPU", "config.bootOptions.bootOrder", "config.extraConfig", "config.firmware"]
PG_PATHS = ["name", "key", "config.defaultPortConfig"]
_DVS_BACKING = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo
_NET_BACKING = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo


def _view_spec(view: Any) -> Any:
    return PC.ObjectSpec(obj=view, skip=True, selectSet=[PC.TraversalSpec(type=vim.view.ContainerView, path="view")])


def port_facts(props: dict[str, Any]) -> L2Facts:
    """VLAN and promiscuous policy of a DVPG from its ``config.defaultPortConfig``."""
    config = props.get("config.defaultPortConfig")
    vlan_spec = getattr(config, "vlan", None)
    vlan_id = getattr(vlan_spec, "vlanId", None)
    vlan = vlan_id if isinstance(vlan_id, int) else None
    policy = getattr(getattr(config, "securityPolicy", None), "allowPromiscuous", None)
    return L2Facts(portgroup=props.get("name"), vlan=vlan, promiscuous=bool(getattr(policy, "value", False)))


def _network_name(nic: Any, pg_names: dict[str, str | None]) -> tuple[str | None, str | None]:
    """(port group name, DVPG key) a NIC is plugged into."""
    backing = nic.backing
    if isinstance(backing, _DVS_BACKING) and backing.port is not None:
        key = backing.port.portgroupKey
        return (pg_names.get(key) if key is not None else None), key
    if isinstance(backing, _NET_BACKING):
        return backing.deviceName, None
    return None, None


def _iso_connected(devices: list[Any]) -> bool:
    return any(isinstance(d, vim.vm.device.VirtualCdrom) and isinstance(d.backing, vim.vm.device.VirtualCdrom.IsoBackingInfo)
               and d.connectable is not None and d.connectable.startConnected for d in devices)


def boot_nic(props: dict[str, Any], nics: list[Any], pg_names: dict[str, str | None], pxe: str) -> Any | None:
    """The NIC a VM PXE-boots from on ``pxe``, as its BIOS would go, or None.

    Fuel 6.0 serves its bootstrap with pxelinux, which no EFI firmware loads. With a boot order,
    the BIOS tries each entry in turn: a connected ISO boots (the Fuel installer), a NIC that is not
    on the PXE network finds no PXE server and the BIOS moves on, a blank node disk boots nothing;
    when the list is exhausted the VM never reaches Fuel. Without a boot order, VMware's BIOS tries
    a connected CD-ROM, the (blank) disk, then network-boots from the first NIC only.
    """
    if (props.get("config.firmware") or "bios") != "bios":
        return None
    devices = props.get("config.hardware.device") or []
    order = props.get("config.bootOptions.bootOrder") or []
    if not order:
        if _iso_connected(devices) or not nics:
            return None
        return nics[0] if _network_name(nics[0], pg_names)[0] == pxe else None
    by_key = {nic.key: nic for nic in nics}
    for entry in order:
        if isinstance(entry, vim.vm.BootOptions.BootableCdromDevice) and _iso_connected(devices):
            return None
        if isinstance(entry, vim.vm.BootOptions.BootableEthernetDevice):
            nic = by_key.get(entry.deviceKey)
            if nic is not None and _network_name(nic, pg_names)[0] == pxe:
                return nic
    return None


def machine_from_vm(moid: str, props: dict[str, Any], pg_names: dict[str, str | None], pxe: str) -> Machine | None:
    """The machine a VM is, if its BIOS would PXE-boot it from ``pxe``; None otherwise."""
    devices = props.get("config.hardware.device") or []
    nics = sorted((d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)), key=lambda d: d.key)
    pxe_nic = boot_nic(props, nics, pg_names, pxe)
    if pxe_nic is None or not pxe_nic.macAddress:
        return None
    pxe_key = _network_name(pxe_nic, pg_names)[1]
    disks = sorted((d for d in devices if isinstance(d, vim.vm.device.VirtualDisk)), key=lambda d: d.key)
    hw = Hardware(
        cpus=int(props.get("config.hardware.numCPU") or 1), memory_mb=int(props.get("config.hardware.memoryMB") or 0),
        disks=tuple((f"sd{chr(97 + i)}", int(d.capacityInBytes or (d.capacityInKB or 0) * 1024))
                    for i, d in enumerate(disks)),
        nics=tuple(NicInfo(f"eth{i}", str(n.macAddress).lower(),
                           10000 if isinstance(n, vim.vm.device.VirtualVmxnet3) else 1000)
                   for i, n in enumerate(nics) if n.macAddress),
        uuid=moid)
    return Machine(mac=str(pxe_nic.macAddress).lower(), payload=agent_payload(hw),
                   powered=props.get("runtime.powerState") == "poweredOn", vm=moid, portgroup_key=pxe_key)


class VSphereDiscovery:
    """Watches one vCenter and reports machines to an :class:`Engine`."""

    def __init__(self, *, url: str, user: str, password: str, pxe_portgroup: str, engine: Engine,
                 max_wait: int = 1, master_vm: str | None = None) -> None:
        self.url, self.user, self.pxe, self.engine, self.max_wait = url, user, pxe_portgroup, engine, max_wait
        self.master_vm = master_vm
        self._password = password
        self._stop = threading.Event()
        self._resync = threading.Event()
        self._thread: threading.Thread | None = None
        self._si: Any = None
        self._vms: dict[str, dict[str, Any]] = {}
        self._powered_on: dict[str, Any] = {}   # VMs that powered on in the last update, to re-read
        self._pgs: dict[str, dict[str, Any]] = {}      # DVPG moid -> props
        self._macs: dict[str, str] = {}                # VM moid -> machine MAC reported
        self._master: str | None = None                # moid of the master's own VM (config.master_vm)
        self._typed_seen = 0                           # console lines of it already forwarded
        self._initial = False                          # pushing what was there before we first looked
        self._watched_before = False
        self._master_tasks = MasterSnapshotTasks(engine)   # snapshots and reverts of the master's VM
        self._reader: tuple[Any, Any] | None = None         # (property collector, task manager) to read tasks

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="fuelsim-discovery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.max_wait + 5)
            self._thread = None

    def resync(self) -> None:
        """Report every VM again (after the simulator forgot its machines)."""
        self._macs.clear()
        self._resync.set()

    # ----- the watch loop -------------------------------------------------------------------------------
    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                self._watch()
                delay = 0.5
            except Exception as exc:  # vCenter down, restarted, session lost: reconnect
                log.info("fuelsim discovery: %s; reconnecting in %.1fs", exc, delay)
                self._close()
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
        self._close()

    def _connect(self) -> Any:
        parts = urlsplit(self.url)
        return SmartConnect(protocol=parts.scheme or "https", host=parts.hostname or "localhost",
                            port=parts.port or (443 if parts.scheme == "https" else 80), user=self.user,
                            pwd=self._password, path=parts.path or "/sdk", disableSslCertValidation=True,
                            httpConnectionTimeout=10)

    def _watch(self) -> None:
        self._si = self._connect()
        content = self._si.RetrieveContent()
        collector = content.propertyCollector.CreatePropertyCollector()
        views = [content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
                 for kind in (vim.VirtualMachine, vim.dvs.DistributedVirtualPortgroup)]
        collector.CreateFilter(PC.FilterSpec(
            objectSet=[_view_spec(v) for v in views],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=VM_PATHS),
                     PC.PropertySpec(type=vim.dvs.DistributedVirtualPortgroup, pathSet=PG_PATHS)]),
            partialUpdates=False)
        reader, tasks = content.propertyCollector, content.taskManager
        self._reader = (reader, tasks)
        self._master_tasks.read_now(reader, tasks, self._si._stub, None, history=True)   # what ended is history
        self._vms.clear()
        self._pgs.clear()
        version, first = "", True
        while not self._stop.is_set():
            update = collector.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=self.max_wait))
            self._master_tasks.read_now(reader, tasks, self._si._stub, self._master)
            if self._resync.is_set():
                self._resync.clear()
                self._push(set(self._vms), set())
            if update is None:
                continue
            version = update.version
            changed, gone, pgs_changed = self._apply(update)
            for vm in list(self._powered_on.values()):
                self._reread(collector, vm)
            self._powered_on.clear()
            if pgs_changed:
                changed = set(self._vms)
            if first:  # after a (re)connect: VMs we knew that are not there any more are gone
                gone |= {m for m in self._macs if m not in self._vms}
                if self._master is not None and self._master not in self._vms:
                    gone.add(self._master)
            self._initial = first and not self._watched_before
            first, self._watched_before = False, True
            self._push(changed, gone)

    def catch_up(self) -> None:
        """Read vCenter's newest tasks now: a snapshot or revert of the master that ended counts from here."""
        si, reader, master = self._si, self._reader, self._master
        if si is None or reader is None or master is None:
            return
        try:
            self._master_tasks.read_now(reader[0], reader[1], si._stub, master)
        except Exception as exc:  # vCenter down or restarting: the watcher reconnects and reads it all again
            log.debug("fuelsim discovery: reading recent tasks: %s", exc)

    def _apply(self, update: Any) -> tuple[set[str], set[str], bool]:
        changed: set[str] = set()
        gone: set[str] = set()
        pgs_changed = False
        for filter_set in update.filterSet or []:
            for obj in filter_set.objectSet or []:
                moid = obj.obj._moId
                is_vm = isinstance(obj.obj, vim.VirtualMachine)
                table = self._vms if is_vm else self._pgs
                if obj.kind == "leave":
                    table.pop(moid, None)
                    if is_vm:
                        gone.add(moid)
                    pgs_changed = pgs_changed or not is_vm
                    continue
                props = table.setdefault(moid, {})
                for change in obj.changeSet or []:
                    if change.op in ("remove", "indirectRemove"):
                        props.pop(change.name, None)
                    else:
                        props[change.name] = change.val
                        if is_vm and change.name == "runtime.powerState" and change.val == "poweredOn":
                            self._powered_on[moid] = obj.obj
                if is_vm:
                    changed.add(moid)
                else:
                    pgs_changed = True
        return changed, gone, pgs_changed

    def _reread(self, collector: Any, vm: Any) -> None:
        """Read a VM that just powered on in full: vcsim can announce a VM before its
        configuration is complete and never send the rest, which would register a node with
        no memory (and fail its provisioning)."""
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vm)],
                             propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=VM_PATHS)])
        try:
            result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
        except vmodl.fault.ManagedObjectNotFound:
            return
        for obj in (result.objects if result else []):
            self._vms[obj.obj._moId] = {p.name: p.val for p in obj.propSet}

    def _push(self, changed: set[str], gone: set[str]) -> None:
        pg_names = {p["key"]: p.get("name") for p in self._pgs.values() if p.get("key")}
        for moid in gone:
            mac = self._macs.pop(moid, None)
            if mac:
                self.engine.machine_gone(mac)
            if moid == self._master:
                self._master = None
                self.engine.master_vm_gone()
        for moid in changed:
            if self.master_vm and self._vms.get(moid, {}).get("name") == self.master_vm:
                self._push_master(moid)
                continue
            machine = machine_from_vm(moid, self._vms.get(moid, {}), pg_names, self.pxe)
            old = self._macs.get(moid)
            if old and (machine is None or machine.mac != old):
                self.engine.machine_gone(old)
                self._macs.pop(moid, None)
            if machine is not None:
                self._macs[moid] = machine.mac
                self.engine.machine_seen(machine)

    def _push_master(self, moid: str) -> None:
        """The master's own VM drives the master (power, boot device, console), never a node."""
        props = self._vms.get(moid, {})
        if moid != self._master:
            self._master, self._typed_seen = moid, 0
        lines = typed_lines(props)
        if len(lines) < self._typed_seen:   # the option was reset: a new console history
            self._typed_seen = 0
        typed = "".join(lines[self._typed_seen:])
        self._typed_seen = len(lines)
        self.engine.master_vm_seen(moid=moid, powered=props.get("runtime.powerState") == "poweredOn",
                                   boot_devices=boot_devices(props), initial=self._initial, typed=typed)

    def _close(self) -> None:
        si, self._si = self._si, None
        if si is not None:
            try:
                Disconnect(si)
            except Exception:  # the connection may already be dead; nothing to clean up then
                pass

    # ----- read at verification time -------------------------------------------------------------------
    def l2_facts(self, portgroup_keys: set[str]) -> dict[str, L2Facts]:
        """Read the port groups' VLAN and promiscuous policy from vCenter now."""
        si = self._si
        moids = {p["key"]: moid for moid, p in list(self._pgs.items()) if p.get("key") in portgroup_keys}
        if si is None or not moids:
            return {}
        stub = si._stub
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vim.dvs.DistributedVirtualPortgroup(m, stub))
                                        for m in moids.values()],
                             propSet=[PC.PropertySpec(type=vim.dvs.DistributedVirtualPortgroup, pathSet=PG_PATHS)])
        result = si.RetrieveContent().propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
        facts = {}
        for obj in getattr(result, "objects", None) or []:
            props = {p.name: p.val for p in obj.propSet}
            if props.get("key"):
                facts[props["key"]] = port_facts(props)
        return facts
