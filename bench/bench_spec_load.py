"""Loading 52 lab specs of 100 nodes, cold, and what a refresh costs once they are loaded.

    .venv/bin/python -m bench.bench_spec_load [--labs 50] [--nodes 100] [--repeat 5]

The labs directory ``bench_deploy`` builds for its digest: lab1.yaml, lab100 (1 controller + 99
cinder nodes, every NIC written out) and ``--labs`` digest labs of ``--nodes`` nodes whose NICs
are one YAML anchor and its aliases (``yaml.safe_dump`` of nodes sharing one list, as
``bench_deploy`` writes them). Each cold load is a new ``CachedLabs``'s first ``refresh()``:
every file read, parsed and checked, the labs checked against each other. Then, on the loaded
catalog: a refresh when nothing changed (what the lab-specs tick costs each tick), a refresh
after one file changed, and ``current()`` (what a command's handler calls). The same cold load
is also timed with every NIC of every lab written out (no anchors). Prints the figures, then ONE
JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import yaml

from bench.bench_deploy import big_lab
from labspec.catalog import CachedLabs

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.3
ENVIRON = {"VCENTER_URL": "https://127.0.0.1:8989/sdk", "VCENTER_USER": "fuelbot", "VCENTER_PASSWORD": "vc-pass",
           "FUEL_URL": "http://127.0.0.1:8000", "LAB1_CHANNEL": "C0LAB"}


def write_labs(directory: Path, *, labs: int, nodes: int, share_nics: bool) -> int:
    lab1_text = (ROOT / "labs" / "lab1.yaml").read_text(encoding="utf-8")
    lab1 = yaml.safe_load(lab1_text)
    (directory / "lab1.yaml").write_text(lab1_text, encoding="utf-8")
    docs = [big_lab(lab1, name=f"lab{nodes}", nodes=nodes, disk_gb=1)]
    docs += [big_lab(lab1, name=f"digest{i:02d}", nodes=nodes, share_nics=share_nics) for i in range(1, labs + 1)]
    for doc in docs:
        (directory / f"{doc['name']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return len(docs) + 1


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def cold_loads(directory: Path, repeat: int, expected: int) -> list[float]:
    def cold() -> None:
        catalog = CachedLabs(directory, ENVIRON)
        catalog.refresh()
        labs, problems = catalog.current()
        assert len(labs) == expected and not problems, (len(labs), problems[:3])
    return timed(cold, repeat)


def spread(samples: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(samples), 4), "min_s": round(min(samples), 4),
            "max_s": round(max(samples), 4)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=50, help="digest labs besides lab1 and the big lab")
    parser.add_argument("--nodes", type=int, default=100, help="nodes per generated lab")
    parser.add_argument("--repeat", type=int, default=5, help="cold loads to time")
    args = parser.parse_args(argv)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="bench-specs-") as tmp:
        anchored, plain = Path(tmp) / "anchored", Path(tmp) / "plain"
        anchored.mkdir()
        plain.mkdir()
        count = write_labs(anchored, labs=args.labs, nodes=args.nodes, share_nics=True)
        write_labs(plain, labs=args.labs, nodes=args.nodes, share_nics=False)
        size = sum(p.stat().st_size for p in anchored.glob("*.yaml"))
        cold = cold_loads(anchored, args.repeat, count)
        cold_plain = cold_loads(plain, args.repeat, count)
        catalog = CachedLabs(anchored, ENVIRON)
        catalog.refresh()
        unchanged = timed(lambda: catalog.refresh(), 20)
        edited = anchored / "digest01.yaml"

        def one_changed() -> None:
            os.utime(edited, ns=(time.time_ns(), time.time_ns()))
            assert catalog.refresh()
        changed = timed(one_changed, args.repeat)
        current = timed(lambda: catalog.current(), 100)
    results = {"cold": spread(cold), "cold_without_anchors": spread(cold_plain),
               "refresh_unchanged_ms": round(statistics.median(unchanged) * 1000, 3),
               "refresh_one_changed_ms": round(statistics.median(changed) * 1000, 2),
               "current_ms": round(statistics.median(current) * 1000, 4)}
    print(f"{count} lab specs ({size // 1024} KiB; {args.labs} of {args.nodes} nodes with anchored NICs, "
          f"lab{args.nodes} and lab1 written out), {args.repeat} cold loads each:")
    for name, key in (("anchored NICs (bench_deploy's)", "cold"), ("every NIC written out", "cold_without_anchors")):
        figures = results[key]
        assert isinstance(figures, dict)
        print(f"  {name:<32} median {figures['median_s']:.3f} s (min {figures['min_s']:.3f}, "
              f"max {figures['max_s']:.3f}); target <= {TARGET_S} s")
    print(f"  refresh, nothing changed (the lab-specs tick): {results['refresh_unchanged_ms']} ms")
    print(f"  refresh, one file changed: {results['refresh_one_changed_ms']} ms")
    print(f"  current() (a command's handler): {results['current_ms']} ms, no file read")
    print(json.dumps({"bench": "spec_load", "labs": count, "nodes": args.nodes, "repeat": args.repeat, **results,
                      "spec_load_52_s": results["cold"]["median_s"] if isinstance(results["cold"], dict) else None,
                      "targets": {"spec_load_52_s": TARGET_S}}))


if __name__ == "__main__":
    main()
