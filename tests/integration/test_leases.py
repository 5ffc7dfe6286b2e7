"""Leases on a real database: reserve, the refusal of others' changes, the queue, release, extend,
an admin's take-over, the policy's maximum, reminders and expiry once across replicas."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from commands.api import CommandServices, LabCatalog
from commands.authz import Policy
from jobs.fairness import FairShare
from commands.lease_policy import LeaseRules
from commands.roles import Role
from jobs.leases import active_lease, grant
from labspec.model import LeasePolicy
from store.enums import LeaseState
from store.models import Job, JobEvent, LabLease, LeaseWaiter, OutboxMessage
from store.types import utcnow
from tests.support.texts import readable
from tests.integration.test_commands_handlers import ALICE, BOB, CAROL, LAB_CHANNEL, Chat, jobs, make_lab
from workflows.lease_watch import tick_leases

DAVE = "U0DAVE"                          # a second operator
RULES = LeaseRules()


def _labs(**lab1: Any) -> LabCatalog:
    labs = {"lab1": replace(make_lab("lab1"), **lab1), "lab2": make_lab("lab2")}
    return LabCatalog(load=lambda: (labs, []))


@pytest.fixture
def labs() -> LabCatalog:
    return _labs()


@pytest.fixture
def chat(sessions: sessionmaker[Session], labs: LabCatalog) -> Chat:
    policy = Policy(users={ALICE: Role.OPERATOR, DAVE: Role.OPERATOR}, admins=frozenset({CAROL}))
    # No worker runs here, so every job stays queued: fair shares (jobs.fairness) wide enough not to refuse.
    return Chat(CommandServices(session_factory=sessions, labs=labs, policy=policy,
                                fair_share=FairShare(queued_per_user=20, queued_per_lab=20)))


def posts(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    """What fuelbot said in channels that is not a job's (lease notices, approvals), texts readable."""
    with sessions() as session:
        found = list(session.scalars(select(OutboxMessage).where(OutboxMessage.job_id.is_(None))
                                     .order_by(OutboxMessage.id)))
        session.expunge_all()
    for message in found:
        message.text = readable(message.text)
    return found


def events(sessions: sessionmaker[Session], kind: str) -> list[JobEvent]:
    with sessions() as session:
        return list(session.scalars(select(JobEvent).where(JobEvent.kind == kind).order_by(JobEvent.id)))


def lease_of(sessions: sessionmaker[Session], lab: str = "lab1") -> LabLease | None:
    with sessions() as session:
        return active_lease(session, lab)


def held(sessions: sessionmaker[Session], lab: str = "lab1") -> LabLease:
    lease = lease_of(sessions, lab)
    assert lease is not None, f"{lab} is not reserved"
    return lease


def tick(sessions: sessionmaker[Session], labs: LabCatalog, *, after: timedelta) -> None:
    tick_leases(sessions=sessions, labs=labs.load, reminders=RULES.reminders, now=utcnow() + after)


def test_a_reserved_lab_refuses_another_persons_changes_and_says_who_until_when_and_why(chat: Chat, sessions) -> None:
    reply = chat.say(ALICE, "reserve lab1 4h --reason upgrade rehearsal")
    assert reply.ok and reply.text.startswith("🔐 *lab1* is yours until <!date^")
    assert "(in 4h) — “upgrade rehearsal”." in reply.text and "reminded 1h before it ends" in reply.text
    for text in ("deploy lab1", "reset lab1", "preflight lab1 --fix", "snapshot lab1 mine"):
        refused = chat.say(DAVE, text)
        assert not refused.ok, text
        assert refused.text.startswith("*lab1* is reserved by <@U0ALICE> until <!date^"), refused.text
        assert "— “upgrade rehearsal”." in refused.text and "`/fuel reserve lab1 <duration>` to queue" in refused.text
        assert "An admin may take it over: <@U0CAROL>." in refused.text
    assert jobs(sessions) == []
    assert len(events(sessions, "denied")) == 4                # every refusal is in the audit trail
    for text in ("status lab1", "health lab1", "plan lab1", "preflight lab1", "nodes lab1"):
        assert chat.say(BOB, text).ok, text                   # looking never waits for a lease
    assert chat.say(DAVE, "deploy lab2").ok                    # other labs are free
    assert chat.say(ALICE, "deploy lab1").ok                   # the holder changes the lab
    admin = chat.say(CAROL, "reset lab1")
    assert not admin.ok and "As an admin you may take it over: `/fuel reserve lab1 <duration> --override`" in admin.text


