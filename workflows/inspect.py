"""Read-only jobs: preflight (and its --fix), plan, status and nodes."""
from __future__ import annotations

from core.errors import FuelbotError, StepFailed
from integrations.fuel.enums import NodeStatus
from jobs.steps import StepContext
from labspec.model import Lab
from workflows.deploy_vsphere import format_findings, missing_portgroups
from workflows.deps import fuel, lab_of, vms_by_mac, vsphere
from workflows import fuel_settings
from workflows.oneshot import OneShotWorkflow


class PreflightWorkflow(OneShotWorkflow):
    """Every pitfall of the article checked in vCenter; ``--fix`` repairs the port groups."""

    kind, title = "preflight", "Preflight"

    def run(self, ctx: StepContext) -> None:
        lab = lab_of(ctx)
        client = vsphere(ctx, lab)
        if ctx.params.get("fix"):
            changes = client.fix_portgroups(lab)
            ctx.report.say("🔧 Port groups:\n" + "\n".join(f"   • {c.describe()}" for c in changes))
        findings = client.preflight(lab)
        counts = {level: sum(1 for f in findings if f.level == level) for level in ("ok", "warn", "fail")}
        lines = format_findings(findings) or ["✓ every check passed"]
        ctx.report.say("\n".join(lines))
        ctx.data["result"] = counts
        mark = "✅" if counts["fail"] == 0 else "❌"
        ctx.data["headline"] = (f"{mark} Preflight of *{lab.name}*: {counts['ok']} ok · {counts['warn']} warning(s) · "
                                f"{counts['fail']} failing")
        if counts["fail"]:
            raise StepFailed(f"{counts['fail']} check(s) failed; the fixes are in the thread"
                             + ("" if ctx.params.get("fix") else f" (`/fuel preflight {lab.name} --fix` repairs "
                                "port groups)") + ".")


def plan_lines(ctx: StepContext, lab: Lab) -> list[str]:
    """What `/fuel deploy` would change, without changing anything."""
    client = vsphere(ctx, lab)
    missing = missing_portgroups(client, lab)
    lines = [f"➕ create port group `{name}`" for name in sorted(missing)]
    drift = [f for f in client.preflight(lab) if f.level == "fail" and f.obj not in missing]
    lines += [f"⚠️ {f}" for f in drift]
    vms = {vm.name: vm for vm in client.vms()}
    if lab.fuel.vm and lab.fuel.vm.name not in vms:
        lines.append(f"➕ create Fuel master VM `{lab.fuel.vm.name}`")
    new_vms = [n for n in lab.nodes if n.name not in vms]
    lines += [f"➕ create and power on VM `{n.name}` ({'+'.join(n.roles)})" for n in new_vms]
    lines += [f"▶️ power on VM `{n.name}`" for n in lab.nodes if n.name in vms and vms[n.name].power_state != "poweredOn"]
    api = fuel(ctx, lab)
    cluster = api.find_cluster(lab.environment.name)
    if cluster is None:
        lines.append(f"➕ create environment `{lab.environment.name}` ({lab.environment.release}, {lab.environment.mode})")
        lines.append("⚙️ apply settings and networks")
        to_add = list(lab.nodes)
    else:
        editable = api.attributes(cluster.id)
        editable = editable.get("editable", editable)
        settings = fuel_settings.apply_settings(lab, editable)
        networks = fuel_settings.apply_networks(lab, api.network_configuration(cluster.id, lab.environment.network_provider))
        if settings:
            lines.append(f"⚙️ change settings: {', '.join(settings[:6])}")
        if networks:
            lines.append(f"🌐 change networks: {', '.join(networks[:6])}")
        members = {n.mac.lower() for n in api.nodes(cluster.id)}
        to_add = [n for n in lab.nodes if n.name not in vms
                  or not members & {m.lower() for m in vms[n.name].macs}]
    lines += [f"🎭 add `{n.name}` as {'+'.join(n.roles)} and deploy it" for n in to_add]
    return lines


class PlanWorkflow(OneShotWorkflow):
    """What a deploy would change, changing nothing."""

    kind, title = "plan", "Plan"

    def run(self, ctx: StepContext) -> None:
        lab = lab_of(ctx)
        lines = plan_lines(ctx, lab)
        ctx.data["result"] = {"changes": lines}
        if not lines:
            ctx.data["headline"] = f"🧭 Plan for *{lab.name}*: no change — the lab matches its spec"
            return
        ctx.data["headline"] = f"🧭 Plan for *{lab.name}*: {len(lines)} change(s) (`/fuel deploy {lab.name}` applies them)"
        ctx.report.say("\n".join(lines))


def node_rows(ctx: StepContext, lab: Lab) -> list[str]:
    api = fuel(ctx, lab)
    cluster = api.find_cluster(lab.environment.name)
    vm_by_mac = {mac: vm.name for mac, vm in vms_by_mac(ctx, lab).items()}
    nodes = api.nodes(cluster.id) if cluster else []
    nodes += [n for n in api.nodes("unallocated") if n.mac.lower() in vm_by_mac]
    rows = []
    for n in sorted(nodes, key=lambda n: n.id):
        vm = vm_by_mac.get(n.mac.lower(), "unknown MAC")
        roles = "+".join(n.roles or n.pending_roles) or "unassigned"
        online = "" if n.online else " · 🔌 offline"
        progress = f" {n.progress}%" if n.status in (NodeStatus.PROVISIONING, NodeStatus.DEPLOYING) else ""
        error = f" ({n.error_type.value} error)" if n.error_type else ""
        rows.append(f"node-{n.id} `{vm}` {n.mac} · {roles} · {n.status.value}{progress}{error}{online}")
    return rows


class NodesWorkflow(OneShotWorkflow):
    """The lab's Fuel nodes matched to their VMs."""

    kind, title = "nodes", "Nodes"

    def run(self, ctx: StepContext) -> None:
        lab = lab_of(ctx)
        rows = node_rows(ctx, lab)
        ctx.data["headline"] = f"🖥️ *{lab.name}*: {len(rows)} node(s)"
        ctx.report.say("\n".join(rows) or "No node of this lab is known to Fuel yet.")


class StatusWorkflow(OneShotWorkflow):
    """Environment status and nodes of one lab or of every lab."""

    kind, title = "status", "Status"

    def run(self, ctx: StepContext) -> None:
        labs, problems = ctx.deps.load_labs()
        names = [ctx.lab_name] if ctx.lab_name else sorted(labs)
        lines = []
        for name in names:
            lab = lab_of(ctx, name)
            try:
                api = fuel(ctx, lab)
                cluster = api.find_cluster(lab.environment.name)
                if cluster is None:
                    lines.append(f"*{name}*: not deployed (no Fuel environment `{lab.environment.name}`)")
                    continue
                nodes = api.nodes(cluster.id)
                by_status: dict[str, int] = {}
                for n in nodes:
                    by_status[n.status.value] = by_status.get(n.status.value, 0) + 1
                offline = sum(1 for n in nodes if not n.online)
                parts = ", ".join(f"{v} {k}" for k, v in sorted(by_status.items())) or "no nodes"
                lines.append(f"*{name}*: {cluster.status.value} · {parts}" + (f" · {offline} offline" if offline else ""))
            except FuelbotError as exc:
                lines.append(f"*{name}*: ⚠️ {exc}")
        lines += [f"⚠️ {p}" for p in problems][:5]
        ctx.data["headline"] = "📟 " + (lines[0] if len(lines) == 1 else f"Status of {len(names)} lab(s)")
        if len(lines) > 1:
            ctx.report.say("\n".join(lines))
