"""Deploy steps on the Fuel side: discovery, environment, settings, networks, roles,
interfaces, verification, deploy changes and following the deployment.

Every step reads Fuel's state first; re-running a deploy on a deployed lab changes only what
differs (a node added to the spec is discovered, assigned and deployed; nothing else).
"""
from __future__ import annotations

import time

from core.errors import FuelError, StepFailed
from integrations.fuel.enums import ClusterStatus, NodeStatus, TaskName, TaskStatus
from jobs.steps import StepContext
from workflows import fuel_settings
from workflows.deps import fuel, lab_of
from workflows.texts import deploy_progress, duration

PROMISCUOUS_HINT = ("Likely cause: port group `{pxe}` does not allow promiscuous mode (or a NIC sits on a port "
                    "group with the wrong VLAN). Fix: `/fuel preflight {lab} --fix`, then `/fuel deploy {lab}` "
                    "(it resumes; nothing is recreated).")


def _node_for(nodes, macs: list[str]):
    wanted = {m.lower() for m in macs}
    for node in nodes:
        if node.mac.lower() in wanted or any(i.mac.lower() in wanted for i in node.interfaces):
            return node
    return None


def step_discover(ctx: StepContext) -> None:
    """Wait until Fuel has discovered every node VM (matched by MAC); report strangers once."""
    lab = lab_of(ctx)
    client = fuel(ctx, lab)
    vms = ctx.data.get("vms", {})
    found: dict[str, int] = ctx.data.setdefault("nodes", {})
    strangers: list[str] = ctx.data.setdefault("strangers", [])
    lab_macs = {m.lower() for vm in vms.values() for m in vm["macs"]}
    started = time.monotonic()
    deadline = started + ctx.deps.timeouts.discovery
    while True:
        nodes = client.nodes()
        fresh = []
        for spec in lab.nodes:
            if spec.name in found or spec.name not in vms:
                continue
            node = _node_for(nodes, vms[spec.name]["macs"])
            if node is not None:
                found[spec.name] = node.id
                fresh.append(f"node-{node.id} ⇐ `{spec.name}` ({node.mac})")
        if fresh:
            # one message per poll, not per node: a 100-node lab must not flood its thread
            after = f" after {duration(time.monotonic() - started)}"
            shown = fresh if len(fresh) <= 10 else fresh[:8] + [f"… and {len(fresh) - 8} more"]
            ctx.report.say(f"📡 Discovered by Fuel{after}: " + ("\n   • ".join([""] + shown) if len(fresh) > 1
                                                                 else shown[0]))
            ctx.save()
        for node in nodes:
            if node.cluster is None and node.mac.lower() not in lab_macs and node.mac not in strangers:
                strangers.append(node.mac)
                ctx.report.say(f"👽 Unknown node on the PXE network: node-{node.id} ({node.mac}) matches none of "
                               f"{lab.name}'s VMs; it is left alone.")
                ctx.save()
        missing = [s.name for s in lab.nodes if s.name not in found]
        if not missing:
            if ctx.data.get("discover_waited"):
                ctx.report.progress(f"📡 All {len(lab.nodes)} node(s) discovered "
                                    f"({duration(time.monotonic() - started)})", force=True, phase="discover")
            return
        ctx.data["discover_waited"] = True
        if time.monotonic() > deadline:
            raise StepFailed(f"Fuel did not discover {', '.join(missing)} within "
                             f"{duration(ctx.deps.timeouts.discovery)}. Check in the VM console that it PXE-boots "
                             f"from `{lab.networks.pxe}` and that nothing else answers DHCP there.")
        ctx.report.progress(f"⏳ Waiting for Fuel to discover {', '.join(f'`{m}`' for m in missing)} "
                            f"({duration(time.monotonic() - started)})", phase="discover")
        ctx.checkpoint()
        time.sleep(ctx.deps.timeouts.poll)


