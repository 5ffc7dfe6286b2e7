"""Instant answers on a real database: help, labs, jobs, job, schedules (no job is queued)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from commands.api import CommandServices, LabCatalog, Reply
from commands.authz import Policy
from commands.roles import Role
from jobs.queue import transition
from jobs.states import JobState
from store.models import Job, JobEvent, Schedule
from tests.integration.test_commands_handlers import (ALICE, BOB, BROKEN, CAROL, LAB_CHANNEL, Chat, catalog,
                                                      count, jobs)


@pytest.fixture
def chat(sessions) -> Chat:
    policy = Policy(users={ALICE: Role.OPERATOR}, admins=frozenset({CAROL}))
    return Chat(CommandServices(session_factory=sessions, labs=catalog("lab1", "lab2", problems=BROKEN),
                                policy=policy))


def test_empty_text_and_help_are_compact(chat: Chat) -> None:
    reply = chat.say(BOB, "")
    assert reply.ok and reply.ephemeral
    assert reply == chat.say(BOB, "help")
    assert reply.text.splitlines()[0].startswith("*fuelbot*")
    assert reply.text.endswith("You have the *viewer* role.")
    assert "Needs the *operator* role; you have *operator*." in chat.say(ALICE, "help deploy").text


def test_help_works_without_the_database() -> None:
    def no_database():
        raise AssertionError("help must not open a session")
    services = CommandServices(session_factory=no_database, labs=catalog(), policy=Policy())
    assert Chat(services).say(BOB, "help").ok


def test_labs_show_nodes_last_job_lock_and_broken_specs(chat: Chat, sessions) -> None:
    chat.say(ALICE, "deploy lab1")
    text = chat.say(BOB, "labs").text
    lab1, lab2, broken = text.splitlines()
    assert lab1 == ("*lab1* — 2 nodes (1 compute, 1 controller) · Juno on CentOS 6.5 · multinode · vcenter "
                    "· Fuel: not observed yet · last: deploy #1 queued just now · 🔒 deploy #1 queued")
    assert lab2.endswith("last: no jobs yet")
    assert broken == "⚠️ `lab9.yaml` has 2 problem(s); an admin sees them with `python app.py check-lab`"


def test_jobs_lists_recent_ten_newest_first(chat: Chat, sessions) -> None:
    for _ in range(12):
        chat.say(BOB, "status")
        with sessions() as session:   # it ran: the next status is a job of its own, not a join of this one
            job = session.scalars(select(Job).order_by(Job.id.desc())).first()
            transition(session, job, JobState.RUNNING, actor="worker-1", message="claimed")
            transition(session, job, JobState.SUCCEEDED, actor="worker-1", message="done")
            session.commit()
    chat.say(ALICE, "deploy lab2")
    text = chat.say(BOB, "jobs").text
    lines = text.splitlines()
    assert lines[0] == "Recent jobs:" and len(lines) == 11
    assert lines[1] == "#13 deploy *lab2* · queued · <@U0ALICE> · just now"
    assert chat.say(BOB, "jobs lab2").text.splitlines()[1:] == [lines[1]]
    assert chat.say(BOB, "jobs lab1").text == "No jobs for *lab1* yet."


def test_job_shows_state_step_times_error_and_events(chat: Chat, sessions) -> None:
    chat.say(ALICE, "deploy lab1")
    with sessions() as session:
        job = session.get(Job, 1)
        transition(session, job, JobState.RUNNING, actor="worker-1", message="claimed by worker-1")
        job.step, job.step_title, job.progress = "create_vms", "Create VMs", 40
        transition(session, job, JobState.FAILED, actor="worker-1", message="failed at create_vms",
                   error="Datastore LocalDS_0 is full")
        session.commit()
    text = chat.say(BOB, "job #1").text
    assert text.startswith("*Job #1* — Deploy of *lab1* by <@U0ALICE> · *failed* · step *Create VMs* · 40%")
    assert "Error: Datastore LocalDS_0 is full" in text
    assert "submitted — deploy of lab1 queued (<@U0ALICE>)" in text
    assert "state:failed — failed at create_vms (worker-1)" in text


def test_job_shows_only_the_last_eight_events(chat: Chat, sessions) -> None:
    chat.say(ALICE, "deploy lab1")
    with sessions() as session:
        for n in range(12):
            session.add(JobEvent(job_id=1, at=datetime.now(timezone.utc), actor="worker", kind="step",
                                 message=f"event {n}"))
        session.commit()
    text = chat.say(BOB, "job 1").text
    assert "event 11" in text and "event 4" in text and "event 3" not in text


def test_schedule_digest_stores_and_shows_next_fire_in_its_zone(chat: Chat, sessions) -> None:
    reply = chat.say(ALICE, 'schedule digest "0 9 * * mon-fri" Europe/Paris --lab lab1')
    assert reply.ok, reply.text
    assert reply.text.startswith("Scheduled digest of *lab1* as *#1*: `0 9 * * mon-fri` in Europe/Paris, "
                                 "posting in <#C0LAB>. Next: ")
    assert " 09:00 CE" in reply.text                     # CET or CEST: the schedule's zone, not UTC
    with sessions() as session:
        [schedule] = session.scalars(select(Schedule)).all()
    assert (schedule.kind, schedule.lab, schedule.channel, schedule.created_by) == ("digest", "lab1", LAB_CHANNEL, ALICE)
    again = chat.say(ALICE, 'schedule digest "0 9 * * mon-fri" Europe/Paris --lab lab1')
    assert again.text.startswith("That schedule already exists as *#1*")
    assert count(sessions, Schedule) == 1


def test_schedule_health_keeps_testsets_mention_and_channel(chat: Chat, sessions) -> None:
    reply = chat.say(ALICE, 'schedule health lab2 "30 */6 * * *" UTC --mention <!subteam^S0ONCALL|@oncall> ha')
    assert reply.ok and "health check of *lab2* (ha)" in reply.text
    with sessions() as session:
        schedule = session.scalars(select(Schedule)).one()
    assert (schedule.kind, schedule.lab, schedule.params, schedule.mention) == (
        "health", "lab2", {"testsets": ["ha"]}, "<!subteam^S0ONCALL|@oncall>")
    listing = chat.say(BOB, "schedules").text
    assert listing.startswith("Schedules:\n#1 health check of *lab2* (ha) · `30 */6 * * *` UTC · <#C0LAB> · next ")


@pytest.mark.parametrize(("text", "fragment"), [
    ('schedule digest "0 25 * * mon-fri" UTC', "`0 25 * * mon-fri` is not a valid cron expression"),
    ('schedule digest "0 9 31 2 *" UTC', "never fires"),
    ('schedule digest "0 9 * * mon-fri" Mars/Olympus', "Unknown time zone `Mars/Olympus`"),
    ('schedule digest "0 9 * * mon-fri" UTC --lab lab7', "No lab named `lab7`"),
    ('schedule health lab7 "0 9 * * mon-fri" UTC', "No lab named `lab7`"),
])
def test_invalid_schedule_stores_nothing(chat: Chat, sessions, text: str, fragment: str) -> None:
    reply = chat.say(ALICE, text)
    assert not reply.ok and fragment in reply.text
    assert count(sessions, Schedule) == 0


def test_operators_schedule_only_where_they_type_and_admins_anywhere(chat: Chat, sessions) -> None:
    """Typing in a channel is Slack's proof of membership; another channel could be one you cannot see."""
    elsewhere = chat.say(ALICE, 'schedule digest "0 9 * * mon-fri" UTC --channel <#C0SECRET|secret>')
    assert not elsewhere.ok
    assert elsewhere.text == ("A schedule posts in the channel it is made in, one you are in: type this command in "
                              "<#C0SECRET> itself (without `--channel`), or ask an admin to point it there.")
    by_name = chat.say(ALICE, 'schedule digest "0 9 * * mon-fri" UTC --channel #general')
    assert not by_name.ok and "#general" in by_name.text
    here = chat.say(ALICE, f'schedule digest "0 9 * * mon-fri" UTC --channel <#{LAB_CHANNEL}|lab>')
    assert here.ok and f"posting in <#{LAB_CHANNEL}>" in here.text
    admin = chat.say(CAROL, 'schedule digest "0 9 * * mon-fri" Europe/Paris --channel <#C0SECRET|secret>')
    assert admin.ok and "posting in <#C0SECRET>" in admin.text
    with sessions() as session:
        assert sorted(s.channel for s in session.scalars(select(Schedule))) == [LAB_CHANNEL, "C0SECRET"]
        denials = [e.message for e in session.scalars(select(JobEvent).where(JobEvent.kind == "denied"))]
    assert len(denials) == 2 and all("schedules post where they are made" in d for d in denials)


