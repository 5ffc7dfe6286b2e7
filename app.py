"""fuelbot's single entry point: the process's command line and its sub-commands.

    python app.py serve            the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)
    python app.py console          the local chat on the embedded lab (what `make demo` runs)
    python app.py lab              start the embedded lab (vcsim + Fuel simulator) until Ctrl-C
    python app.py worker           jobs, schedules and the outbox only (scale out beside `serve`)
    python app.py migrate          bring the database schema to head
    python app.py check-lab FILE…  validate lab specs

What a process runs is wired together in ``wiring.py``; the sub-commands here start it and stop it.
"""
from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from core.errors import ConfigError, DatabaseError, FuelbotError
from core.redact import ScrubbingFilter
from core.settings import Settings
from wiring import bot_web, build_runtime, keep_out_of_collections, spec_environment

if TYPE_CHECKING:    # each command imports only what it runs (check-lab needs no Slack, no database)
    from bot.web import FuelbotWSGI

log = logging.getLogger("fuelbot")
DEMO_MASTER_VM = "fuel-master"      # lab1's fuel.master_vm: the embedded master is that VM


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ScrubbingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("apscheduler", "urllib3", "slack_bolt", "slack_sdk", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(settings: Settings, *, migrate: bool = False) -> int:
    """Run the bot until SIGTERM/SIGINT; returns the exit code."""
    missing = settings.missing_for_serve()
    if missing:
        print(f"fuelbot: cannot serve, missing settings: {', '.join(missing)} (see README, Configuration).",
              file=sys.stderr)
        return 2
    from bot.http_server import ServingLimits, serve_http
    from bot.slack_app import build_app
    from bot.web import FuelbotWSGI, serve_socket_mode

    runtime = build_runtime(settings, migrate=migrate)
    app = build_app(settings=settings, services=runtime.services, metrics=runtime.metrics)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    limits = ServingLimits(connections=settings.http_connections, read_timeout=settings.http_read_timeout)
    web = serve_http(bot_web(runtime, app), settings.http_host, settings.port, limits=limits)
    servers = [web]
    if settings.metrics_address is not None:     # /metrics where only the scraper reaches it
        servers.append(serve_http(FuelbotWSGI(app=app, metrics=runtime.metrics, session_factory=runtime.sessions,
                                              scheduler_running=lambda: runtime.ticker.running, metrics_open=True),
                                  *settings.metrics_address, limits=limits))
    socket = serve_socket_mode(app, settings.slack_app_token) if settings.slack_app_token else None
    keep_out_of_collections()
    runtime.ticker.start()
    mode = "Socket Mode" if socket else f"HTTP on :{settings.port}/slack/events"
    log.info("fuelbot %s serving (%s), database %s", settings.worker_id, mode, settings.database_url_masked)
    stop.wait()
    log.info("fuelbot stopping; running jobs stop at a safe point and any replica resumes them at their step")
    runtime.stop()
    if socket is not None:
        socket.stop()
    for server in servers:
        server.stop()
    return 0


def run_worker(settings: Settings) -> int:
    """Run only the job worker, schedules, discovery watch and Slack outbox (no HTTP listener)."""
    runtime = build_runtime(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime.ticker.start()
    log.info("fuelbot worker %s started, database %s", settings.worker_id, settings.database_url_masked)
    stop.wait()
    runtime.stop()
    return 0


def run_lab(args: argparse.Namespace, settings: Settings) -> int:
    from sim.lab import EmbeddedLab

    master_vm = args.master_vm or None
    lab = EmbeddedLab.start(vcenter_port=args.vcenter_port, fuel_port=args.fuel_port, ssh_port=args.ssh_port,
                            speed=args.speed, log_dir=Path("var"), master_vm=master_vm,
                            install_time=args.install_seconds * args.speed)
    print(f"vCenter simulator: {lab.vcsim.url}  (user {lab.environ()['VCENTER_USER']}, password from the embedded "
          "lab's default)")
    print(f"Fuel master simulator: {lab.fuel.url}  (Fuel 6.0 API, speed x{args.speed})")
    print(f"Fuel master SSH: ssh -p {lab.fuel.ssh_port} root@127.0.0.1  (a fresh 6.0 master: root's password r00tme)")
    if master_vm:
        print(f"The master is the VM `{master_vm}` in vCenter: it answers once `/fuel deploy lab1` has created it and "
              f"installed it from its ISO (about {args.install_seconds:.0f} s).")
    print("labs/*.yaml point here by default. Ctrl-C stops both.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        lab.stop()
    return 0


def run_console(args: argparse.Namespace, settings: Settings) -> int:
    """The embedded lab, the bot on SQLite and a local Slack, in one terminal."""
    from sim.console.chat import Console
    from sim.slack.workspace import LocalSlack
    from bot.http_server import serve_http
    from bot.slack_app import build_app
    from core.redact import register_secret
    from sim.lab import EmbeddedLab

    Path("var").mkdir(exist_ok=True)
    print("Starting the embedded lab (vCenter simulator + Fuel master simulator)…", flush=True)
    lab = EmbeddedLab.start(vcenter_port=0, fuel_port=0, ssh_port=0, speed=args.speed, log_dir=Path("var"),
                            master_vm=DEMO_MASTER_VM, install_time=args.install_seconds * args.speed)
    slack = LocalSlack().start()
    signing_secret = secrets.token_hex(16)
    link_key = settings.job_link_key or secrets.token_hex(32)
    register_secret(link_key)
    # Job page links start with the web server's own URL, known once it listens; the bot that
    # answers there is built with those links, so the server starts first and is handed it after.
    bot: list[FuelbotWSGI] = []
    web = serve_http(lambda environ, start_response: bot[0](environ, start_response), "127.0.0.1", 0)
    # The bot installs the master and sets passwords of its own on it, as on real gear (never shown).
    environ = {**settings.environ, **lab.environ(), "FUEL_PASSWORD": secrets.token_urlsafe(12),
               "FUEL_ROOT_PASSWORD": secrets.token_urlsafe(12)}
    console_settings = replace(settings, environ=environ, slack_bot_token="xoxb-local-console",
                               slack_signing_secret=signing_secret, slack_api_url=slack.base_url,
                               admins=settings.admins | {args.user}, tick_seconds=0.5, public_url=web.url,
                               job_link_key=link_key)
    runtime = build_runtime(console_settings, migrate=True)
    app = build_app(settings=console_settings, services=runtime.services, metrics=runtime.metrics)
    bot.append(bot_web(runtime, app, metrics_open=True))
    runtime.ticker.start()
    print(f"vCenter {lab.vcsim.url} · Fuel {lab.fuel.url} (ssh port {lab.fuel.ssh_port}) · bot {web.url} · database "
          f"{console_settings.database_url_masked}", flush=True)
    print(f"No Fuel master yet: `/fuel deploy lab1` creates the VM `{DEMO_MASTER_VM}`, installs Fuel 6.0 from its ISO "
          f"(about {args.install_seconds:.0f} s here, 20–40 min on real gear) and sets it up.", flush=True)
    try:
        Console(local_slack=slack, events_url=f"{web.url}/slack/events", signing_secret=signing_secret,
                user_id=args.user, channel_id="C0LAB", channel_name="lab").run(sys.stdin, sys.stdout)
    finally:
        runtime.stop()
        web.stop()
        slack.stop()
        lab.stop()
        for violation in slack.violations:   # what real Slack would have refused (LocalSlack is strict)
            print(f"LocalSlack: Slack would refuse {violation}", file=sys.stderr)
    return 0


def check_lab(paths: Sequence[str], settings: Settings) -> int:
    from labspec.check import check_files, describe, warnings_for
    from labspec.loader import load_lab

    environ = spec_environment(settings)
    problems = check_files([Path(p) for p in paths], environ)
    for problem in problems:
        print(problem)
    bad_files = {p.file for p in problems}
    for path in paths:
        if path not in bad_files and str(Path(path)) not in bad_files:
            lab = load_lab(Path(path), environ)
            print(f"{path}: ok ({describe(lab)})")
            for warning in warnings_for(lab, path):
                print(warning)
    return 1 if problems else 0


def migrate(settings: Settings) -> int:
    from store.db import make_engine
    from store.migrate import upgrade

    upgrade(make_engine(settings.database_url))
    print(f"database {settings.database_url_masked} is at the schema's head")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="fuelbot", description="fuelbot: deploy and operate Fuel labs on vSphere "
                                  "from Slack.")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_cmd = sub.add_parser("serve", help="run the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)")
    serve_cmd.add_argument("--migrate", action="store_true", help="bring the schema to head before serving")
    console = sub.add_parser("console", help="chat with fuelbot locally on the embedded lab (what `make demo` runs)")
    console.add_argument("--user", default="U0CONSOLE", help="the Slack user id you type as")
    console.add_argument("--speed", type=float, default=float(os.environ.get("FUELSIM_SPEED", "4")),
                         help="Fuel simulator speed factor (default 4)")
    console.add_argument("--install-seconds", type=float, default=40.0,
                         help="wall seconds the Fuel master's install from its ISO takes (default 40)")
    lab = sub.add_parser("lab", help="start the embedded lab (vcsim + Fuel simulator) on loopback until Ctrl-C")
    lab.add_argument("--vcenter-port", type=int, default=8989)
    lab.add_argument("--fuel-port", type=int, default=8000)
    lab.add_argument("--ssh-port", type=int, default=8022, help="the Fuel master's sshd (labs/lab1.yaml's default)")
    lab.add_argument("--speed", type=float, default=float(os.environ.get("FUELSIM_SPEED", "1")))
    lab.add_argument("--master-vm", default=DEMO_MASTER_VM,
                     help="the VM that is the Fuel master (lab1's fuel-master); '' for a master up from the start")
    lab.add_argument("--install-seconds", type=float, default=40.0,
                     help="wall seconds the master's install from its ISO takes (default 40)")
    sub.add_parser("worker", help="run jobs, schedules and the Slack outbox without the HTTP listener")
    sub.add_parser("migrate", help="bring the database schema to head")
    check = sub.add_parser("check-lab", help="validate lab specs and print every problem")
    check.add_argument("files", nargs="+", metavar="FILE")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level)
        if args.command == "serve":
            return serve(settings, migrate=args.migrate)
        if args.command == "console":
            return run_console(args, settings)
        if args.command == "lab":
            return run_lab(args, settings)
        if args.command == "worker":
            return run_worker(settings)
        if args.command == "migrate":
            return migrate(settings)
        return check_lab(args.files, settings)
    except (ConfigError, DatabaseError, FuelbotError) as exc:
        print(f"fuelbot: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
