"""How the lab is cabled: port groups, VM names, each VM's NICs and the Fuel networks on them.

What the article asks of vSphere (a promiscuous ``pxe`` port group; nova-network's ``br100``
on a standard vSwitch with ``vmnic0`` as uplink) and what Fuel 6.0 checks when it verifies
networks (admin network on the PXE interface; one untagged network per interface).
Works on a draft ``Lab`` (see ``labspec.loader``): None means "unreadable, already reported".
"""
from __future__ import annotations

from labspec.fuel60 import ADMIN_NETWORK, MAX_NICS, NOVA_BRIDGE, NOVA_UPLINK
from labspec.model import Lab, VMSpec
from labspec.problem_text import suggest
from labspec.problems import ProblemLog

_PG = "vsphere_networks"


def check(lab: Lab, log: ProblemLog) -> None:
    """Log every wiring problem of ``lab``."""
    declared = _check_port_groups(lab, log)
    _check_vm_names(lab, log)
    vms = [(f"nodes[{i}]", node.vm) for i, node in enumerate(lab.nodes or ()) if node.vm]
    master = lab.fuel.vm if lab.fuel else None
    for path, vm in vms + ([("fuel.master_vm", master)] if master else []):
        _check_nics(log, path, vm, declared)
    if master and master.nics and declared is not None and lab.networks.pxe \
            and master.nics[0].portgroup not in (None, lab.networks.pxe):
        log.add("fuel.master_vm.nics[0]", f"the Fuel master's first NIC must be on the pxe port group "
                                          f"'{lab.networks.pxe}' (it becomes eth0, Fuel's admin network)")
    if declared is not None and lab.networks.pxe:
        for path, vm in vms:
            _check_boot_nic(lab, log, path, vm)
            _check_fuel_networks(lab, log, path, vm)


def _check_port_groups(lab: Lab, log: ProblemLog) -> tuple[str, ...] | None:
    """The declared port group names, or None when they cannot be known."""
    networks = lab.networks
    if networks is None:
        return None
    groups = [(f"{_PG}.distributed[{i}]", p) for i, p in enumerate(networks.distributed)] + \
             [(f"{_PG}.standard[{i}]", p) for i, p in enumerate(networks.standard)]
    seen: dict[str, str] = {}
    for path, group in groups:
        if group.name in seen:
            log.add(f"{path}.name", f"port group '{group.name}' is already declared at {seen[group.name]}")
        elif group.name:
            seen[group.name] = path
    declared = tuple(seen)
    pxe = next((p for p in networks.distributed if p.name and p.name == networks.pxe), None)
    if networks.pxe and networks.pxe not in seen:
        log.add(f"{_PG}.pxe", f"pxe names port group '{networks.pxe}', which is not declared"
                              f"{suggest(networks.pxe, declared)}", allowed=declared)
    elif pxe is not None and pxe.promiscuous is False:
        log.add(f"{seen[pxe.name]}.promiscuous", f"port group '{pxe.name}' carries PXE and must allow "
                "promiscuous mode, as the article says (Fuel's network verification needs it)")
    if _needs_bridge(lab):
        bridges = [i for i, p in enumerate(networks.standard) if p.name == NOVA_BRIDGE]
        if not bridges:
            log.add(f"{_PG}.standard", f"nova-network on vCenter needs a standard vSwitch port group "
                                       f"named {NOVA_BRIDGE} (it supports no distributed switch)")
        elif networks.standard[bridges[0]].uplink not in (None, NOVA_UPLINK):
            log.add(f"{_PG}.standard[{bridges[0]}].uplink", f"{NOVA_BRIDGE} must have {NOVA_UPLINK} as "
                    "uplink, or OpenStack cannot start instances (the article)")
    return declared


def _needs_bridge(lab: Lab) -> bool:
    env = lab.environment
    return env is not None and env.compute == "vcenter" and env.network_provider == "nova_network" \
        and env.network_manager == "FlatDHCPManager"


def _check_vm_names(lab: Lab, log: ProblemLog) -> None:
    seen: dict[str, str] = {}
    master = lab.fuel.vm if lab.fuel else None
    if master and master.name:
        seen[master.name] = "the Fuel master VM"
    for index, node in enumerate(lab.nodes or ()):
        name = node.vm.name if node.vm else None
        if name in seen:
            log.add(f"nodes[{index}].name", f"VM name '{name}' is already used by {seen[name]}")
        elif name:
            seen[name] = f"nodes[{index}]"


