"""The digest's voice: one line per lab, what changed since the previous digest first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from core.mrkdwn import as_of, mention
from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message, mark
from workflows.voices.base import Line
from workflows.voices.oneshot import OneShotVoice
from workflows.voices.words import duration

SECTION_LIMIT = 12
UNREACHABLE = "unreachable"
NOT_OBSERVED = "not observed yet"
Snapshot = Mapping[str, Any]        # one lab as the digest saw it (``workflows.digest``), as stored


@dataclass(frozen=True)
class Outage:
    """A Fuel master that did not answer, and the labs it serves (said once, not once per lab)."""

    fuel: str
    error: str
    labs: tuple[str, ...]


@dataclass(frozen=True)
class Strangers:
    """Unassigned nodes on a Fuel master that no lab owns (listed once for the master)."""

    fuel: str
    labs: tuple[str, ...]
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Digest:
    """Every lab observed, the changes since the previous digest, the broken specs."""

    snapshots: tuple[Snapshot, ...]
    changes: tuple[str, ...]
    problems: tuple[str, ...]
    now: datetime
    missed: int = 0                 # scheduled runs missed while fuelbot was down, covered by this one
    mention: str | None = None      # a scheduled digest with changes mentions on-call
    first: bool = False             # no digest observed these labs before
    outages: tuple[Outage, ...] = ()
    strangers: tuple[Strangers, ...] = ()


def unreachable(snap: Snapshot | None) -> bool:
    """The lab's Fuel master did not answer (older digests wrote ``unreachable: <error>``)."""
    return snap is not None and str(snap.get("status", "")).startswith(UNREACHABLE)


def unknown(snap: Snapshot | None) -> bool:
    """Nothing current is known of the lab's environment: its master is silent, or never was read."""
    return unreachable(snap) or (snap is not None and snap.get("status") == NOT_OBSERVED)


def seen(snap: Snapshot, now: datetime) -> str:
    """``as of 40s ago``, and that a reading older than the tick should be is old (never shown as current)."""
    if not snap.get("as_of"):
        return ""
    when = as_of(datetime.fromisoformat(snap["as_of"]), now)
    return f"last read {when} (stale: fuelbot has not read this Fuel master since)" if snap.get("stale") else when


def line_for(snap: Snapshot, now: datetime) -> str:
    if unreachable(snap):
        last = f"; its last answer is {as_of(datetime.fromisoformat(snap['as_of']), now)}" if snap.get("as_of") else ""
        return f"*{snap['lab']}* — its Fuel master does not answer (above){last}"
    if snap.get("status") == NOT_OBSERVED:
        return f"*{snap['lab']}* — not observed yet: fuelbot has not read its Fuel master since it started watching it"
    parts = [f"*{snap['lab']}* {snap['status']}"]
    nodes = snap.get("nodes") or {}
    if nodes:
        parts.append(", ".join(f"{count} {key.replace(':', ' ')}" for key, count in sorted(nodes.items())))
    if snap.get("offline"):
        parts.append(f"🔌 {', '.join(snap['offline'])} offline")
    if snap.get("unassigned"):
        parts.append(f"{len(snap['unassigned'])} discovered, unassigned ({'; '.join(snap['unassigned'][:3])})")
    if snap.get("last_deploy"):
        d = snap["last_deploy"]
        parts.append(f"last deploy {mark(d['state'])} #{d['job']}"
                     + (f" {'cancelled' if d['state'] == 'cancelled' else 'failed'} at {d['step']}"
                        if d["state"] != "succeeded" and d.get("step") else ""))
    if snap.get("health"):
        h = snap["health"]
        age = duration((now - datetime.fromisoformat(h["at"])).total_seconds())
        verdict = "✓" if not h["failed"] else f"✗ {h['failed']} failed"
        parts.append(f"health {verdict} {age} ago")
    if snap.get("running"):
        parts.append(f"running: {', '.join(snap['running'])}")
    if snap.get("lease"):
        parts.append(snap["lease"])
    if snap.get("as_of"):
        parts.append(seen(snap, now))
    return " · ".join(parts)


