"""What Fuel says went wrong with a failed task: the node, the task's message, notifications, log lines.

``diagnose(client, task)`` reads, for a failed deploy, provision, deployment or network
verification task, what an operator would look at in the Fuel UI: the failing subtask and its
message, the nodes in error (Fuel's name and id, and our VM name when the caller knows it), the
environment's error notifications, and the last error lines of each node's logs for that stage
(anaconda/bootstrap while provisioning, puppet while deploying) plus Astute's lines about the
task. Fuel 6.0 often says little in the task itself ("Timeout of provisioning is exceeded",
"Failed to deploy node '…': Unknown error"); the cause is in those log lines.

Every text is scrubbed (astute.log dumps passwords) and capped. Reading is best effort: what
could not be read is listed in ``gaps`` instead of failing the diagnosis.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable, Literal, Mapping, Protocol, Sequence, TypeVar

from core.errors import FuelError
from core.redact import scrub
from integrations.fuel.enums import NodeErrorType, NodeStatus, TaskName, TaskStatus
from integrations.fuel.logs import LogEntry, LogPage, LogSource
from integrations.fuel.models import Node, Notification, Task

T = TypeVar("T")
_LINE_CHARS = 400
_MESSAGE_CHARS = 1500
# Where each stage leaves its cause on a node, in the order worth reading (fuel-web 6.0 settings.LOGS).
_NODE_SOURCES = {
    "provisioning": ("install/anaconda", "install/syslog", "install/storage", "bootstrap/messages",
                     "install/debootstrap-ubuntu", "install/in-target-ubuntu"),
    "deployment": ("install/puppet", "install/mco"),
}


class FuelRecords(Protocol):
    """What a diagnosis reads from a Fuel master (``FuelClient`` and every ``FuelPort`` have it)."""

    def tasks(self, cluster_id: int | None = None) -> list[Task]: ...

    def nodes(self, cluster_id: int | None | Literal["unallocated"] = None) -> list[Node]: ...

    def notifications(self) -> list[Notification]: ...

    def node_log_sources(self, node_id: int) -> list[LogSource]: ...

    def logs(self, source: str, *, node: int | None = None, level: str | None = None,
             max_entries: int | None = None, from_byte: int | None = None, to_byte: int | None = None,
             fetch_older: bool = False) -> LogPage: ...


class FailureStage(StrEnum):
    """Where the failure happened, in the words the thread uses."""

    PRE_CHECKS = "pre-deployment checks"
    PROVISIONING = "provisioning"
    DEPLOYMENT = "deployment"
    NODE_DELETION = "node deletion"
    VERIFICATION = "network verification"
    OTHER = "task"


_STAGE_OF = {TaskName.PROVISION: FailureStage.PROVISIONING, TaskName.DEPLOYMENT: FailureStage.DEPLOYMENT,
             TaskName.NODE_DELETION: FailureStage.NODE_DELETION, TaskName.VERIFY_NETWORKS: FailureStage.VERIFICATION,
             TaskName.CHECK_NETWORKS: FailureStage.VERIFICATION, TaskName.CHECK_DHCP: FailureStage.VERIFICATION,
             TaskName.MULTICAST_VERIFICATION: FailureStage.VERIFICATION}


@dataclass(frozen=True)
class NodeCause:
    """A node Fuel reports in trouble."""

    id: int
    name: str                           # Fuel's name ("Untitled (ca:9d)" until someone renames it)
    vm_name: str | None
    fqdn: str | None
    mac: str
    status: NodeStatus
    error_type: NodeErrorType | None
    online: bool
    roles: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``node-7 lab1-controller-1 (Fuel: 'Untitled (ca:9d)')``."""
        ours = f" {self.vm_name}" if self.vm_name else ""
        return f"node-{self.id}{ours} (Fuel: '{self.name}')"


@dataclass(frozen=True)
class LogExcerpt:
    """The last error lines of one log, oldest first; ``node_id`` is None for a master log."""

    source: str
    source_name: str
    node_id: int | None
    lines: tuple[LogEntry, ...]

    @property
    def title(self) -> str:
        where = f"node-{self.node_id} " if self.node_id is not None else "master "
        return f"{where}{self.source_name} ({self.source})"