def test_bad_durations_and_the_policys_maximum_are_explained(chat: Chat, sessions) -> None:
    assert "`2x` is not a length of time: use minutes, hours, days or weeks, e.g. `90m`, `2h`, `3d`" in \
        chat.say(ALICE, "reserve lab1 2x").text
    assert "`soon` is not a length of time" in chat.say(ALICE, "reserve lab1 soon").text
    assert "`0h` is not a length of time" in chat.say(ALICE, "reserve lab1 0h").text
    assert "longer than a year" in chat.say(ALICE, "reserve lab1 400d").text
    assert chat.say(ALICE, "reserve lab1 4d").text == (
        "4d is longer than an operator may hold a lab (3d, set in the policy file); ask for at most that, "
        "e.g. `/fuel reserve lab1 3d`.")
    assert chat.say(CAROL, "reserve lab1 4d").ok               # an admin may hold it longer
    assert "Reserving a lab needs the *operator* role" in chat.say(BOB, "reserve lab2 1h").text
    assert "Missing `<duration>`" in chat.say(ALICE, "reserve lab2").text
    assert lease_of(sessions, "lab2") is None


def test_reserving_a_held_lab_queues_and_release_hands_it_to_the_next_in_line(chat: Chat, sessions) -> None:
    chat.say(ALICE, "reserve lab1 2h")
    queued = chat.say(DAVE, "reserve lab1 3h --reason perf run")
    assert queued.ok and "You are #1 in its queue: when it frees it is yours for 3h" in queued.text
    assert "You are #2 in its queue" in chat.say(CAROL, "reserve lab1 1h").text
    assert "You are still #1" in chat.say(DAVE, "reserve lab1 3h").text        # asking twice keeps the place
    assert "You already hold *lab1*" in chat.say(ALICE, "reserve lab1 1h").text
    lab1_line = chat.say(BOB, "labs").text.splitlines()[0]
    assert " · 🔐 <@U0ALICE> until <!date^" in lab1_line and lab1_line.endswith("(in 2h) · 2 waiting")
    released = chat.say(ALICE, "release lab1")
    assert released.text == ("*lab1* released; <@U0DAVE> was next in line and holds it now (they are told).")
    lease = lease_of(sessions)
    assert lease is not None and lease.holder == DAVE and lease.reason == "perf run"
    assert lease.expires_at - lease.granted_at == timedelta(hours=3)
    [handover] = posts(sessions)
    assert handover.channel == LAB_CHANNEL
    assert handover.text.startswith("🔑 <@U0DAVE>, *lab1* is yours now (perf run), until <!date^")
    assert "<@U0ALICE>'s lease ended (<@U0ALICE> released it)" in handover.text
    assert "`/fuel release lab1`" in handover.text
    assert chat.say(DAVE, "deploy lab1").ok and not chat.say(ALICE, "reset lab1").ok
    assert chat.say(CAROL, "release lab1").text == "You left *lab1*'s queue."
    assert "nothing to release" in chat.say(ALICE, "release lab2").text


def test_only_the_holder_or_an_admin_releases_and_an_admin_ending_a_lease_tells_the_holder(chat: Chat, sessions) -> None:
    chat.say(ALICE, "reserve lab1 2h")
    refused = chat.say(DAVE, "release lab1")
    assert not refused.ok and "not by you: only they (or an admin) can release it" in refused.text
    broken = chat.say(CAROL, "release lab1")
    assert broken.text == "As an admin you ended <@U0ALICE>'s lease of *lab1*; they are told. It is free."
    [told] = posts(sessions)
    assert told.text == "⚠️ <@U0ALICE>: <@U0CAROL> (admin) ended your lease of *lab1*."
    assert lease_of(sessions) is None
    assert [e.message for e in events(sessions, "lease-released")] == ["lab1 lease of U0ALICE ended by admin U0CAROL"]


