"""SIGTERM hands running jobs over at once, even while they wait inside Fuel polling (issue #17, item 8).

A real ``python app.py worker`` follows a deploy that Fuel takes long to provision, with a lease
(60 s) far longer than the test: only an explicit hand-over lets another process resume the job
now. Without it the process would exit after its 10 s grace with the job still leased.
"""
from __future__ import annotations

import os
import shutil
import signal
import time

import pytest

from jobs.queue import claim_next, submit
from jobs.states import JobKind
from sim.fuel.simulator import FuelSimulator
from sim.vcenter.process import VcsimProcess
from store.db import make_engine, session_factory
from store.models import Job
from store.types import utcnow
from tests.fixtures.fuel_simulator import FAST
from tests.integration.test_jobs_crash import ROOT, spawn, wait_for

LEASE = 60.0


@pytest.fixture
def slow_world(tmp_path, migrated_database_url, vcsim_binary):
    vcsim = VcsimProcess.start(port=0, log_path=tmp_path / "vcsim.log")
    fuel = FuelSimulator(FAST.with_changes(vcenter_url=vcsim.url, vcenter_user=vcsim.user,
                                           vcenter_password=vcsim.password,
                                           timings={"provision": 6000.0},   # a minute of wall time
                                           # lab2 shares lab1's master, set up as lab1's deploy leaves it
                                           feature_groups=("mirantis", "experimental")))
    fuel.start()
    labs = tmp_path / "labs"
    shutil.copytree(ROOT / "labs", labs)
    env = {**os.environ, "DATABASE_URL": migrated_database_url, "FUELBOT_LABS_DIR": str(labs),
           "VCENTER_URL": vcsim.url, "VCENTER_USER": vcsim.user, "VCENTER_PASSWORD": vcsim.password,
           "FUEL_URL": fuel.url, "FUELBOT_LEASE_SECONDS": str(LEASE), "FUELBOT_TICK_SECONDS": "0.1",
           "FUELBOT_POLL_SECONDS": "0.1", "FUELBOT_LOG_LEVEL": "WARNING", "LAB1_CHANNEL": "", "LAB2_CHANNEL": ""}
    env.pop("SLACK_BOT_TOKEN", None)
    engine = make_engine(migrated_database_url)
    world = {"env": env, "sessions": session_factory(engine), "procs": [], "tmp": tmp_path}
    try:
        yield world
    finally:
        for proc in world["procs"]:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        engine.dispose()
        fuel.stop()
        vcsim.stop()


def test_sigterm_hands_a_job_waiting_on_fuel_over_at_once(slow_world) -> None:
    sessions = slow_world["sessions"]
    with sessions() as session, session.begin():
        job_id = submit(session, kind=JobKind.DEPLOY, requester="UOPS0001", lab="lab2").job.id
    worker = spawn(slow_world, ["app.py", "worker"], "stopping")

    def following_the_deploy() -> bool:
        with sessions() as session:
            job = session.get(Job, job_id)
            return job.step == "follow_deploy" and job.lease_owner == "stopping"
    wait_for(following_the_deploy, 90, "the deploy to be followed in Fuel")
    time.sleep(0.5)                                    # inside the poll's pause, as it mostly is
    signalled = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    assert time.monotonic() - signalled < 5, "the wait inside Fuel polling did not notice the shutdown"
    with sessions() as session:
        job = session.get(Job, job_id)
        assert (job.state, job.step) == ("running", "follow_deploy")
        assert "handover" in [e.kind for e in job.events]
        assert job.lease_expires_at is not None and job.lease_expires_at <= utcnow()
    with sessions() as session, session.begin():       # another replica takes it now, not in a minute
        taken = claim_next(session, worker_id="rescuer", lease_seconds=30)
        assert taken is not None and taken.id == job_id and taken.step == "follow_deploy"
