"""How a thread says what Fuel says went wrong: the nodes by our VM name and Fuel's, Fuel's words, its
notifications and the last error lines of the logs, capped (the job page has them in full)."""
from __future__ import annotations

from dataclasses import dataclass

from integrations.fuel.diagnosis import Diagnosis, NodeCause

NODES_SHOWN = 5
EXCERPTS_SHOWN = 2
LINES_PER_EXCERPT = 5
NOTIFICATIONS_SHOWN = 3
THREAD_CHARS = 2500          # one reply, well inside a Slack section


@dataclass(frozen=True)
class FuelDiagnosed:
    """A Fuel task failed; ``diagnosis`` is what Fuel says about it."""

    diagnosis: Diagnosis
    job_id: int


def node_name(node: NodeCause) -> str:
    """``node-9 `lab1-compute-1` (Fuel: 'Untitled (ca:9d)')``: ours first, Fuel's as its UI shows it."""
    ours = f" `{node.vm_name}`" if node.vm_name else ""
    return f"node-{node.id}{ours} (Fuel: '{node.name}')"


def culprits(diagnosis: Diagnosis, *, limit: int = NODES_SHOWN) -> str:
    """The nodes Fuel reports in trouble, by both names; "" when it names none."""
    names = [node_name(n) for n in diagnosis.nodes[:limit]]
    if len(diagnosis.nodes) > limit:
        names.append(f"{len(diagnosis.nodes) - limit} more")
    return ", ".join(names)


def stage_failed(diagnosis: Diagnosis) -> str:
    """``Provisioning failed on node-9 `lab1-compute-1` (Fuel: '…')``: the headline of a failure."""
    where = culprits(diagnosis)
    return f"{diagnosis.stage.value.capitalize()} failed" + (f" on {where}" if where else "")


def cause_sentence(diagnosis: Diagnosis) -> str:
    """The headline, then the most telling line, then Fuel's own message when it says more."""
    text = f"{stage_failed(diagnosis)}: {diagnosis.cause or 'Fuel gives no reason'}"
    if diagnosis.message and diagnosis.message not in text:
        text += f". Fuel says: {diagnosis.message}"
    return text


def diagnosis_reply(fact: FuelDiagnosed) -> str:
    """The thread's reply: Fuel's task and message, the nodes, notifications, the last error lines."""
    d = fact.diagnosis
    lines = [f"🔍 What Fuel says ({d.stage.value}, task {d.task_name} #{d.task_id}): {d.message or 'no message'}"]
    for node in d.nodes[:NODES_SHOWN]:
        state = node.status.value + (f" ({node.error_type.value})" if node.error_type else "")
        lines.append(f"• {node_name(node)}: {state}" + ("" if node.online else ", offline"))
    lines += [f"• 🔔 {note.message}" for note in d.notifications[:NOTIFICATIONS_SHOWN]]
    cut = len(d.nodes) > NODES_SHOWN or len(d.notifications) > NOTIFICATIONS_SHOWN or bool(d.gaps)
    for excerpt in d.excerpts[:EXCERPTS_SHOWN]:
        shown = excerpt.lines[-LINES_PER_EXCERPT:]
        cut = cut or len(shown) < len(excerpt.lines)
        lines.append(f"{excerpt.title}, last error lines:")
        lines.append("```\n" + "\n".join(f"{e.date} {e.level} {e.text}" for e in shown) + "\n```")
    cut = cut or len(d.excerpts) > EXCERPTS_SHOWN
    text = "\n".join(lines)
    if len(text) > THREAD_CHARS:
        text, cut = text[:THREAD_CHARS].rsplit("\n", 1)[0], True
        if text.count("```") % 2:
            text += "\n```"
    if cut:
        text += f"\nEverything Fuel said, logs in full: the job page (`/fuel job {fact.job_id}` links it)."
    return text
