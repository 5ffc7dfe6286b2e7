"""Deploy steps on the Fuel side: discovery, environment, settings, networks, roles, interfaces
and verification (``deploy_changes`` presses Deploy Changes and follows it).

Every step reads Fuel's state first; re-running a deploy on a deployed lab changes only what
differs (a node added to the spec is discovered, assigned and deployed; nothing else).
"""
from __future__ import annotations

from typing import Sequence

from core.errors import FuelError
from integrations.fuel.enums import ClusterStatus, NodeStatus, TaskStatus
from integrations.fuel.models import Node
from workflows import fuel_settings
from workflows.cause import explain
from workflows.deploy_vsphere import DeployRun
from workflows.ports import FuelPort
from workflows.voices.deploy_facts import (AllDiscovered, DiscoveryWaiting, EnvironmentCreated, EnvironmentExists,
                                           FoundNode, InterfacesMapped, MappedInterface, NetworksConfigured,
                                           NetworksLocked, NetworksMatch, NodesDiscovered, NodesOffline, NodesOnline,
                                           RolesAssigned,
                                           SettingsApplied, SettingsLocked, SettingsMatch, StrangerNode,
                                           VerificationPassed, VerificationSkipped)
from workflows.voices import deploy_failures as failures

def _node_for(nodes: Sequence[Node], macs: Sequence[str]) -> Node | None:
    wanted = {m.lower() for m in macs}
    for node in nodes:
        if node.mac.lower() in wanted or any(i.mac.lower() in wanted for i in node.interfaces):
            return node
    return None


def cluster_id_of(run: DeployRun) -> int:
    if run.data.cluster_id is None:
        raise failures.no_environment_recorded()
    return run.data.cluster_id


def step_discover(run: DeployRun) -> None:
    """Wait until Fuel has discovered every node VM (matched by MAC); report strangers once."""
    lab, client, data = run.lab, run.fuel(), run.data
    lab_macs = {m.lower() for vm in data.vms.values() for m in vm.macs}
    started = run.now()

    def poll() -> tuple[str, ...]:
        """One look at Fuel's nodes: what it found since the last look; the VMs still missing."""
        nodes = client.nodes()
        fresh = []
        for spec in lab.nodes:
            if spec.name in data.nodes or spec.name not in data.vms:
                continue
            node = _node_for(nodes, data.vms[spec.name].macs)
            if node is not None:
                data.nodes[spec.name] = node.id
                fresh.append(FoundNode(node_id=node.id, vm=spec.name, mac=node.mac))
        if fresh:
            run.tell(NodesDiscovered(nodes=tuple(fresh), after=run.now() - started))
            run.save()
        for node in nodes:
            if node.cluster is None and node.mac.lower() not in lab_macs and node.mac not in data.strangers:
                data.strangers.append(node.mac)
                run.tell(StrangerNode(node_id=node.id, mac=node.mac, lab=lab.name))
                run.save()
        return tuple(s.name for s in lab.nodes if s.name not in data.nodes)

    def waiting(missing: tuple[str, ...] | None) -> None:
        data.discover_waited = True
        run.tell(DiscoveryWaiting(missing=missing or (), waited=run.now() - started))

    def gave_up(_: tuple[str, ...] | None, __: FuelError | None) -> Exception:
        return failures.discovery_timed_out([s.name for s in lab.nodes if s.name not in data.nodes],
                                            within=run.deps.timeouts.discovery, pxe=lab.networks.pxe)

    run.follow(poll, done=lambda missing: not missing, state=lambda missing: missing,
               describe=lambda missing: f"Fuel to discover {', '.join(missing or ())}",
               timeout=run.deps.timeouts.discovery, error=FuelError, max_poll=run.deps.timeouts.poll,
               on_wait=waiting, give_up=gave_up)
    if data.discover_waited:
        run.tell(AllDiscovered(count=len(lab.nodes), after=run.now() - started))


def step_environment(run: DeployRun) -> None:
    """Create the OpenStack environment (release, mode, nova-network) unless it exists."""
    lab = run.lab
    env = lab.environment
    client = run.fuel()
    cluster = client.find_cluster(env.name)
    if cluster is None:
        release = client.find_release(env.release, env.release_version)
        cluster = client.create_cluster(name=env.name, release_id=release.id, mode=env.mode,
                                        net_provider=env.network_provider)
        run.tell(EnvironmentCreated(environment=env, cluster_id=cluster.id,
                                    vcenter_host=lab.vcenter.url.split("//")[-1].split("/")[0]))
    else:
        run.tell(EnvironmentExists(name=env.name, cluster_id=cluster.id, status=cluster.status.value))
    run.data.cluster_id = cluster.id
    run.save()


def _locked(client: FuelPort, cluster_id: int) -> bool:
    cluster = client.cluster(cluster_id)
    if cluster.status not in (ClusterStatus.NEW, ClusterStatus.STOPPED):
        return True
    return any(n.status is NodeStatus.READY for n in client.nodes(cluster_id))


def step_settings(run: DeployRun) -> None:
    """Settings tab: passwords, public key, syslog, vCenter compute and Glance, provisioning."""
    lab = run.lab
    client = run.fuel()
    cluster_id = cluster_id_of(run)
    attributes = client.attributes(cluster_id)
    editable = attributes.get("editable", attributes)
    changed = fuel_settings.apply_settings(lab, editable)
    settings = lab.environment.settings
    if not changed:
        run.tell(SettingsMatch(provisioning=settings.provisioning, syslog_host=settings.syslog_host))
        return
    if _locked(client, cluster_id):
        run.tell(SettingsLocked(changed=tuple(changed)))
        return
    client.update_attributes(cluster_id, editable)
    run.tell(SettingsApplied(provisioning=settings.provisioning, syslog_host=settings.syslog_host,
                             changed=len(changed)))