@dataclass(frozen=True)
class Diagnosis:
    """What Fuel says about one failure, scrubbed and capped."""

    stage: FailureStage
    task_id: int
    task_name: str
    message: str                          # the failing (sub)task's message
    nodes: tuple[NodeCause, ...] = ()
    notifications: tuple[Notification, ...] = ()
    excerpts: tuple[LogExcerpt, ...] = ()
    gaps: tuple[str, ...] = field(default=())

    @property
    def cause(self) -> str:
        """The most telling line: the culprit's first error line, else its notification, else the task."""
        for excerpt in self.excerpts:
            if excerpt.node_id is not None and excerpt.lines:
                return excerpt.lines[0].text
        for note in self.notifications:
            if note.node_id is not None:
                return note.message
        return self.message

    def summary(self, max_chars: int = 3000) -> str:
        """Plain text for a thread or a page: where, which nodes, what Fuel and the logs say."""
        lines = [f"{self.stage.value.capitalize()} failed (Fuel task {self.task_name} #{self.task_id}): "
                 f"{self.message or 'no message'}"]
        lines += [f"• {n.label}: {n.status.value}" + (f" ({n.error_type.value})" if n.error_type else "")
                  + ("" if n.online else ", offline") for n in self.nodes]
        lines += [f"• Fuel notification: {n.message}" for n in self.notifications]
        for excerpt in self.excerpts:
            lines.append(f"{excerpt.title}:")
            lines += [f"  {e.date} {e.level} {e.text}" for e in excerpt.lines]
        lines += [f"(could not read {gap})" for gap in self.gaps]
        text = "\n".join(lines)
        return text if len(text) <= max_chars else text[: max_chars - 1] + "…"

    def to_event_data(self) -> dict[str, Any]:
        """The JSON a job event keeps: ``detail`` and ``excerpts`` are what the job page shows."""
        return {"diagnosis": {"stage": self.stage.value, "task_id": self.task_id, "task_name": self.task_name,
                              "message": self.message, "cause": self.cause,
                              "nodes": [{"id": n.id, "name": n.name, "vm_name": n.vm_name, "fqdn": n.fqdn,
                                         "status": n.status.value,
                                         "error_type": n.error_type.value if n.error_type else None,
                                         "online": n.online} for n in self.nodes],
                              "notifications": [{"id": n.id, "topic": n.topic, "message": n.message,
                                                 "node_id": n.node_id} for n in self.notifications],
                              "gaps": list(self.gaps)},
                "detail": self.summary(max_chars=20000),
                "excerpts": [{"title": e.title, "lines": [f"{x.date} {x.level} {x.text}" for x in e.lines]}
                             for e in self.excerpts]}


def diagnose(client: FuelRecords, task: Task, *, vm_names: Mapping[int, str] | None = None,
             nodes: Sequence[Node] | None = None, since_notification: int | None = None,
             lines: int = 10, max_nodes: int = 3, max_notifications: int = 5) -> Diagnosis:
    """Gather what Fuel says about the failed ``task`` (a deploy, provision, deployment or verify task).

    ``vm_names`` maps Fuel node ids to our VM names; ``nodes`` saves a request when the caller
    has them; ``since_notification`` skips notifications up to that id (older failures).
    """
    gaps: list[str] = []
    names = dict(vm_names or {})
    failing, stage = _failing_task(client, task, gaps)
    if nodes is None and task.cluster is not None:
        nodes = _read(gaps, f"the nodes of environment {task.cluster}", lambda: client.nodes(task.cluster))
    suspects = _suspects(stage, failing, list(nodes or ()))
    notes = _notifications(client, task.cluster, {n.id for n in suspects}, since_notification, gaps)
    excerpts: list[LogExcerpt] = []
    with_lines: list[Node] = []
    for node in suspects[: max_nodes + 2]:
        found = _node_excerpts(client, node, stage, lines, gaps)
        excerpts += found
        if found:
            with_lines.append(node)
    ordered = with_lines + [n for n in suspects if n not in with_lines]   # the culprit has the error lines
    excerpts.sort(key=lambda e: ordered.index(next(n for n in ordered if n.id == e.node_id)))
    astute = _astute_excerpt(client, task, failing, ordered[:max_nodes], lines, gaps)
    return Diagnosis(stage=stage, task_id=failing.id, task_name=failing.name.value,
                     message=_clip(scrub(failing.message or task.message or ""), _MESSAGE_CHARS),
                     nodes=tuple(_cause(n, names) for n in ordered[:max_nodes]),
                     notifications=tuple(notes[:max_notifications]),
                     excerpts=tuple(e for e in excerpts if e.node_id in {n.id for n in ordered[:max_nodes]})
                     + ((astute,) if astute else ()),
                     gaps=tuple(scrub(g) for g in gaps))


def _read(gaps: list[str], what: str, call: Callable[[], T]) -> T | None:
    try:
        return call()
    except FuelError as exc:
        gaps.append(f"{what}: {exc}")
        return None


