"""The voices of the read-only jobs: preflight (and its --fix), plan, nodes and status."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Sequence

from core.errors import StepFailed
from integrations.vsphere.info import Change
from integrations.vsphere.preflight import Finding
from workflows.voices.base import Line
from workflows.voices.oneshot import OneShotVoice
from workflows.voices.words import format_findings


# -- preflight -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PortGroupsFixed:
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class PreflightFound:
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class PreflightCounts:
    lab: str
    ok: int
    warn: int
    fail: int


PreflightFact = PortGroupsFixed | PreflightFound


def preflight_failed(counts: PreflightCounts, *, fixed: bool) -> StepFailed:
    how = "" if fixed else f" (`/fuel preflight {counts.lab} --fix` repairs port groups)"
    return StepFailed(f"{counts.fail} check(s) failed; the fixes are in the thread{how}.")


class PreflightVoice(OneShotVoice[PreflightFact]):
    def lines(self, fact: PreflightFact) -> Sequence[Line]:
        if isinstance(fact, PortGroupsFixed):
            return [Line("🔧 Port groups:\n" + "\n".join(f"   • {c.describe()}" for c in fact.changes))]
        return [Line("\n".join(format_findings(fact.findings) or ["✓ every check passed"]))]

    def headline(self, counts: PreflightCounts) -> str:
        mark = "✅" if counts.fail == 0 else "❌"
        return (f"{mark} Preflight of *{counts.lab}*: {counts.ok} ok · {counts.warn} warning(s) · "
                f"{counts.fail} failing")


# -- plan ----------------------------------------------------------------------------------------
class PlanAction(StrEnum):
    """What a deploy would do, one kind of change per member (its line's template)."""

    CREATE_PORTGROUP = "➕ create port group `{subject}`"
    FIX_DRIFT = "⚠️ {subject}"
    CREATE_MASTER = "➕ create Fuel master VM `{subject}`, install Fuel 6.0 from its ISO and set it up"
    SET_UP_MASTER = "🔧 set up the Fuel master: {detail}"
    CREATE_VM = "➕ create and power on VM `{subject}` ({detail})"
    POWER_ON = "▶️ power on VM `{subject}`"
    CREATE_ENVIRONMENT = "➕ create environment `{subject}` ({detail})"
    APPLY_SETTINGS = "⚙️ apply settings and networks"
    CHANGE_SETTINGS = "⚙️ change settings: {detail}"
    CHANGE_NETWORKS = "🌐 change networks: {detail}"
    ADD_NODE = "🎭 add `{subject}` as {detail} and deploy it"


@dataclass(frozen=True)
class PlannedChange:
    action: PlanAction
    subject: str = ""
    detail: str = ""


def plan_line(change: PlannedChange) -> str:
    return change.action.value.format(subject=change.subject, detail=change.detail)


@dataclass(frozen=True)
class Plan:
    lab: str
    changes: tuple[PlannedChange, ...]


class PlanVoice(OneShotVoice[Plan]):
    def lines(self, fact: Plan) -> Sequence[Line]:
        return [Line("\n".join(plan_line(c) for c in fact.changes))] if fact.changes else []

    def headline(self, plan: Plan) -> str:
        if not plan.changes:
            return f"🧭 Plan for *{plan.lab}*: no change — the lab matches its spec"
        return f"🧭 Plan for *{plan.lab}*: {len(plan.changes)} change(s) (`/fuel deploy {plan.lab}` applies them)"


# -- nodes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeRow:
    node_id: int
    vm: str
    mac: str
    roles: tuple[str, ...]
    status: str
    progress: int | None          # while provisioning or deploying
    error: str | None
    online: bool

    def __str__(self) -> str:
        roles = "+".join(self.roles) or "unassigned"
        progress = f" {self.progress}%" if self.progress is not None else ""
        error = f" ({self.error} error)" if self.error else ""
        online = "" if self.online else " · 🔌 offline"
        return f"node-{self.node_id} `{self.vm}` {self.mac} · {roles} · {self.status}{progress}{error}{online}"


@dataclass(frozen=True)
class NodeList:
    lab: str
    rows: tuple[NodeRow, ...]


class NodesVoice(OneShotVoice[NodeList]):
    def lines(self, fact: NodeList) -> Sequence[Line]:
        return [Line("\n".join(str(r) for r in fact.rows) or "No node of this lab is known to Fuel yet.")]

    def headline(self, nodes: NodeList) -> str:
        return f"🖥️ *{nodes.lab}*: {len(nodes.rows)} node(s)"


# -- status --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabStatus:
    """One lab's line: not deployed, its environment's status and nodes, or why Fuel could not say."""

    lab: str
    environment: str
    status: str | None = None             # None: no such environment in Fuel
    nodes_by_status: tuple[tuple[str, int], ...] = ()
    offline: int = 0
    unreachable: str | None = None
    lease: str | None = None              # who holds it, until when (``jobs.lease_notices.held``)
    as_of: str | None = None              # read by the observation tick: how fresh (``core.mrkdwn.as_of``)

    def __str__(self) -> str:
        held = (f" · {self.lease}" if self.lease else "") + (f" · {self.as_of}" if self.as_of else "")
        if self.unreachable is not None:
            return f"*{self.lab}*: ⚠️ {self.unreachable}{held}"
        if self.status is None:
            return f"*{self.lab}*: not deployed (no Fuel environment `{self.environment}`){held}"
        parts = ", ".join(f"{v} {k}" for k, v in sorted(self.nodes_by_status)) or "no nodes"
        return (f"*{self.lab}*: {self.status} · {parts}" + (f" · {self.offline} offline" if self.offline else "")
                + held)


@dataclass(frozen=True)
class StatusReport:
    labs: tuple[LabStatus, ...]
    problems: tuple[str, ...]

    def lines(self) -> list[str]:
        return [str(s) for s in self.labs] + [f"⚠️ {p}" for p in self.problems][:5]


class StatusVoice(OneShotVoice[StatusReport]):
    def lines(self, fact: StatusReport) -> Sequence[Line]:
        lines = fact.lines()
        return [Line("\n".join(lines))] if len(lines) > 1 else []

    def headline(self, report: StatusReport) -> str:
        lines = report.lines()
        return "📟 " + (lines[0] if len(lines) == 1 else f"Status of {len(report.labs)} lab(s)")