def test_an_admin_takes_a_lab_over_and_its_holder_is_first_in_line_for_the_time_left(chat: Chat, sessions) -> None:
    chat.say(ALICE, "reserve lab1 2h")
    chat.say(DAVE, "reserve lab1 1h")
    refused = chat.say(DAVE, "reserve lab1 1h --override")
    assert "needs the *admin* role" in refused.text
    took = chat.say(CAROL, "reserve lab1 30m --reason fix the pxe network --override")
    assert took.ok and took.text.startswith("🔐 As an admin you took *lab1* over until <!date^")
    assert "<@U0ALICE> is told and first in line to get it back for the 1h 59m they had left" in took.text
    assert chat.say(CAROL, "deploy lab1").ok
    [told] = posts(sessions)
    assert told.text.startswith("⚠️ <@U0ALICE>: <@U0CAROL> (admin) took *lab1* over until <!date^")
    assert ": fix the pxe network. You are first in line" in told.text
    assert [e.kind for e in events(sessions, "lease-override")] == ["lease-override"]
    chat.say(CAROL, "release lab1")
    lease = lease_of(sessions)
    assert lease is not None and lease.holder == ALICE                       # back to her, before Dave
    assert timedelta(hours=1, minutes=58) < lease.expires_at - lease.granted_at <= timedelta(hours=2)


def test_extend_typed_by_a_length_or_clicked_by_the_length_first_asked_within_the_maximum(chat: Chat, sessions) -> None:
    chat.say(ALICE, "reserve lab1 1d")
    first_end = held(sessions).expires_at
    extended = chat.say(ALICE, "extend lab1 2h")
    assert extended.ok and "(extended by 2h)" in extended.text
    assert held(sessions).expires_at == first_end + timedelta(hours=2)
    clicked = chat.click(ALICE, "extend_lease", "lab1")                       # the reminder's button: 1d more
    assert "(extended by 1d)" in clicked.text
    over = chat.say(ALICE, "extend lab1 1d")
    assert not over.ok and over.text.startswith("An operator may hold a lab at most 3d from now (the policy file); "
                                                "*lab1* can be extended by at most 22h.")
    assert "not by you" in chat.say(DAVE, "extend lab1 1h").text
    assert chat.say(CAROL, "extend lab1 1d").ok                                # an admin may, up to an admin's 14d
    assert "*lab2* is not reserved: there is nothing to extend." in chat.say(ALICE, "extend lab2 1h").text


def test_reminders_come_once_each_with_an_extend_button_even_with_two_replicas(chat: Chat, sessions, labs) -> None:
    chat.say(ALICE, "reserve lab1 1d12h")
    tick(sessions, labs, after=timedelta(hours=1))
    assert posts(sessions) == []                                               # 1d reminder not due yet
    for _replica in range(2):
        tick(sessions, labs, after=timedelta(hours=12, minutes=1))
    [reminder] = posts(sessions)
    assert reminder.text.startswith("⏰ <@U0ALICE>, your lease of *lab1* ends <!date^")
    assert "(in 23h 59m)" in reminder.text
    assert reminder.body["actions"] == [{"id": "extend_lease", "label": "Extend lab1 by 1d 12h", "value": "lab1",
                                         "style": "primary", "confirm": None}]
    for _replica in range(2):
        tick(sessions, labs, after=timedelta(hours=35, minutes=30))
    assert [p.text.split(",")[0] for p in posts(sessions)] == ["⏰ <@U0ALICE>"] * 2
    assert "(in 30m)" in posts(sessions)[-1].text
    assert len(events(sessions, "lease-reminded")) == 2


