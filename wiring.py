"""What a fuelbot process runs, wired together from its settings: the one place that builds everything.

``build_runtime()`` builds (never starts) the database, the command services, the worker, the
ticker and the Slack outbox; ``bot_web()`` puts the Bolt app behind the bot's web face. The
sub-commands of ``app.py`` start what they build here; the tests and benches build it the same way.
The embedded lab (``sim``) is never imported here: only ``app.py``'s console and lab start it.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

from core.settings import Settings

if TYPE_CHECKING:    # each piece is imported where it is built (check-lab needs no Slack, no database)
    from slack_sdk import WebClient
    from sqlalchemy import Engine
    from slack_bolt import App
    from sqlalchemy.orm import Session, sessionmaker

    from bot.delivery import OutboxDelivery
    from bot.metrics import Metrics
    from bot.web import FuelbotWSGI
    from commands.api import CommandServices
    from integrations.vsphere.pool import VSphereSessions
    from jobs.ticker import Ticker
    from jobs.worker import Worker
    from labspec.catalog import CachedLabs
    from workflows.observations import LabObserver

WATCH_SECONDS = 60.0
SCHEDULE_SECONDS = 15.0
LEASE_SECONDS = 15.0        # reminders and expiry of leases, expiry of approvals


@dataclass
class Runtime:
    """Everything a fuelbot process runs: database, command services, worker, ticker, delivery."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    services: CommandServices
    worker: Worker
    ticker: Ticker
    delivery: OutboxDelivery | None
    metrics: Metrics
    watch_discovery: Callable[[], None]      # one pass of the discovery watch (the ticker runs it each minute)
    vsphere_sessions: VSphereSessions
    labs: CachedLabs                         # the lab specs, read ahead of the acks (the ticker refreshes them)
    observer: LabObserver                    # what each lab's Fuel master last said (the ticker reads them)

    def stop(self) -> None:
        self.ticker.shutdown()
        self.worker.shutdown(wait=True, timeout=10.0)
        self.vsphere_sessions.close()
        self.observer.close()