def changes(previous: Snapshot | None, snap: Snapshot) -> list[str]:
    """What differs from the lab's previous snapshot, one phrase each (its master's outages: ``outage_changes``)."""
    if previous is None:
        return []
    out = []
    if previous.get("status") != snap.get("status") and not (unknown(previous) or unknown(snap)):
        out.append(f"{snap['lab']} {previous.get('status')} → {snap.get('status')}")
    if previous.get("last_deploy") != snap.get("last_deploy") and snap.get("last_deploy"):
        d = snap["last_deploy"]
        out.append(f"{snap['lab']} deploy {mark(d['state'])} (#{d['job']})")
    before, after = previous.get("health") or {}, snap.get("health") or {}
    if after and before.get("failed") != after.get("failed"):
        trend = "got worse" if after["failed"] > before.get("failed", 0) else "improved"
        out.append(f"{snap['lab']} health {trend} ({after['passed']}/{after['passed'] + after['failed']})")
    offline, before_offline = set(snap.get("offline") or []), set(previous.get("offline") or [])
    if offline - before_offline and not unknown(previous):
        out.append(f"{snap['lab']} new offline: {', '.join(sorted(offline - before_offline))}")
    return out


def outage_changes(previous: Sequence[Snapshot | None], now: Sequence[Snapshot]) -> list[str]:
    """A Fuel master that stopped (or started again) answering, once, with the labs it serves."""
    went: dict[str, list[str]] = {}
    back: dict[str, list[str]] = {}
    for before, snap in zip(previous, now):
        if before is None or unreachable(before) == unreachable(snap):
            continue
        target = went if unreachable(snap) else back
        target.setdefault(str(snap.get("fuel") or before.get("fuel") or "?"), []).append(str(snap["lab"]))
    return ([f"Fuel at {url} stopped answering ({', '.join(labs)})" for url, labs in went.items()]
            + [f"Fuel at {url} answers again ({', '.join(labs)})" for url, labs in back.items()])


class DigestVoice(OneShotVoice[Digest]):
    """A short digest is all in its parent; a long one puts its lab lines in the thread, in sections."""

    def _head(self, digest: Digest) -> str:
        if digest.first:
            since = "first digest"
        else:
            since = ("since last digest: " + "; ".join(digest.changes)) if digest.changes else "no change since last digest"
        head = f"📋 Labs digest — {len(digest.snapshots)} lab(s) · {since}"
        if digest.missed:
            head += f" · (covers {digest.missed + 1} scheduled runs missed while fuelbot was down)"
        if digest.mention and digest.changes:
            head = f"{mention(digest.mention)} {head}"
        return head

    def _lab_lines(self, digest: Digest) -> list[str]:
        masters = [f"🔌 Fuel master {o.fuel} does not answer ({o.error}): {', '.join(o.labs)}" for o in digest.outages]
        masters += [f"👽 Fuel master {s.fuel} has {len(s.nodes)} unassigned node(s) no lab owns: "
                    f"{'; '.join(s.nodes[:3])}" + (f" and {len(s.nodes) - 3} more" if len(s.nodes) > 3 else "")
                    for s in digest.strangers]
        return (masters + [line_for(s, digest.now) for s in digest.snapshots]
                + [f"⚠️ {p}" for p in digest.problems][:5])

    def headline(self, digest: Digest) -> str:
        lines = self._lab_lines(digest)
        return self._head(digest) + "\n" + "\n".join(lines) if len(lines) <= 3 else self._head(digest)

    def lines(self, fact: Digest) -> Sequence[Line]:
        lines = self._lab_lines(fact)
        if len(lines) <= 3:
            return []
        return [Line("\n".join(lines[start:start + SECTION_LIMIT])) for start in range(0, len(lines), SECTION_LIMIT)]

    def ended(self, job: JobHeader, ending: Ending, headline: str | None) -> list[Line]:
        if ending.state is JobState.SUCCEEDED and headline is not None:
            head, _, labs = headline.partition("\n")     # the job is the digest's, not its last lab's
            return [Line.of_parent(Message(f"{head} · job #{job.id}" + (f"\n{labs}" if labs else "")))]
        return super().ended(job, ending, headline)