def step_environment(ctx: StepContext) -> None:
    """Create the OpenStack environment (release, mode, nova-network) unless it exists."""
    lab = lab_of(ctx)
    env = lab.environment
    client = fuel(ctx, lab)
    cluster = client.find_cluster(env.name)
    if cluster is None:
        release = client.find_release(env.release, env.release_version)
        cluster = client.create_cluster(name=env.name, release_id=release.id, mode=env.mode,
                                        net_provider=env.network_provider)
        compute = "vCenter " + (lab.vcenter.url.split("//")[-1].split("/")[0]) if env.compute == "vcenter" \
            else env.compute
        ctx.report.say(f"🏗️ Environment `{env.name}` created (id {cluster.id}): release {env.release}, "
                       f"{env.mode}, {compute}, {env.network_provider} {env.network_manager}")
    else:
        ctx.report.say(f"🏗️ Environment `{env.name}` exists (id {cluster.id}, {cluster.status.value}).")
    ctx.data["cluster_id"] = cluster.id
    ctx.save()


def _locked(client, cluster_id: int) -> bool:
    cluster = client.cluster(cluster_id)
    if cluster.status not in (ClusterStatus.NEW, ClusterStatus.STOPPED):
        return True
    return any(n.status is NodeStatus.READY for n in client.nodes(cluster_id))


def step_settings(ctx: StepContext) -> None:
    """Settings tab: passwords, public key, syslog, vCenter compute and Glance, provisioning."""
    lab = lab_of(ctx)
    client = fuel(ctx, lab)
    cluster_id = ctx.data["cluster_id"]
    attributes = client.attributes(cluster_id)
    editable = attributes.get("editable", attributes)
    changed = fuel_settings.apply_settings(lab, editable)
    settings = lab.environment.settings
    described = f"provisioning: {settings.provisioning}" + (f", syslog {settings.syslog_host}"
                                                            if settings.syslog_host else "")
    if not changed:
        ctx.report.say(f"⚙️ Settings already match the spec ({described}).")
        return
    if _locked(client, cluster_id):
        ctx.report.say(f"⚠️ Settings differ from the spec ({', '.join(changed[:6])}) but Fuel 6.0 locks them once "
                       "an environment is deployed; left as they are.")
        return
    client.update_attributes(cluster_id, editable)
    ctx.report.say(f"⚙️ Settings applied ({described}; {len(changed)} field(s) changed).")


def step_networks(ctx: StepContext) -> None:
    """Networks tab: the lab's CIDRs and nova-network's FlatDHCPManager."""
    lab = lab_of(ctx)
    env = lab.environment
    client = fuel(ctx, lab)
    cluster_id = ctx.data["cluster_id"]
    config = client.network_configuration(cluster_id, env.network_provider)
    changed = fuel_settings.apply_networks(lab, config)
    listing = ", ".join(f"{n.name} {n.cidr}" for n in env.networks)
    if not changed:
        ctx.report.say(f"🌐 Networks already match the spec ({listing}).")
        return
    if _locked(client, cluster_id):
        ctx.report.say("⚠️ Networks differ from the spec but Fuel 6.0 locks them once deployed; left as they are.")
        return
    task = client.update_network_configuration(cluster_id, env.network_provider, config)
    if task.status is TaskStatus.ERROR:
        raise StepFailed(f"Fuel refused the network configuration: {task.message}. Fix the networks in "
                         f"{lab.source}.")
    ctx.report.say(f"🌐 Networks configured: {listing}; {env.network_manager}.")


def step_roles(ctx: StepContext) -> None:
    """Add the discovered nodes to the environment with their roles (only nodes not in it yet)."""
    lab = lab_of(ctx)
    client = fuel(ctx, lab)
    cluster_id = ctx.data["cluster_id"]
    by_id = {n.id: n for n in client.nodes()}
    wanted: dict[int, list[str]] = {}
    for spec in lab.nodes:
        node = by_id.get(ctx.data["nodes"][spec.name])
        if node is None:
            raise StepFailed(f"node-{ctx.data['nodes'][spec.name]} (`{spec.name}`) disappeared from Fuel.")
        if node.cluster == cluster_id:
            continue
        if node.cluster is not None:
            raise StepFailed(f"node-{node.id} (`{spec.name}`) belongs to another environment (id {node.cluster}); "
                             "remove it there first.")
        wanted[node.id] = list(spec.roles)
    if wanted:
        client.assign_roles(cluster_id, wanted)
        names = {v: k for k, v in ctx.data["nodes"].items()}
        ctx.report.say("🎭 Roles assigned: " + ", ".join(
            f"node-{nid} `{names[nid]}` → {'+'.join(roles)}" for nid, roles in wanted.items()))
    ctx.save()


