"""Peak memory of a real ``app.py serve`` process while it deploys a 100-node lab.

    .venv/bin/python -m bench.bench_serve_rss [--nodes 100] [--speed 100] [--interval 0.1]

The embedded lab runs in this process (vcsim with room for the VMs, the Fuel simulator watching
it at ``--speed``, LocalSlack); ``python app.py serve --migrate`` runs as a process of its own on
a fresh SQLite database, talking Socket Mode to LocalSlack (its HTTP listener on 127.0.0.1, port
0), with the labs directory holding lab1 and ``lab<nodes>`` (``bench_deploy``'s big lab: one
controller and cinder nodes, 1 GB disks). ``/fuel deploy lab<nodes> --skip-health`` goes in as
Slack sends a slash command over Socket Mode; the serving process's resident set size is read from
``/proc/<pid>/status`` every ``--interval`` seconds (VmRSS) until the job is final, and its peak
(VmHWM) at the end. Prints the figures, then ONE JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml

from bench.bench_deploy import big_lab
from sim.fuel.simulator import FuelSimulator
from sim.slack.signing import slash_command_form
from sim.slack.workspace import LocalSlack
from sim.vcenter.process import VcsimProcess
from tests.fixtures.fuel_simulator import FAST

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 120.0
CHANNEL, OPERATOR = "C0LAB", "UBENCH01"
APP_TOKEN = "xapp-bench-rss"
FINAL = ("succeeded", "failed", "cancelled")


def status_kb(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) … of ``pid`` in kB, from /proc."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name.startswith("Vm") and value.strip().endswith("kB"):
            figures[name] = int(value.split()[0])
    return figures


def job_state(db: Path, kind: str) -> tuple[str | None, str | None]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT state, error FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT 1",
                               (kind,)).fetchone()
    except sqlite3.Error:
        return None, None
    return (row[0], row[1]) if row else (None, None)


def serve_env(*, db: Path, labs: Path, slack: LocalSlack, vcsim: VcsimProcess, fuel: FuelSimulator) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
            "DATABASE_URL": f"sqlite:///{db}", "SLACK_BOT_TOKEN": "xoxb-bench-rss", "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_SIGNING_SECRET": secrets.token_hex(16), "SLACK_API_URL": slack.base_url,
            "FUELBOT_LABS_DIR": str(labs), "FUELBOT_ADMINS": OPERATOR, "FUELBOT_HTTP_HOST": "127.0.0.1", "PORT": "0",
            "FUELBOT_TICK_SECONDS": "0.1", "FUELBOT_POLL_SECONDS": "0.1", "FUELBOT_LOG_LEVEL": "WARNING",
            "FUELBOT_SLACK_POST_INTERVAL": "0.02", "FUELBOT_SLACK_UPDATES_PER_MINUTE": "2500",
            "VCENTER_URL": vcsim.url, "VCENTER_USER": vcsim.user, "VCENTER_PASSWORD": vcsim.password,
            "FUEL_URL": fuel.url}


def command(slack: LocalSlack, text: str) -> str:
    """``/fuel <text>`` as Slack delivers it over Socket Mode; the text of the ack."""
    payload = dict(parse_qsl(slash_command_form(
        text=text, user_id=OPERATOR, channel_id=CHANNEL, channel_name="lab", team_id=slack.team_id,
        response_url=slack.new_response_url(channel=CHANNEL, user=OPERATOR))))
    ack = slack.socket.wait_for_ack(slack.socket.send_envelope("slash_commands", payload, timeout=30), timeout=30)
    return str((ack.payload or {}).get("text") or "")


def run(nodes: int, speed: float, interval: float, tmp: Path) -> dict[str, Any]:
    labs, db = tmp / "labs", tmp / "fuelbot.db"
    labs.mkdir()
    lab1 = yaml.safe_load((ROOT / "labs" / "lab1.yaml").read_text(encoding="utf-8"))
    (labs / "lab1.yaml").write_text((ROOT / "labs" / "lab1.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    name = f"lab{nodes}"
    (labs / f"{name}.yaml").write_text(yaml.safe_dump(big_lab(lab1, name=name, nodes=nodes, disk_gb=1),
                                                      sort_keys=False), encoding="utf-8")
    with VcsimProcess.start(hosts_per_cluster=max(3, nodes // 2 + 4), extra_args=["-ds-gb", "4096"],
                            log_path=tmp / "vcsim.log") as vcsim, \
            LocalSlack(channels={CHANNEL: "lab"}, rate_scale=50.0) as slack:
        # lab1 declares the master and sets it up; lab<nodes> only shares it: set up as lab1's spec says
        # (image provisioning needs the experimental feature group, which preflight checks)
        fuel = FuelSimulator(FAST.with_changes(speed=speed, vcenter_url=vcsim.url, vcenter_user=vcsim.user,
                                               vcenter_password=vcsim.password,
                                               feature_groups=("mirantis", "experimental")))
        fuel.start()
        log = open(tmp / "serve.log", "wb")
        serve = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve", "--migrate"], cwd=ROOT,
                                 env=serve_env(db=db, labs=labs, slack=slack, vcsim=vcsim, fuel=fuel),
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            if not slack.socket.wait_for_connections(1, timeout=60):
                raise RuntimeError(f"serve never connected over Socket Mode:\n{(tmp / 'serve.log').read_text()[-2000:]}")
            time.sleep(1.0)                                   # the ticker's first rounds
            idle = status_kb(serve.pid)
            started = time.monotonic()
            ack = command(slack, f"deploy {name} --skip-health")
            samples: list[int] = []
            state, error = None, None
            while time.monotonic() - started < 600:
                samples.append(status_kb(serve.pid)["VmRSS"])
                state, error = job_state(db, "deploy")
                if state in FINAL:
                    break
                time.sleep(interval)
            wall = time.monotonic() - started
            end = status_kb(serve.pid)
        finally:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
            log.close()
            fuel.stop()
    return {"nodes": nodes, "state": state, "error": error, "ack": ack, "deploy_wall_s": round(wall, 1),
            "samples": len(samples), "idle_rss_mb": round(idle["VmRSS"] / 1024, 1),
            "sampled_peak_rss_mb": round(max(samples) / 1024, 1) if samples else None,
            "peak_rss_mb": round(end["VmHWM"] / 1024, 1), "end_rss_mb": round(end["VmRSS"] / 1024, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100, help="nodes of the lab deployed")
    parser.add_argument("--speed", type=float, default=100.0, help="Fuel simulator speed")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between two RSS samples")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-rss-") as tmp:
        result = run(args.nodes, args.speed, args.interval, Path(tmp))
    print(f"`app.py serve` deploying lab{args.nodes} ({args.nodes} nodes, Socket Mode, SQLite): "
          f"{result['state']} in {result['deploy_wall_s']} s; ack: {result['ack'][:80]!r}")
    print(f"  RSS idle {result['idle_rss_mb']} MB · peak {result['peak_rss_mb']} MB (VmHWM; sampled max "
          f"{result['sampled_peak_rss_mb']} MB over {result['samples']} samples) · at the end "
          f"{result['end_rss_mb']} MB; target <= {TARGET_MB:.0f} MB")
    print(json.dumps({"bench": "serve_rss", **result, "seconds": round(time.monotonic() - started, 1),
                      "rss_peak_mb_100_deploy": result["peak_rss_mb"] if args.nodes == 100 else None,
                      "targets": {"rss_peak_mb_100_deploy": TARGET_MB}}))
    return 0 if result["state"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
