"""The words every voice shares: durations, progress bars, deploy progress, health summaries, findings."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from integrations.vsphere.preflight import Finding


def duration(seconds: float) -> str:
    """``14m 32s``, ``2h 05m``, ``40s``."""
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def node_label(node_id: int, vm_name: str | None = None) -> str:
    return f"node-{node_id}" + (f" ⇐ `{vm_name}`" if vm_name else "")


def bar(percent: int, width: int = 10) -> str:
    filled = max(0, min(width, round(percent * width / 100)))
    return "▰" * filled + "▱" * (width - filled)


def deploy_progress(*, percent: int, subtasks: Sequence[tuple[str, int, str]],
                    nodes: Iterable[tuple[str, str, int, str]], elapsed: float) -> str:
    """One line per thing moving: overall, subtasks, then each node (name, roles, %, status)."""
    eta = ""
    if 5 <= percent < 100 and elapsed > 30:
        eta = f", ~{duration(elapsed * (100 - percent) / percent)} left"
    lines = [f"🚧 Deploying — {percent}% {bar(percent)} · {duration(elapsed)} elapsed{eta}"]
    parts = [f"{name} {'✓' if status == 'ready' else ('✗' if status == 'error' else f'{progress}%')}"
             for name, progress, status in subtasks]
    if parts:
        lines.append("· " + " · ".join(parts))
    for name, roles, progress, status in nodes:
        lines.append(f"   • {name} {roles} {progress}% ({status})")
    return "\n".join(lines)


def health_counts(summary: Mapping[str, Any]) -> str:
    """``sanity 12/12 ✓ · smoke 9/10 ✗`` from a per-set summary."""
    parts = []
    for testset, counts in summary.get("sets", {}).items():
        total = counts["passed"] + counts["failed"]
        mark = "✓" if counts["failed"] == 0 else "✗"
        skipped = f" ({counts['skipped']} skipped)" if counts.get("skipped") else ""
        parts.append(f"{testset} {counts['passed']}/{total} {mark}{skipped}")
    return " · ".join(parts) or "no tests ran"


def format_findings(findings: Iterable[Finding], *, will_create: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Preflight findings worth a line (not the ok ones); a port group the deploy will create says so."""
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