def step_interfaces(ctx: StepContext) -> None:
    """Map Fuel networks to NICs by MAC, as the article does by hand in `Configure Interfaces`."""
    lab = lab_of(ctx)
    client = fuel(ctx, lab)
    cluster_id = ctx.data["cluster_id"]
    nodes = {n.id: n for n in client.nodes(cluster_id)}
    lines = []
    for spec in lab.nodes:
        node = nodes.get(ctx.data["nodes"][spec.name])
        if node is None or not node.pending_addition:
            continue
        macs = ctx.data["vms"][spec.name]["macs"]
        mapping = {macs[i]: list(nic.fuel_networks) for i, nic in enumerate(spec.vm.nics)
                   if i < len(macs) and nic.fuel_networks}
        interfaces = client.assign_networks_by_mac(node.id, mapping)
        lines.append(f"   • node-{node.id}: " + "; ".join(
            f"{i.name} ({i.mac}) {'+'.join(i.network_names) or '—'}" for i in interfaces if i.type == "ether"))
    if lines:
        ctx.report.say("🔌 Interfaces mapped by MAC:\n" + "\n".join(lines))


def step_verify(ctx: StepContext) -> None:
    """Network verification; stops on failure with Fuel's message and the likely cause."""
    lab = lab_of(ctx)
    env = lab.environment
    client = fuel(ctx, lab)
    cluster_id = ctx.data["cluster_id"]
    nodes = client.nodes(cluster_id)
    if not any(n.pending_addition for n in nodes):
        ctx.report.say("🔬 Network verification skipped: no new node to verify.")
        return
    if len(nodes) < 2:
        ctx.report.say("🔬 Network verification skipped: Fuel 6.0 verifies networks only with two nodes or more "
                       f"({len(nodes)} in `{env.name}`).")
        return
    task_id = ctx.data.get("verify_task")
    if task_id is None:
        config = client.network_configuration(cluster_id, env.network_provider)
        task = client.verify_networks(cluster_id, env.network_provider, config)
        task_id = task.id
        ctx.data["verify_task"] = task_id
        ctx.save()
    task = client.wait_for_task(task_id, deadline=time.monotonic() + ctx.deps.timeouts.verify,
                                poll=ctx.deps.timeouts.poll, should_stop=ctx.cancel_requested)
    ctx.checkpoint()
    ctx.data.pop("verify_task", None)
    if task.status is TaskStatus.ERROR:
        details = _verify_details(task)
        hint = PROMISCUOUS_HINT.format(pxe=lab.networks.pxe, lab=lab.name)
        raise StepFailed(f"Network verification failed: {task.message or 'no message'}{details}\n{hint}",
                         step="verify_networks", hint=hint)
    listing = ", ".join(f"{n.name} {n.cidr}" for n in env.networks)
    ctx.report.say(f"🔬 Network verification passed ({listing}).")


def _verify_details(task) -> str:
    rows = task.result if isinstance(task.result, list) else []
    parts = [f"node {r.get('name') or r.get('uid')} {r.get('interface')} missing VLAN(s) "
             f"{', '.join(str(v) for v in r.get('absent_vlans', []))}" for r in rows[:5] if isinstance(r, dict)]
    return (" (" + "; ".join(parts) + ")") if parts else ""


