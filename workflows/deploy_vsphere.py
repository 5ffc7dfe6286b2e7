"""Deploy steps on the vSphere side: preflight, port groups, Fuel master, the lab's VMs.

Each step looks at vCenter first and only creates what is missing, so it can run again after
a crash, a takeover or on an already deployed lab.
"""
from __future__ import annotations

import time

from core.errors import FuelError, StepFailed
from jobs.steps import StepContext
from labspec.model import Lab
from workflows.deps import fuel, lab_of, vsphere

MIN_MASTER_MB = 2048


def pxe_index(lab: Lab, nics) -> int:
    """Index of the NIC on the PXE port group (the one Fuel sees the node by)."""
    for index, nic in enumerate(nics):
        if nic.portgroup == lab.networks.pxe:
            return index
    return 0


def missing_portgroups(client, lab: Lab) -> set[str]:
    """Declared port groups that do not exist yet (the next step creates them)."""
    present = {p.name for p in client.distributed_portgroups()}
    present |= {p.name for p in client.standard_portgroups()}
    return {name for name in lab.networks.names() if name not in present}


def format_findings(findings, *, will_create: set[str] = frozenset()) -> list[str]:
    icons = {"ok": "✓", "warn": "⚠️", "fail": "✗"}
    lines = []
    for finding in findings:
        if finding.obj in will_create and finding.level == "fail":
            lines.append(f"➕ port group `{finding.obj}` is missing; the next step creates it")
            continue
        if finding.level == "ok":
            continue
        lines.append(f"{icons.get(finding.level, '•')} {finding}")
    return lines


def step_preflight(ctx: StepContext) -> None:
    """Stop on a failing finding (except port groups the next step will create) and show the fix."""
    lab = lab_of(ctx)
    client = vsphere(ctx, lab)
    findings = client.preflight(lab)
    will_create = missing_portgroups(client, lab)
    creatable = [f for f in findings if f.level == "fail" and f.obj in will_create]
    blocking = [f for f in findings if f.level == "fail" and f.obj not in will_create]
    counts = {level: sum(1 for f in findings if f.level == level and f not in creatable)
              for level in ("ok", "warn", "fail")}
    summary = f"🔎 Preflight: {counts['ok']} ok · {counts['warn']} warning(s) · {counts['fail']} failing"
    if will_create:
        summary += f" · {len(will_create)} port group(s) to create"
    lines = format_findings(findings, will_create=will_create)
    ctx.report.say("\n".join([summary, *lines]))
    if blocking:
        first = blocking[0]
        raise StepFailed(f"preflight found {len(blocking)} problem(s): {first}", step="preflight",
                         hint=first.fix)


def step_portgroups(ctx: StepContext) -> None:
    """The article's vSphere preparation: ``pxe`` (VLAN 3, promiscuous) and ``br100`` on vSwitch0."""
    lab = lab_of(ctx)
    client = vsphere(ctx, lab)
    changes = client.fix_portgroups(lab)
    pxe = next(p for p in lab.networks.distributed if p.name == lab.networks.pxe) \
        if any(p.name == lab.networks.pxe for p in lab.networks.distributed) else None
    head = "🧰 vSphere ready"
    if pxe is not None:
        head += f": port group `{pxe.name}` (VLAN {pxe.vlan}, promiscuous {'✓' if pxe.promiscuous else 'off'})"
    for spec in lab.networks.standard:
        head += f", `{spec.name}` on {spec.vswitch} (uplink {spec.uplink} ✓)"
    created = [c.describe() for c in changes if c.changed]
    ctx.report.say("\n".join([head] + [f"   • {line}" for line in created]))


def step_fuel_master(ctx: StepContext) -> None:
    """The Fuel master VM exists (created from the ISO when missing) and its API answers."""
    lab = lab_of(ctx)
    master = lab.fuel.vm
    if master is not None:
        client = vsphere(ctx, lab)
        info = client.vm(master.name)
        if info is None:
            info = client.ensure_vm(master, lab=lab.name)
            ctx.report.say(f"💿 Fuel master VM `{master.name}` created: {master.cpus} vCPU · {master.memory_mb} MB · "
                           f"{master.disk_gb} GB · booting `{master.iso}`")
        if info.memory_mb < MIN_MASTER_MB:
            raise StepFailed(f"Fuel master VM `{master.name}` has {info.memory_mb} MB; the Fuel 6.0 installer needs "
                             f"at least {MIN_MASTER_MB} MB (the docker images fail to unpack below that). "
                             "Give it more memory in vCenter.")
        if info.power_state != "poweredOn":
            client.power_on(master.name)
    api = fuel(ctx, lab)
    deadline = time.monotonic() + ctx.deps.timeouts.fuel_reachable
    while True:
        try:
            version = api.version()
            api.releases()  # proves the credentials work, not only that nginx answers
            break
        except FuelError as exc:
            if not exc.retryable or time.monotonic() > deadline:
                raise
            ctx.checkpoint()
            time.sleep(ctx.deps.timeouts.poll)
    ctx.report.say(f"🔐 Fuel {version.release} master at {lab.fuel.url} reachable; logged in as `{lab.fuel.user}`.")


def step_create_vms(ctx: StepContext) -> None:
    """Create the lab's node VMs (network boot first) and power them on; report their MACs."""
    lab = lab_of(ctx)
    client = vsphere(ctx, lab)
    vms = ctx.data.setdefault("vms", {})
    lines = []
    existing = {vm.name for vm in client.vms() if vm.owned_by(lab.name)}
    ensured = client.ensure_vms([node.vm for node in lab.nodes], lab=lab.name)   # one inventory read
    for node, info in zip(lab.nodes, ensured):
        existed = node.name in existing
        if info.power_state != "poweredOn":
            info = client.power_on(node.name)
        macs = list(info.macs)
        pxe_mac = macs[pxe_index(lab, node.vm.nics)] if macs else None
        vms[node.name] = {"macs": macs, "pxe_mac": pxe_mac, "created": not existed}
        if not existed:
            lines.append(f"   • `{node.name}` {node.vm.cpus} vCPU · {node.vm.memory_mb} MB · {node.vm.disk_gb} GB · "
                         f"{len(node.vm.nics)} NICs ({lab.networks.pxe} {pxe_mac})")
    ctx.save()
    if lines:
        ctx.report.say("🖥️ VMs created and powered on (network boot first):\n" + "\n".join(lines))
    else:
        ctx.report.say(f"🖥️ All {len(lab.nodes)} VM(s) of {lab.name} already exist and are powered on.")