def step_networks(run: DeployRun) -> None:
    """Networks tab: the lab's CIDRs and nova-network's FlatDHCPManager."""
    lab = run.lab
    env = lab.environment
    client = run.fuel()
    cluster_id = cluster_id_of(run)
    config = client.network_configuration(cluster_id, env.network_provider)
    changed = fuel_settings.apply_networks(lab, config)
    listing = tuple((n.name, n.cidr) for n in env.networks)
    if not changed:
        run.tell(NetworksMatch(networks=listing))
        return
    if _locked(client, cluster_id):
        run.tell(NetworksLocked())
        return
    task = client.update_network_configuration(cluster_id, env.network_provider, config)
    if task.status is TaskStatus.ERROR:
        raise failures.networks_refused(task.message, lab.source)
    run.tell(NetworksConfigured(networks=listing, manager=env.network_manager))


def step_roles(run: DeployRun) -> None:
    """Add the discovered nodes to the environment with their roles (only nodes not in it yet)."""
    lab = run.lab
    client = run.fuel()
    cluster_id = cluster_id_of(run)
    by_id = {n.id: n for n in client.nodes()}
    wanted: dict[int, list[str]] = {}
    for spec in lab.nodes:
        node = by_id.get(run.data.nodes[spec.name])
        if node is None:
            raise failures.node_disappeared(run.data.nodes[spec.name], spec.name)
        if node.cluster == cluster_id:
            continue
        if node.cluster is not None:
            raise failures.node_elsewhere(node.id, spec.name, node.cluster)
        wanted[node.id] = list(spec.roles)
    if wanted:
        client.assign_roles(cluster_id, wanted)
        names = run.data.vm_names_by_node()
        run.tell(RolesAssigned(assignments=tuple((nid, names[nid], tuple(roles)) for nid, roles in wanted.items())))
    run.save()


def step_interfaces(run: DeployRun) -> None:
    """Map Fuel networks to NICs by MAC, as the article does by hand in `Configure Interfaces`."""
    lab = run.lab
    client = run.fuel()
    cluster_id = cluster_id_of(run)
    nodes = {n.id: n for n in client.nodes(cluster_id)}
    mapped = []
    for spec in lab.nodes:
        node = nodes.get(run.data.nodes[spec.name])
        if node is None or not node.pending_addition:
            continue
        macs = run.data.vms[spec.name].macs
        mapping = {macs[i]: list(nic.fuel_networks) for i, nic in enumerate(spec.vm.nics)
                   if i < len(macs) and nic.fuel_networks}
        interfaces = client.assign_networks_by_mac(node.id, mapping)
        mapped.append((node.id, tuple(MappedInterface(name=i.name, mac=i.mac, networks=tuple(i.network_names))
                                      for i in interfaces if i.type == "ether")))
    if mapped:
        run.tell(InterfacesMapped(nodes=tuple(mapped)))


def _offline(run: DeployRun, nodes: Sequence[Node]) -> tuple[str, ...]:
    names = run.data.vm_names_by_node()
    return tuple(f"node-{n.id}" + (f" `{names[n.id]}`" if n.id in names else "") for n in nodes if not n.online)


def _wait_online(run: DeployRun, client: FuelPort, cluster_id: int) -> None:
    """Nodes reboot into bootstrap after a reset and are offline meanwhile; verifying then only fails."""
    started = run.now()
    waited = False

    def waiting(offline: tuple[str, ...] | None) -> None:
        nonlocal waited
        waited = True
        run.tell(NodesOffline(nodes=offline or (), waited=run.now() - started))

    def gave_up(offline: tuple[str, ...] | None, _: FuelError | None) -> Exception:
        return failures.nodes_stayed_offline(offline or (), within=run.deps.timeouts.discovery, lab=run.lab.name)

    nodes = run.follow(lambda: _offline(run, client.nodes(cluster_id)), done=lambda offline: not offline,
                       state=lambda offline: offline, describe=lambda offline: f"{', '.join(offline or ())} to come "
                       "back online", timeout=run.deps.timeouts.discovery, error=FuelError,
                       max_poll=run.deps.timeouts.poll * 5, on_wait=waiting, give_up=gave_up)
    if waited and not nodes:
        run.tell(NodesOnline(count=len(client.nodes(cluster_id)), after=run.now() - started))


def step_verify(run: DeployRun) -> None:
    """Network verification; stops on failure with Fuel's message and the likely cause."""
    lab = run.lab
    env = lab.environment
    client = run.fuel()
    cluster_id = cluster_id_of(run)
    nodes = client.nodes(cluster_id)
    if not any(n.pending_addition for n in nodes):
        run.tell(VerificationSkipped(nodes=None))
        return
    if len(nodes) < 2:
        run.tell(VerificationSkipped(nodes=len(nodes), environment=env.name))
        return
    task_id = run.data.verify_task
    if task_id is None:
        _wait_online(run, client, cluster_id)
        config = client.network_configuration(cluster_id, env.network_provider)
        task_id = client.verify_networks(cluster_id, env.network_provider, config).id
        run.data.verify_task = task_id
        run.save()
    task = run.follow_task(client, task_id, timeout=run.deps.timeouts.verify)
    run.data.verify_task = None
    if task.status is TaskStatus.ERROR:
        offline = _offline(run, client.nodes(cluster_id))
        diagnosis = explain(run, client, task, vm_names=run.data.vm_names_by_node())
        raise failures.verification_failed(task.message, task.result, pxe=lab.networks.pxe, lab=lab.name,
                                           nodes=diagnosis.nodes, offline=offline)
    run.tell(VerificationPassed(networks=tuple((n.name, n.cidr) for n in env.networks)))