def step_deploy_changes(ctx: StepContext) -> None:
    """Press `Deploy Changes` once: adopt a deploy already running, never start a second one."""
    lab = lab_of(ctx)
    client = fuel(ctx, lab)
    cluster_id = ctx.data["cluster_id"]
    if ctx.data.get("deploy_task"):
        return
    running = [t for t in client.tasks(cluster_id) if t.name is TaskName.DEPLOY and t.status is TaskStatus.RUNNING]
    if running:
        ctx.data["deploy_task"] = running[0].id
        ctx.save()
        ctx.report.say(f"🚀 Following the deploy already running in Fuel (task #{running[0].id}).")
        return
    cluster = client.cluster(cluster_id)
    pending = [n for n in client.nodes(cluster_id) if n.pending_addition or n.pending_deletion or n.pending_roles]
    if cluster.status is ClusterStatus.OPERATIONAL and not pending:
        ctx.data["deploy_task"] = None
        ctx.report.say(f"✅ Nothing to deploy: `{cluster.name}` is operational and matches the spec.")
        return
    try:
        task = client.deploy_changes(cluster_id)
    except FuelError as exc:
        raise StepFailed(f"Fuel refused to deploy changes: {exc}") from exc
    if task.status is TaskStatus.ERROR:
        raise StepFailed(f"Fuel's pre-deployment checks failed: {task.message}", step="deploy_changes")
    ctx.data["deploy_task"] = task.id
    ctx.data["deploy_started"] = time.time()
    ctx.save()
    ctx.report.say(f"🚀 Deploy changes: Fuel task #{task.id} started for {len(pending)} node(s).")


def step_follow_deploy(ctx: StepContext) -> None:
    """Follow the deploy task to the end: one progress message edited in place, per node."""
    lab = lab_of(ctx)
    client = fuel(ctx, lab)
    cluster_id = ctx.data["cluster_id"]
    task_id = ctx.data.get("deploy_task")
    if not task_id:
        return
    started = ctx.data.get("deploy_started") or time.time()
    names = {v: k for k, v in ctx.data.get("nodes", {}).items()}

    def on_progress(task) -> None:
        subtasks = [(t.name.value, t.progress, t.status.value) for t in client.tasks(cluster_id)
                    if t.name in (TaskName.PROVISION, TaskName.DEPLOYMENT, TaskName.NODE_DELETION)]
        nodes = [(f"node-{n.id}" + (f" `{names[n.id]}`" if n.id in names else ""),
                  "+".join(n.roles or n.pending_roles), n.progress, n.status.value)
                 for n in client.nodes(cluster_id)]
        ctx.set_progress(task.progress)
        ctx.report.progress(deploy_progress(percent=task.progress, subtasks=subtasks, nodes=nodes,
                                            elapsed=time.time() - started), phase="deploy")
        ctx.checkpoint()

    def on_error(error) -> None:
        ctx.report.progress(f"⚠️ Fuel is not answering ({error}); still following the deploy, which goes on "
                            "on the master without us.", force=True, phase="deploy")

    task = client.wait_for_task(task_id, deadline=time.monotonic() + ctx.deps.timeouts.deploy,
                                on_progress=on_progress, poll=ctx.deps.timeouts.poll,
                                should_stop=ctx.cancel_requested, on_error=on_error)
    ctx.checkpoint()
    if task.status is TaskStatus.ERROR:
        failed = [n for n in client.nodes(cluster_id) if n.status is NodeStatus.ERROR]
        who = "; ".join(f"node-{n.id}" + (f" (`{names[n.id]}`)" if n.id in names else "") +
                        f" failed {n.error_type.value if n.error_type else 'deployment'}" for n in failed[:5])
        if len(failed) > 5:
            who += f"; and {len(failed) - 5} more node(s) (`/fuel nodes {lab.name}` lists them)"
        ctx.report.progress(f"❌ Deploy failed at {task.progress}%", force=True, phase="deploy")
        raise StepFailed(f"Deploy failed: {who or 'Fuel reported an error'}. Fuel says: {_clip(task.message)}",
                         step="follow_deploy")
    ctx.report.progress(f"✅ Deployed — 100% · {duration(time.time() - started)}", force=True, phase="deploy")
    ctx.data["deployed"] = True
    ctx.save()


def _clip(text: str | None, limit: int = 600) -> str:
    """Fuel's messages can name every node; keep a reply readable."""
    text = text or "no message"
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


def stop_running_deploy(ctx: StepContext) -> str | None:
    """On cancel: Fuel's stop_deployment when a deploy task is running (nothing is deleted)."""
    cluster_id, task_id = ctx.data.get("cluster_id"), ctx.data.get("deploy_task")
    if not cluster_id or not task_id:
        return None
    lab = lab_of(ctx)
    client = fuel(ctx, lab)
    if client.task(task_id).status is not TaskStatus.RUNNING:
        return None
    stop = client.stop_deployment(cluster_id)
    return f"Fuel stop_deployment task #{stop.id}"