def test_unschedule_removes_and_audits(chat: Chat, sessions) -> None:
    chat.say(ALICE, 'schedule digest "0 9 * * mon-fri" UTC')
    assert chat.say(ALICE, "unschedule #1").text == ("Schedule *#1* (digest of all labs, `0 9 * * mon-fri` in UTC) "
                                                     "removed.")
    assert chat.say(BOB, "schedules").text.startswith("No schedules.")
    assert chat.say(ALICE, "unschedule 1") == Reply(
        "There is no schedule #1. `/fuel schedules` lists them.", ephemeral=True, ok=False)
    with sessions() as session:
        kinds = [e.kind for e in session.scalars(select(JobEvent).order_by(JobEvent.id))]
    assert kinds == ["scheduled", "unscheduled"]
    assert jobs(sessions) == []


def test_the_shipped_lab_specs_work_end_to_end(sessions) -> None:
    """The real ``labs/*.yaml`` through ``labspec.catalog``, as ``app.py`` wires it."""
    catalog_module = pytest.importorskip("labspec.catalog")   # written concurrently by its owner
    labs_dir = Path(__file__).resolve().parents[2] / "labs"
    labs = LabCatalog(load=lambda: catalog_module.load_labs(labs_dir, {}))
    services = CommandServices(session_factory=sessions, labs=labs, policy=Policy(users={ALICE: Role.OPERATOR}))
    chat = Chat(services)
    assert chat.say(BOB, "labs").text.startswith("*lab1* — ")
    assert chat.say(ALICE, "deploy lab1").text == "Deploy of *lab1* queued as job *#1*. Follow it in the thread below."
    assert chat.say(ALICE, "deploy nolab").text.startswith("No lab named `nolab`. Labs: lab1")