def test_a_lease_that_runs_out_frees_the_lab_for_the_next_in_line_once(chat: Chat, sessions, labs) -> None:
    chat.say(ALICE, "reserve lab1 2h")
    chat.say(DAVE, "reserve lab1 1h")
    for _replica in range(2):
        tick(sessions, labs, after=timedelta(hours=2, minutes=1))
    texts = [p.text for p in posts(sessions)]
    expired = [t for t in texts if t.startswith("⌛")]
    assert len(expired) == 1 and "<@U0DAVE> was next in line and holds it now." in expired[0]
    assert len([t for t in texts if t.startswith("🔑 <@U0DAVE>")]) == 1
    with sessions() as session:
        assert [(l.holder, l.state) for l in session.scalars(select(LabLease).order_by(LabLease.id))] == \
            [(ALICE, LeaseState.EXPIRED), (DAVE, LeaseState.ACTIVE)]
        assert session.scalars(select(LeaseWaiter)).all() == []
    assert jobs(sessions) == []                                                # release: nothing to power off


def test_a_lease_of_a_lab_whose_spec_says_power_off_submits_one_power_off_job(sessions) -> None:
    labs = _labs(lease=LeasePolicy(on_expiry="power_off"), channel="C0LABS")
    chat = Chat(CommandServices(session_factory=sessions, labs=labs, policy=Policy(users={ALICE: Role.OPERATOR})))
    chat.say(ALICE, "reserve lab1 1h")
    for _replica in range(2):
        tick(sessions, labs, after=timedelta(hours=1, minutes=1))
    [job] = jobs(sessions)
    assert (job.kind, job.lab, job.requester, job.channel) == ("power_off", "lab1", ALICE, "C0LABS")
    assert {k: readable(v) for k, v in job.params.items()} == {"why": "the lease of <@U0ALICE> ended"}
    [expired] = [p for p in posts(sessions) if p.text.startswith("⌛")]
    assert f"Its node VMs are being powered off (job #{job.id})" in expired.text and "The lab is free." in expired.text


def test_an_extension_landing_before_the_tick_keeps_the_lease(chat: Chat, sessions, labs) -> None:
    chat.say(ALICE, "reserve lab1 1h")
    chat.say(ALICE, "extend lab1 1h")
    tick(sessions, labs, after=timedelta(hours=1, minutes=5))
    assert lease_of(sessions) is not None and not [p for p in posts(sessions) if p.text.startswith("⌛")]


def test_two_grants_of_one_lab_at_once_cannot_both_win(sessions) -> None:
    now = utcnow()
    with sessions() as first, sessions() as second:
        won = grant(first, lab="lab1", holder=ALICE, length=timedelta(hours=1), reason=None, channel=None,
                    reminders=(), now=now)
        first.commit()
        lost = grant(second, lab="lab1", holder=DAVE, length=timedelta(hours=1), reason=None, channel=None,
                     reminders=(), now=now)
        second.commit()
    assert won is not None and lost is None
    assert held(sessions).holder == ALICE
    with sessions() as session:
        assert session.query(Job).count() == 0


def test_an_admins_destroy_of_a_reserved_lab_warns_overrides_and_tells_the_holder(chat: Chat, sessions) -> None:
    chat.say(ALICE, "reserve lab1 2h")
    prompt = chat.say(CAROL, "destroy lab1")
    assert "⚠️ <@U0ALICE> holds it until <!date^" in prompt.text
    assert prompt.text.endswith(": confirming overrides their lease (they are told).")
    [button] = prompt.buttons
    assert chat.click(CAROL, button.action_id, button.value).ok
    [job] = jobs(sessions)
    assert (job.kind, job.requester) == ("destroy", CAROL)
    [told] = posts(sessions)
    assert told.text == f"⚠️ <@U0ALICE>: <@U0CAROL> (admin) overrode your lease of *lab1*: destroying a lab (job #{job.id})."
    [event] = events(sessions, "lease-override")
    assert event.message == f"lab1: destroying a lab as job #{job.id} past the lease of U0ALICE"