def build_runtime(settings: Settings, *, slack_client: WebClient | None = None, migrate: bool = False) -> Runtime:
    """Build (not start) a process: checks the database first, with one clear line on failure."""
    from bot.delivery import OutboxDelivery
    from bot.metrics import Metrics
    from bot.slack_client import slack_client as make_slack_client
    from commands.api import CommandServices, LabCatalog
    from commands.authz import Policy
    from integrations.fuel.client import FuelClient
    from integrations.fuel.master_setup import FuelMasterSetup
    from integrations.vsphere.client import VSphereClient
    from jobs.fairness import FairShare
    from integrations.vsphere.pool import VSphereSessions
    from jobs.runner import JobRunner
    from jobs.schedules import fire_due
    from jobs.ticker import Tick, Ticker
    from jobs.worker import Worker
    from labspec.catalog import CachedLabs
    from store.db import make_engine, require_schema_at_head, session_factory
    from store.host_keys import HostKeyStore
    from store.migrate import upgrade
    from workflows.deps import Timeouts, WorkflowDeps
    from workflows.lease_watch import tick_leases
    from workflows.observations import LabObserver
    from workflows.registry import workflows
    from workflows.watch import watch_labs

    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    require_schema_at_head(engine)
    sessions = session_factory(engine)

    labs = CachedLabs(settings.labs_dir, spec_environment(settings))
    labs.refresh()      # read at start; a tick re-reads what changes, so no ack ever parses a spec

    policy = Policy.load(settings.policy_file, settings.admins)
    links = settings.job_links()
    services = CommandServices(session_factory=sessions, labs=LabCatalog(load=labs.current), policy=policy,
                               admins=settings.admins,
                               fair_share=FairShare(queued_per_user=settings.max_queued_per_user,
                                                    queued_per_lab=settings.max_queued_per_lab,
                                                    posts_per_user=settings.max_pending_posts_per_user),
                               links=links)
    deps = WorkflowDeps(session_factory=sessions, load_labs=labs,
                        vsphere_factory=lambda lab: VSphereClient.connect(lab.vcenter),
                        fuel_factory=lambda lab: FuelClient.from_master(lab.fuel),
                        master_factory=lambda lab: FuelMasterSetup.of(lab.fuel, keys=HostKeyStore(sessions),
                                                                      lab=lab.name),
                        timeouts=Timeouts(poll=settings.poll_seconds, master_install=settings.master_install_seconds),
                        snapshot_dir=settings.snapshot_dir, snapshot_max_bytes=settings.snapshot_max_mb * 1_000_000,
                        upload_max_bytes=settings.upload_max_mb * 1_000_000)
    runner = JobRunner(session_factory=sessions, workflows=workflows(deps), worker_id=settings.worker_id,
                       lease_seconds=settings.lease_seconds, links=links)
    worker = Worker(session_factory=sessions, runner=runner, worker_id=settings.worker_id,
                    lease_seconds=settings.lease_seconds, max_running=settings.max_running_jobs)
    metrics = Metrics(session_factory=sessions)
    client = slack_client or (make_slack_client(settings, metrics) if settings.slack_bot_token else None)
    delivery = None
    if client is not None:
        delivery = OutboxDelivery(session_factory=sessions, client=client, worker_id=settings.worker_id,
                                  metrics=metrics, min_interval_per_channel=settings.slack_post_interval,
                                  updates_per_minute=settings.slack_updates_per_minute,
                                  upload_dir=settings.snapshot_dir)

    def fire_schedules() -> None:
        with sessions() as session, session.begin():
            fire_due(session, worker_id=settings.worker_id)

    kept = VSphereSessions()      # the watch's: one session per vCenter for the process's life

    def watch_discovery() -> None:
        watch_labs(sessions=sessions, labs=labs.current, fuel_factory=deps.fuel_factory,
                   vsphere=lambda lab: kept.client(lab.vcenter))

    observer = LabObserver(sessions=sessions, labs=labs.current,
                           fuel_factory=lambda lab: FuelClient.from_master(lab.fuel))

    def watch_leases() -> None:
        tick_leases(sessions=sessions, labs=labs.current, reminders=policy.leases.reminders)

    ticks = [Tick("worker", worker.tick, settings.tick_seconds),
             Tick("lab-specs", labs.refresh, settings.tick_seconds),
             Tick("schedules", fire_schedules, SCHEDULE_SECONDS),
             Tick("discovery-watch", watch_discovery, WATCH_SECONDS),
             Tick("leases", watch_leases, LEASE_SECONDS)]
    if settings.observe_seconds > 0:     # the first soon after start: a digest then has something to read
        ticks.append(Tick("lab-observations", observer.tick, settings.observe_seconds, first=1.0))
    if delivery is not None:
        ticks.append(Tick("slack-outbox", delivery.tick, 0.5))
    return Runtime(settings=settings, engine=engine, sessions=sessions, services=services, worker=worker,
                   ticker=Ticker(ticks), delivery=delivery, metrics=metrics, watch_discovery=watch_discovery,
                   vsphere_sessions=kept, labs=labs, observer=observer)


def spec_environment(settings: Settings) -> Mapping[str, str]:
    """The environment as lab specs see it: only FUELBOT_SPEC_VARIABLES, never fuelbot's own."""
    from labspec.variables import SpecEnvironment

    return SpecEnvironment(settings.environ, allowed=settings.spec_variables)


def bot_web(runtime: Runtime, app: App, *, metrics_open: bool = False) -> FuelbotWSGI:
    """The bot's web face: Slack's signed requests to ``app``, the job pages, ``/healthz`` and ``/metrics``
    (for anyone with ``metrics_open``, else only with the settings' metrics token)."""
    from bot.job_page import JobPages
    from bot.web import FuelbotWSGI

    settings = runtime.settings
    return FuelbotWSGI(app=app, metrics=runtime.metrics, session_factory=runtime.sessions,
                       signing_secret=settings.slack_signing_secret, scheduler_running=lambda: runtime.ticker.running,
                       job_pages=JobPages(session_factory=runtime.sessions, links=settings.job_links()),
                       metrics_open=metrics_open, metrics_token=settings.metrics_token)


def keep_out_of_collections() -> None:
    """What a process built to start lives as long as it does: moved out of the cyclic collector's
    sight, a full collection walks only what requests and jobs made since. A full collection of the
    whole start-up heap stopped every thread for about 50 ms, the tail of the acks' latency."""
    gc.collect()
    gc.freeze()