def _failing_task(client: FuelRecords, task: Task, gaps: list[str]) -> tuple[Task, FailureStage]:
    if task.name is not TaskName.DEPLOY:
        return task, _STAGE_OF.get(task.name, FailureStage.OTHER)
    family = [t for t in _read(gaps, "the environment's tasks", lambda: client.tasks(task.cluster)) or []
              if t.id > task.id and t.name in (TaskName.NODE_DELETION, TaskName.PROVISION, TaskName.DEPLOYMENT)]
    failed = [t for t in family if t.status is TaskStatus.ERROR and t.message != "Task aborted"]
    if failed:
        return failed[0], _STAGE_OF[failed[0].name]
    # A deploy that failed with no subtask failed its pre-deployment checks (or its subtasks are gone).
    return task, FailureStage.PRE_CHECKS if not family else FailureStage.OTHER


def _suspects(stage: FailureStage, failing: Task, nodes: list[Node]) -> list[Node]:
    if stage is FailureStage.VERIFICATION and isinstance(failing.result, list):
        uids = {row.get("uid") for row in failing.result if isinstance(row, Mapping)}
        named = [n for n in nodes if n.id in uids or str(n.id) in uids]
        return named + [n for n in nodes if not n.online and n not in named]
    wanted = {FailureStage.PROVISIONING: NodeErrorType.PROVISION, FailureStage.DEPLOYMENT: NodeErrorType.DEPLOY,
              FailureStage.NODE_DELETION: NodeErrorType.DELETION}.get(stage)
    bad = [n for n in nodes if n.status is NodeStatus.ERROR or not n.online]
    return sorted(bad, key=lambda n: (n.error_type is not wanted, n.online, n.id))


def _notifications(client: FuelRecords, cluster: int | None, node_ids: set[int], since: int | None,
                   gaps: list[str]) -> list[Notification]:
    found = [n for n in _read(gaps, "Fuel's notifications", client.notifications) or []
             if n.topic in ("error", "warning") and (since is None or n.id > since)
             and ((cluster is not None and n.cluster == cluster) or n.node_id in node_ids)]
    found.sort(key=lambda n: (n.node_id is None, -n.id))     # about a node first, newest first
    return [Notification(id=n.id, topic=n.topic, message=_clip(scrub(n.message), _LINE_CHARS), status=n.status,
                         cluster=n.cluster, node_id=n.node_id, task_id=n.task_id, time=n.time, date=n.date)
            for n in found]


def _node_excerpts(client: FuelRecords, node: Node, stage: FailureStage, lines: int,
                   gaps: list[str]) -> list[LogExcerpt]:
    wanted = _NODE_SOURCES.get(stage.value, ())
    if not wanted:
        return []
    available = {s.id: s for s in _read(gaps, f"the log sources of node-{node.id}",
                                        lambda: client.node_log_sources(node.id)) or []}
    excerpts = []
    for source_id in wanted:
        source = available.get(source_id)
        if source is None:
            continue
        level = source.level_named("error")
        page = _read(gaps, f"{source.name} log of node-{node.id}",
                     lambda: client.logs(source_id, node=node.id, level=level, max_entries=lines))
        if page is not None and page.entries:
            excerpts.append(LogExcerpt(source=source.id, source_name=source.name, node_id=node.id,
                                       lines=tuple(_clean(e) for e in reversed(page.entries))))
        if len(excerpts) == 2:
            break
    return excerpts


def _astute_excerpt(client: FuelRecords, task: Task, failing: Task, nodes: list[Node], lines: int,
                    gaps: list[str]) -> LogExcerpt | None:
    """Astute's warnings and errors that name this run (its task uuids) or its nodes."""
    marks = {u for u in (task.uuid, failing.uuid) if u} | {f"node: {n.id}" for n in nodes} | {
        f'Nodes not booted: ["{n.id}"]' for n in nodes}
    page = _read(gaps, "astute.log", lambda: client.logs("astute", level="WARNING", max_entries=200))
    if page is None:
        return None
    mine = [e for e in page.entries if any(mark in e.text for mark in marks)][:lines]
    if not mine:
        return None
    return LogExcerpt(source="astute", source_name="Astute", node_id=None,
                      lines=tuple(_clean(e) for e in reversed(mine)))


def _clean(entry: LogEntry) -> LogEntry:
    return LogEntry(date=entry.date, level=entry.level, text=_clip(scrub(entry.text), _LINE_CHARS))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cause(node: Node, vm_names: Mapping[int, str]) -> NodeCause:
    return NodeCause(id=node.id, name=scrub(node.name), vm_name=vm_names.get(node.id), fqdn=node.fqdn, mac=node.mac,
                     status=node.status, error_type=node.error_type, online=node.online, roles=node.all_roles)
