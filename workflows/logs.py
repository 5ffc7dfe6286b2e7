"""``/fuel logs <lab> [node] [source]``: one of Fuel's logs read into the job's thread, newest first.

What the words name is settled against Fuel, as its UI's Logs tab would: a node is ``node-7``,
``7`` or the name of the lab's VM behind it; a log is a source's id (``install/puppet``) or its
label (``puppet``) among the logs Fuel has for that node (or the master's); one word alone is a
node if the lab has one by that name, else a master log. Anything that names nothing gets an
answer listing what exists.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.redact import scrub
from integrations.fuel.logs import LogEntry, LogSource
from integrations.fuel.models import Node
from jobs.record import JobRecord
from jobs.states import JobKind
from jobs.uploads import FileToShare
from labspec.model import Lab
from workflows.oneshot import OneShotWorkflow
from workflows.ports import FuelPort
from workflows.run import Run
from workflows.voices import logs as words
from workflows.voices.logs import LogReading, LogsVoice

DEFAULT_LINES = 20
MASTER_DEFAULT = "astute"
# What a node's log most likely says, in the order its life writes them (installed, deployed).
NODE_DEFAULTS = ("install/puppet", "install/anaconda", "install/syslog", "bootstrap/messages")

LogsRun = Run[JobRecord, LogReading]


@dataclass(frozen=True)
class LabNode:
    """A Fuel node of the lab, and the VM behind it when fuelbot knows it."""

    node: Node
    vm: str | None

    @property
    def label(self) -> str:
        return f"node-{self.node.id}" + (f" `{self.vm}`" if self.vm else "")


def lab_nodes(run: LogsRun, lab: Lab, fuel: FuelPort) -> list[LabNode]:
    """The environment's nodes, and the unallocated ones whose VM is the lab's."""
    vms = {mac: vm.name for mac, vm in run.clients.vms_by_mac(lab).items()}
    cluster = fuel.find_cluster(lab.environment.name)
    nodes = fuel.nodes(cluster.id) if cluster else []
    nodes += [n for n in fuel.nodes("unallocated") if n.mac.lower() in vms]
    return [LabNode(n, vms.get(n.mac.lower())) for n in sorted(nodes, key=lambda n: n.id)]


def find_node(nodes: list[LabNode], word: str) -> LabNode | None:
    number = word.removeprefix("node-")
    for candidate in nodes:
        if (number.isdigit() and candidate.node.id == int(number)) or candidate.vm == word:
            return candidate
    return None


def find_source(sources: list[LogSource], word: str) -> LogSource | None:
    """By id, else by label (the main install logs first, as the UI lists them)."""
    by_id = next((s for s in sources if s.id == word), None)
    named = sorted((s for s in sources if s.name.lower() == word), key=lambda s: s.group is not None)
    return by_id or (named[0] if named else None)


def _names(sources: list[LogSource]) -> list[str]:
    return [s.id for s in sources]


class LogsWorkflow(OneShotWorkflow[JobRecord, LogReading]):
    """One log of a lab's Fuel master or of one of its nodes, newest entries first."""

    kind, title = JobKind.LOGS, "Logs"
    record = JobRecord
    voice = LogsVoice()

    def run(self, run: LogsRun) -> None:
        lab = run.lab
        fuel = run.fuel(lab)
        node, source = self._choose(run, lab, fuel, run.params.get("node"), run.params.get("source"))
        level = None
        if run.params.get("level"):
            level = source.level_named(str(run.params["level"]))
            if level is None:
                raise words.unknown_level(str(run.params["level"]), source.name, source.levels)
        asked = int(run.params.get("lines") or DEFAULT_LINES)
        page = fuel.logs(source.id, node=node.node.id if node else None, level=level, max_entries=asked)
        reading = LogReading(lab=lab.name, source=source.id, source_name=source.name,
                             node=node.label if node else None, level=level, asked=asked,
                             entries=tuple(LogEntry(e.date, e.level, scrub(e.text)) for e in page.entries),
                             has_more=page.has_more, job_id=run.job_id)
        run.note("logs", f"{source.id} of {reading.whose}: {len(reading.entries)} entries",
                 {"detail": self.voice.headline(reading),
                  "excerpts": [{"title": f"{source.name} ({source.id}) of {reading.whose}, newest first",
                                "lines": reading.text.splitlines()}]})
        run.headline = self.voice.headline(reading)
        run.tell(reading)
        if reading.cut:
            run.report.upload(FileToShare(reading.file_name, reading.file_title, content=reading.file_text),
                              comment=words.file_comment(reading))
        run.data.result = {"source": source.id, "node": node.node.id if node else None, "entries": len(page.entries)}

    def _choose(self, run: LogsRun, lab: Lab, fuel: FuelPort, node_word: str | None,
                source_word: str | None) -> tuple[LabNode | None, LogSource]:
        """The node (None: the master) and the log the words name, or a StepFailed listing what exists."""
        master = [s for s in fuel.log_sources() if not s.remote]
        if node_word is None:
            default = find_source(master, MASTER_DEFAULT) or (master[0] if master else None)
            if default is None:
                raise words.no_logs_yet("the Fuel master")
            return None, default
        nodes = lab_nodes(run, lab, fuel)
        labels = [n.label for n in nodes]
        node = find_node(nodes, node_word)
        looks_like_a_node = node_word.removeprefix("node-").isdigit()
        if node is None and source_word is None and not looks_like_a_node:
            alone = find_source(master, node_word.lower())
            if alone is not None:
                return None, alone
            if find_source([s for s in fuel.log_sources() if s.remote], node_word.lower()) is not None:
                raise words.node_log_without_node(lab.name, node_word, labels)
            raise words.neither_node_nor_log(lab.name, node_word, labels, _names(master))
        if node is None:
            raise words.unknown_node(lab.name, node_word, labels)
        mine = fuel.node_log_sources(node.node.id)
        if source_word is None:
            chosen = next((s for wanted in NODE_DEFAULTS for s in mine if s.id == wanted), None)
            if chosen is None:
                raise words.no_logs_yet(node.label)
            return node, chosen
        found = find_source(mine, source_word)
        if found is None:
            raise words.unknown_source(source_word, node.label, _names(mine))
        return node, found