def _check_nics(log: ProblemLog, path: str, vm: VMSpec, declared: tuple[str, ...] | None) -> None:
    if vm.nics is None:
        return
    if not vm.nics:
        log.add(f"{path}.nics", "a VM needs at least one NIC (on the pxe port group)")
    if len(vm.nics) > MAX_NICS:
        log.add(f"{path}.nics", f"{len(vm.nics)} NICs; vSphere allows at most {MAX_NICS} per VM")
    for index, nic in enumerate(vm.nics):
        if declared is not None and nic.portgroup is not None and nic.portgroup not in declared:
            log.add(f"{path}.nics[{index}].portgroup",
                    f"port group '{nic.portgroup}' is not declared in {_PG}"
                    f"{suggest(nic.portgroup, declared)}", allowed=declared)


def _check_boot_nic(lab: Lab, log: ProblemLog, path: str, vm: VMSpec) -> None:
    """A node network-boots from the one NIC on the pxe port group, wherever it is in the list."""
    if not vm.nics:
        return
    pxe = lab.networks.pxe
    on_pxe = [i for i, nic in enumerate(vm.nics) if nic.portgroup == pxe]
    if not on_pxe and not any(nic.portgroup is None for nic in vm.nics):
        log.add(f"{path}.nics", f"no NIC is on the pxe port group '{pxe}': the node could not PXE-boot "
                                "from Fuel (add a NIC on it, in any position)")
    elif len(on_pxe) > 1:
        numbers = " and ".join(str(i + 1) for i in on_pxe)
        log.add(f"{path}.nics[{on_pxe[1]}].portgroup", f"NICs {numbers} are both on the pxe port group "
                f"'{pxe}': the node boots from one NIC, and Fuel would see two admin interfaces")


def _check_fuel_networks(lab: Lab, log: ProblemLog, path: str, vm: VMSpec) -> None:
    """Each Fuel network on one NIC; admin on the pxe NIC; untagged networks on separate NICs."""
    if not vm.nics:
        return
    env = lab.environment
    # VLANs are only known when the networks were readable; otherwise skip the untagged check
    tagged = {n.name for n in env.networks if n.vlan is not None} if env and env.networks is not None else None
    placed: dict[str, int] = {}
    for index, nic in enumerate(vm.nics):
        nic_path = f"{path}.nics[{index}]"
        for network in nic.fuel_networks:
            if network in placed:
                log.add(f"{nic_path}.fuel_networks", f"{network} is already mapped on NIC "
                        f"{placed[network] + 1} ({vm.nics[placed[network]].portgroup}); a Fuel network "
                        "goes on one NIC of a node")
                continue
            placed[network] = index
        untagged = [n for n in dict.fromkeys(nic.fuel_networks) if n not in (tagged or ())]
        if tagged is not None and len(untagged) > 1:
            log.add(f"{nic_path}.fuel_networks", f"untagged networks {' and '.join(untagged)} share "
                    "one NIC; Fuel 6.0 needs each untagged network on its own interface (give one a "
                    "VLAN or add a NIC)")
        if env is not None and _needs_bridge(lab) and "fixed" in nic.fuel_networks \
                and nic.portgroup not in (None, NOVA_BRIDGE):
            log.add(f"{nic_path}.portgroup", f"the fixed network must be on port group {NOVA_BRIDGE} "
                    f"with nova-network on vCenter, not '{nic.portgroup}'")
    pxe = lab.networks.pxe
    if ADMIN_NETWORK not in placed:
        log.add(f"{path}.nics", f"no NIC carries {ADMIN_NETWORK}; map it on the NIC attached to the "
                                f"pxe port group '{pxe}'")
    elif vm.nics[placed[ADMIN_NETWORK]].portgroup not in (None, pxe):
        admin = placed[ADMIN_NETWORK]
        log.add(f"{path}.nics[{admin}].fuel_networks",
                f"{ADMIN_NETWORK} must be on the NIC attached to the pxe port group '{pxe}', not on "
                f"'{vm.nics[admin].portgroup}' (nodes PXE-boot and talk to Fuel there)")
