"""The words of each kind, from typed outcomes: parents, failure lines, buttons (exact texts)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.mrkdwn import to_slack
from core.buttons import ButtonAction
from core.errors import StepFailed
from jobs.states import JobState
from jobs.voice import Ending, JobHeader, LifecycleVoice
from tests.fakes.harness import fake_lab
from workflows.voices.deploy import DeployOutcome, DeployVoice
from workflows.voices.health import Comparison, HealthChecked, HealthOutcome, HealthVoice
from workflows.voices.inspect import Plan, PlanAction, PlannedChange, PlanVoice
from workflows.voices.digest import changes, line_for
from workflows.voices.oneshot import OneShotVoice

DEPLOY = JobHeader(id=12, kind="deploy", lab="lab1", requester="U0ALICE1")
SUMMARY = {"sets": {"sanity": {"passed": 12, "failed": 0, "skipped": 0},
                    "smoke": {"passed": 9, "failed": 1, "skipped": 0}}, "passed": 21, "failed": 1, "skipped": 0}
TESTS = {"t1": {"name": "Create volume", "testset": "smoke", "status": "failure", "message": "timed out", "step": 3}}


def test_lifecycle_lines_come_from_the_kind_row() -> None:
    voice = LifecycleVoice()
    queued = voice.queued(DEPLOY)
    assert to_slack(queued.text) == "⏳ 🚀 Deploy of *lab1* — job #12 by <@U0ALICE1> · queued"
    assert [b.action_id for b in queued.buttons] == [ButtonAction.CANCEL_JOB]
    assert to_slack(voice.running(DEPLOY).text) == "🔄 🚀 Deploy of *lab1* — job #12 by <@U0ALICE1> · running"
    cancelled = voice.cancelled_before_start(DEPLOY, actor="U0BOB001")
    assert to_slack(cancelled.text).endswith("· cancelled by <@U0BOB001> before it started") and cancelled.body() == {}
    assert voice.opened(JobHeader(3, "digest", None, "schedule:4")).text == "📋 Digest — job #3 by schedule #4"
    assert voice.retrying(step_title="Deployment", error=StepFailed("Fuel answered 503."), attempts=30,
                          waits=845) == "⏳ Deployment: Fuel answered 503. Retrying up to 30 more times, pausing 14 min in all."
    assert voice.retrying(step_title="Settings", error=StepFailed("Fuel answered 503."), attempts=1, waits=2) == \
        "⏳ Settings: Fuel answered 503. Retrying once more, pausing 2s in all."


def test_a_deploy_that_succeeded_shows_the_environment_and_health_with_a_rerun_button() -> None:
    env = fake_lab().environment
    (parent,) = DeployVoice().ended(DEPLOY, Ending(JobState.SUCCEEDED, None, 872.0, "Health check"),
                                    DeployOutcome(environment=env, health="sanity 12/12 ✓", deployed=True))
    assert parent.parent is not None
    assert to_slack(parent.text) == ("✅ *lab1* deployed — job #12 by <@U0ALICE1> · 14m 32s · Juno on CentOS 6.5 · multinode · "
                           "vCenter · nova-network\nHealth: sanity 12/12 ✓")
    assert [b.action_id for b in parent.parent.buttons] == [ButtonAction.RERUN_HEALTH]


def test_a_deployed_lab_says_where_its_cloud_is_and_a_failure_where_fuel_failed() -> None:
    env = fake_lab().environment
    urls = DeployOutcome(environment=env, health=None, deployed=True, horizon_url="http://172.16.0.2/",
                         fuel_ui_url="http://10.20.0.2:8000/#cluster/3/nodes")
    (parent,) = DeployVoice().ended(DEPLOY, Ending(JobState.SUCCEEDED, None, 60.0, "Deployment"), urls)
    assert parent.text.splitlines()[1] == "Horizon: http://172.16.0.2/ · Fuel UI: http://10.20.0.2:8000/#cluster/3/nodes"
    error = StepFailed("Provisioning failed on node-9", step="follow_deploy")
    failed, _ = DeployVoice().ended(DEPLOY, Ending(JobState.FAILED, error, 65.0, "Deployment"),
                                    DeployOutcome(environment=env, health=None, deployed=False, failed_at="provisioning"))
    assert to_slack(failed.text) == "❌ *lab1* failed at *provisioning* — job #12 by <@U0ALICE1> · 1m 05s"


def test_a_deploy_that_failed_names_the_step_and_only_offers_health_once_deployed() -> None:
    error = StepFailed("Network verification failed: no message", step="verify_networks")
    parent, line = DeployVoice().ended(DEPLOY, Ending(JobState.FAILED, error, 65.0, "Verify networks"),
                                       DeployOutcome(environment=None, health=None, deployed=False))
    assert to_slack(parent.text) == "❌ *lab1* failed at *verify networks* — job #12 by <@U0ALICE1> · 1m 05s"
    assert parent.parent is not None and parent.parent.buttons == ()
    assert line.text == "❌ Network verification failed: no message" and line.parent is None


def test_a_health_check_headline_compares_with_the_previous_run() -> None:
    outcome = HealthOutcome(SUMMARY, TESTS, Comparison(new_failures=("t1",), fixed=(), still_failing=(),
                                                       first_run=False))
    head, failure = HealthVoice().lines(HealthChecked(lab="lab1", job_id=5, outcome=outcome, mention="<!here>"))
    assert to_slack(head.text) == ("<!here> ❌ Health of *lab1* — sanity 12/12 ✓ · smoke 9/10 ✗ (1 new failure(s) since last "
                         "run) · job #5")
    assert failure.text == "✗ 🆕 *Create volume*: “timed out” (step 3)"


def test_a_plan_lists_its_changes_and_says_how_to_apply_them() -> None:
    plan = Plan(lab="lab1", changes=(PlannedChange(PlanAction.CREATE_PORTGROUP, "pxe"),
                                     PlannedChange(PlanAction.ADD_NODE, "lab1-controller-1", "controller")))
    assert PlanVoice().headline(plan) == "🧭 Plan for *lab1*: 2 change(s) (`/fuel deploy lab1` applies them)"
    (line,) = PlanVoice().lines(plan)
    assert line.text == "➕ create port group `pxe`\n🎭 add `lab1-controller-1` as controller and deploy it"
    assert PlanVoice().lines(Plan(lab="lab1", changes=())) == []


def test_a_one_shot_job_without_a_headline_says_it_is_done() -> None:
    job = JobHeader(id=4, kind="nodes", lab="lab1", requester="U0ALICE1")
    voice: OneShotVoice[object] = OneShotVoice()
    (done,) = voice.ended(job, Ending(JobState.SUCCEEDED, None, 3.0, "Nodes"), None)
    assert to_slack(done.text) == "🖥️ Nodes of *lab1* done — job #4 by <@U0ALICE1> · 3s"
    failed, line = voice.ended(job, Ending(JobState.FAILED, StepFailed("No lab named `lab9`."), 1.0, "Nodes"), None)
    assert (to_slack(failed.text), line.text) == ("❌ 🖥️ Nodes of *lab1* failed — job #4 by <@U0ALICE1> · 1s",
                                        "❌ No lab named `lab9`.")


def test_a_reading_longer_than_the_thread_says_how_much_is_shown_and_where_the_rest_is() -> None:
    from integrations.fuel.logs import LogEntry
    from workflows.voices.logs import LogReading, LogsVoice

    entries = tuple(LogEntry(f"2025-03-04 09:{59 - i:02d}:00", "ERR", f"error {i}") for i in range(45))
    reading = LogReading(lab="lab1", source="install/puppet", source_name="puppet", node="node-7 `lab1-controller-1`",
                         level="ERR", asked=100, entries=entries, has_more=True, job_id=9)
    assert LogsVoice().headline(reading) == ("📜 puppet log of node-7 `lab1-controller-1` in *lab1* — 45 newest "
                                             "entries, ERR and above (older ones exist: `--lines` reads more)")
    (line,) = LogsVoice().lines(reading)
    assert line.text.count("\n2025-") == 30 and "ERR error 0\n" in line.text and "error 30" not in line.text
    assert line.text.endswith("Shown: the 30 newest of 45, long entries cut to a line. All of them, whole: the job "
                              "page (`/fuel job 9` links it) and `lab1-node-7-install-puppet.log` below.")
    assert reading.text.count("\n") == 44, "the whole reading, for the job page"
    lines = reading.file_text.splitlines()
    assert len(lines) == 45 and lines[0].endswith("ERR error 44") and lines[-1].endswith("ERR error 0"), \
        "the file holds every entry, oldest first, as the log reads"
    assert reading.file_title == "puppet log of node-7 lab1-controller-1 in lab1"


def test_a_cancel_is_never_worded_as_a_failure() -> None:
    job = JobHeader(id=4, kind="nodes", lab="lab1", requester="U0ALICE1")
    (stopped,) = OneShotVoice().ended(job, Ending(JobState.CANCELLED, None, 2.0, "Nodes"), None)
    assert to_slack(stopped.text) == "🛑 🖥️ Nodes of *lab1* cancelled — job #4 by <@U0ALICE1> · 2s"
    deploy = JobHeader(id=12, kind="deploy", lab="lab1", requester="U0ALICE1")
    (parent,) = DeployVoice().ended(deploy, Ending(JobState.CANCELLED, None, 65.0, "Deployment"),
                                    DeployOutcome(environment=None, health=None, deployed=False))
    assert parent.text.startswith("🛑 *lab1* cancelled at *deployment*")
    snap = {"lab": "lab1", "status": "new", "last_deploy": {"job": 12, "state": "cancelled", "step": "Deployment"}}
    assert "last deploy 🛑 #12 cancelled at Deployment" in line_for(snap, datetime.now(timezone.utc))
    assert changes({"lab": "lab1", "status": "new"}, snap) == ["lab1 deploy 🛑 (#12)"]


def test_a_digest_line_says_how_fresh_its_reading_is_and_never_passes_an_old_one_off_as_current() -> None:
    now = datetime(2026, 5, 1, 18, 0, tzinfo=timezone.utc)
    fresh = {"lab": "lab1", "status": "operational", "nodes": {"ready:controller": 1}, "offline": [],
             "as_of": (now - timedelta(seconds=40)).isoformat(), "stale": False}
    assert line_for(fresh, now) == "*lab1* operational · 1 ready controller · as of 40s ago"
    old = {**fresh, "as_of": (now - timedelta(minutes=10)).isoformat(), "stale": True}
    assert line_for(old, now).endswith(
        " · last read as of 10 min ago (stale: fuelbot has not read this Fuel master since)")
    silent = {"lab": "lab1", "status": "unreachable", "as_of": (now - timedelta(minutes=3)).isoformat()}
    assert line_for(silent, now) == ("*lab1* — its Fuel master does not answer (above); its last answer is "
                                     "as of 3 min ago")
    never = {"lab": "lab1", "status": "not observed yet"}
    assert line_for(never, now).startswith("*lab1* — not observed yet")
    # nothing current is known: no status change, no "new offline", is made up from it
    assert changes(fresh, never) == [] and changes(never, {**fresh, "offline": ["node-1"]}) == []
