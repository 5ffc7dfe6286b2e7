"""One line for all of ``make bench``: each figure of issue #16 taken from the bench that measures it.

    .venv/bin/python -m bench.summary var/bench

``make bench`` keeps each bench's output in ``var/bench/<bench>.out``; every bench ends with one
JSON line, which is all this reads. It prints a table (figure, target, measured) and then ONE
JSON line holding every figure and ``targets``: per figure its target and whether this run met it.
A figure whose bench did not run or did not say it is null (and not met); nothing is made up.
"""
from __future__ import annotations

import json
import operator
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence


@dataclass(frozen=True)
class Figure:
    """One row of the issue's table: where its value is, and its target."""

    key: str
    title: str
    sources: tuple[tuple[str, tuple[str, ...]], ...]    # (bench, path in its JSON line), first found wins
    target: float | None = None
    at_most: bool = True                                 # the target is a ceiling (else a floor)

    def met(self, value: float | None) -> bool | None:
        if self.target is None:
            return None
        if value is None:
            return False
        compare: Callable[[float, float], bool] = operator.le if self.at_most else operator.ge
        return compare(value, self.target)

    def target_text(self) -> str:
        return "" if self.target is None else f"{'<=' if self.at_most else '>='} {self.target:g}"


FIGURES = (
    Figure("ack_p99_ms_50", "/fuel ack p99 at 50 concurrent clients, ms",
           (("bench_ack_latency", ("ack_p99_ms_50",)),)),
    Figure("ack_p99_ratio_50", "/fuel ack p99 at 50 clients, fuelbot / bare Bolt",
           (("bench_ack_latency", ("ack_p99_ratio_50",)),), 1.5),
    Figure("digest_50x100_s", "digest of 50 labs x 100 nodes (job run time), s",
           (("bench_deploy", ("digest_50x100_s",)), ("bench_deploy", ("digest", "run_s"))), 0.2),
    Figure("digest_observation_tick_s", "  the observation tick that digest reads, one pass over 52 labs, s",
           (("bench_deploy", ("digest", "observation_tick_s")),)),
    Figure("fuel_requests_per_min_following", "Fuel requests per minute while following a deploy",
           (("bench_fuel_polling", ("fuel_requests_per_min_following",)),), 12),
    Figure("spec_load_52_s", "loading 52 lab specs of 100 nodes, cold, s",
           (("bench_spec_load", ("spec_load_52_s",)),), 0.3),
    Figure("vsphere_calls_per_vm_100", "vSphere SOAP calls per VM, 100-node lab",   # the deploy's, when it says
           (("bench_deploy", ("vsphere_calls_per_vm_100",)), ("bench_deploy", ("lab100", "vsphere_calls_per_vm")),
            ("bench_vsphere_create", ("vsphere_calls_per_vm_100",))), 8),
    Figure("create_vms_100_speedup_5ms", "create + power on 100 VMs at 5 ms per call, x faster than serial",
           (("bench_vsphere_create", ("create_vms_100_speedup_5ms",)),), 3, at_most=False),
    Figure("slack_calls_lab1_deploy", "Slack calls for one lab1 deploy thread",
           (("bench_deploy", ("slack_calls_lab1_deploy",)), ("bench_deploy", ("lab1", "slack_calls"))), 15),
    Figure("rss_peak_mb_100_deploy", "peak RSS of serve during a 100-node deploy, MB",
           (("bench_serve_rss", ("rss_peak_mb_100_deploy",)),), 120),
    Figure("jobs_per_s_pg_4_workers", "PostgreSQL job claim-and-run, 4 workers, jobs/s",
           (("bench_jobs", ("jobs_per_s_pg_4_workers",)),), 200, at_most=False),
)


def last_json(path: Path) -> dict[str, Any] | None:
    """The last line of ``path`` that is a JSON object (a bench's summary line), or None."""
    if not path.is_file():
        return None
    for line in reversed(path.read_text(encoding="utf-8", errors="replace").splitlines()):
        if line.startswith("{"):
            try:
                document = json.loads(line)
            except ValueError:
                continue
            if isinstance(document, dict):
                return document
    return None


def find(document: dict[str, Any] | None, path: Sequence[str]) -> float | None:
    value: Any = document
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def summarise(directory: Path) -> dict[str, Any]:
    outputs = {path.stem: last_json(path) for path in sorted(directory.glob("bench_*.out"))}
    figures: dict[str, Any] = {"bench": "summary"}
    targets: dict[str, Any] = {}
    for figure in FIGURES:
        value = next((v for bench, path in figure.sources if (v := find(outputs.get(bench), path)) is not None),
                     None)
        figures[figure.key] = value
        if figure.target is not None:
            targets[figure.key] = {"target": figure.target_text(), "met": figure.met(value)}
    figures["targets"] = targets
    figures["all_met"] = all(t["met"] for t in targets.values())
    figures["benches"] = sorted(name for name, document in outputs.items() if document is not None)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0] if args else "var/bench")
    summary = summarise(directory)
    print(f"{'figure':<66} {'target':>9} {'measured':>10}")
    for figure in FIGURES:
        value = summary[figure.key]
        met = figure.met(value)
        mark = "" if met is None else (" ok" if met else " MISSED")
        shown = "—" if value is None else f"{value:g}"
        print(f"{figure.title:<66} {figure.target_text():>9} {shown:>10}{mark}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
