"""Conversations with the command layer on a real, migrated database (SQLite or PostgreSQL).

Each test types ``/fuel …`` (or clicks a button) as a person and checks the reply and what was
stored: jobs, their parent-message outbox rows, schedules, the audit trail.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from commands.api import ActionInvocation, CommandServices, Invocation, LabCatalog, Reply
from commands.authz import Policy
from commands.roles import Role
from commands.handlers import handle, handle_action
from jobs.fairness import FairShare
from jobs.queue import transition
from jobs.states import JobState
from labspec.model import (Environment, FuelMaster, Lab, Nic, NodeSpec, Settings, VCenterTarget, VMSpec,
                           VSphereNetworks)
from labspec.problems import SpecProblem
from store.models import Job, JobEvent, OutboxMessage
from store.types import utcnow
from tests.support.texts import readable_reply

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"      # operator, viewer, admin
LAB_CHANNEL = "C0LAB"


def make_lab(name: str, roles: tuple[tuple[str, ...], ...] = (("controller",), ("compute",))) -> Lab:
    """A small, valid lab value as ``labspec.loader`` would build it."""
    def vm(vm_name: str) -> VMSpec:
        return VMSpec(name=vm_name, cpus=1, memory_mb=1024, disk_gb=16, guest_id="rhel6_64Guest",
                      nics=(Nic(portgroup="pxe", fuel_networks=("fuelweb_admin",)),))
    environment = Environment(name=name, release="Juno on CentOS 6.5", release_version="2014.2-6.0",
                              mode="multinode", compute="vcenter", network_provider="nova_network",
                              network_manager="FlatDHCPManager", volumes="vmdk", images="vcenter", services=(),
                              settings=Settings(openstack_password="test-os-pw"), networks=())
    return Lab(name=name, source=f"labs/{name}.yaml",
               vcenter=VCenterTarget(url="http://127.0.0.1:8989/sdk", user="fuelbot", password="test-vc-pw",
                                     datacenter="DC0", cluster="DC0_C0", datastore="LocalDS_0"),
               networks=VSphereNetworks(pxe="pxe", distributed=(), standard=()),
               fuel=FuelMaster(url="http://127.0.0.1:8000", user="admin", password="test-fuel-pw"),
               environment=environment,
               nodes=tuple(NodeSpec(vm=vm(f"{name}-node-{i}"), roles=r) for i, r in enumerate(roles, 1)))


BROKEN = [SpecProblem(file="labs/lab9.yaml", line=12, path="nodes[0].cpus", message="must be at least 1"),
          SpecProblem(file="labs/lab9.yaml", line=20, path="fuel.url", message="is not a URL")]


def catalog(*names: str, problems: list | None = None) -> LabCatalog:
    labs = {name: make_lab(name) for name in names}
    return LabCatalog(load=lambda: (labs, list(problems or [])))


@dataclass
class Chat:
    """Types commands and clicks buttons as people; delivery ids are fresh unless given."""

    services: CommandServices
    _deliveries: int = field(default=0)

    def say(self, user: str, text: str, *, delivery: str | None = None, channel: str = LAB_CHANNEL,
            groups: frozenset[str] = frozenset()) -> Reply:
        self._deliveries += 1
        return readable_reply(handle(Invocation(user_id=user, channel_id=channel, text=text,
                                                delivery_id=delivery or f"trigger-{self._deliveries}",
                                                user_groups=groups), self.services))

    def click(self, user: str, action_id: str, value: str, *, delivery: str | None = None) -> Reply:
        self._deliveries += 1
        return readable_reply(handle_action(ActionInvocation(
            user_id=user, channel_id=LAB_CHANNEL, action_id=action_id, value=value,
            delivery_id=delivery or f"click-{self._deliveries}"), self.services))


@pytest.fixture
def policy() -> Policy:
    return Policy(users={ALICE: Role.OPERATOR}, admins=frozenset({CAROL}))


@pytest.fixture
def chat(sessions: sessionmaker[Session], policy: Policy) -> Chat:
    return Chat(CommandServices(session_factory=sessions, labs=catalog("lab1", "lab2", problems=BROKEN),
                                policy=policy, admins=frozenset({CAROL})))


def count(sessions: sessionmaker[Session], model: type, *where) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def jobs(sessions: sessionmaker[Session]) -> list[Job]:
    with sessions() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def test_deploy_queues_one_job_and_its_parent_message(chat: Chat, sessions) -> None:
    reply = chat.say(ALICE, "deploy lab1")
    assert reply == Reply("Deploy of *lab1* queued as job *#1*. Follow it in the thread below.")
    [job] = jobs(sessions)
    assert (job.kind, job.lab, job.requester, job.channel, job.state) == ("deploy", "lab1", ALICE, LAB_CHANNEL, "queued")
    assert job.params == {"skip_health": False}
    assert job.dedupe_key == "slack:trigger-1"
    assert count(sessions, OutboxMessage, OutboxMessage.job_id == job.id, OutboxMessage.placement == "parent") == 1


def test_same_delivery_twice_makes_one_job_and_the_same_reply(chat: Chat, sessions) -> None:
    first = chat.say(ALICE, "deploy lab1 --skip-health", delivery="trigger-42")
    again = chat.say(ALICE, "deploy lab1 --skip-health", delivery="trigger-42")
    assert again == first
    assert len(jobs(sessions)) == 1
    assert count(sessions, OutboxMessage) == 1
    assert jobs(sessions)[0].params == {"skip_health": True}


def test_second_deploy_while_first_queued_names_the_holder(chat: Chat, sessions) -> None:
    chat.say(ALICE, "deploy lab1")
    reply = chat.say(CAROL, "deploy lab1")
    assert not reply.ok and reply.ephemeral
    assert reply.text == ("lab1 is already being deployed by <@U0ALICE> (job #1, queued just now) "
                          "— follow its thread in <#C0LAB>.")
    assert "already being deployed by you (job #1" in chat.say(ALICE, "deploy lab1").text
    assert len(jobs(sessions)) == 1


def test_busy_lab_says_since_when_it_runs(chat: Chat, sessions) -> None:
    chat.say(ALICE, "deploy lab1")
    with sessions() as session:
        job = session.get(Job, 1)
        transition(session, job, JobState.RUNNING, actor="worker", message="claimed", now=utcnow() - timedelta(minutes=4))
        session.commit()
    assert "(job #1, started 4m ago)" in chat.say(ALICE, "reset lab1").text
    assert chat.say(ALICE, "deploy lab2").ok                  # other labs are free
    assert chat.say(BOB, "status lab1").ok                    # read-only jobs do not wait


@pytest.mark.parametrize(("text", "kind", "lab", "params"), [
    ("plan lab1", "plan", "lab1", {}),
    ("preflight lab1", "preflight", "lab1", {"fix": False}),
    ("preflight lab1 --fix", "preflight", "lab1", {"fix": True}),
    ("status", "status", None, {"live": False}),
    ("status lab2", "status", "lab2", {"live": False}),
    ("nodes lab1", "nodes", "lab1", {}),
    ("health lab1", "health", "lab1", {"testsets": ["sanity", "smoke"]}),
    ("health lab1 ha platform_tests", "health", "lab1", {"testsets": ["ha", "platform_tests"]}),
    ("digest", "digest", None, {}),
    ("digest lab1", "digest", "lab1", {}),
    ("reset lab1", "reset", "lab1", {}),
])
def test_job_commands_queue_their_kind(chat: Chat, sessions, text: str, kind: str, lab: str | None,
                                       params: dict) -> None:
    reply = chat.say(ALICE, text)
    look_up = kind in ("plan", "status", "nodes") or (kind, lab) == ("digest", "lab1")
    assert reply.ok and reply.ephemeral
    assert ("(job *#1*): the answer comes here, only for you" if look_up else "queued as job *#1*") in reply.text
    [job] = jobs(sessions)
    assert (job.kind, job.lab, job.params) == (kind, lab, params)
    # a job posts its parent (with a Cancel button) at once; a look-up's only words are its answer, later
    assert count(sessions, OutboxMessage, OutboxMessage.job_id == job.id) == (0 if look_up else 1)


def test_unknown_lab_lists_the_labs(chat: Chat, sessions) -> None:
    assert chat.say(ALICE, "deploy lab7").text == "No lab named `lab7`. Labs: lab1, lab2."
    assert chat.say(ALICE, "nodes lab12").text == "No lab named `lab12`. Labs: lab1, lab2."
    assert jobs(sessions) == []


def test_lab_with_an_invalid_spec_points_at_check_lab(chat: Chat) -> None:
    reply = chat.say(ALICE, "deploy lab9")
    assert not reply.ok
    assert "The spec of lab `lab9` is invalid: lab9.yaml:12: nodes[0].cpus: must be at least 1 (and 1 more)" in reply.text
    assert "An admin sees every problem with `python app.py check-lab` on `lab9.yaml`" in reply.text


def test_viewer_is_refused_with_reasons_and_audited(chat: Chat, sessions) -> None:
    reply = chat.say(BOB, "destroy lab1")
    assert reply == Reply("Destroying a lab needs the *admin* role; you have *viewer*. Admins: <@U0CAROL>.",
                          ephemeral=True, ok=False)
    with sessions() as session:
        [event] = session.scalars(select(JobEvent)).all()
    assert (event.job_id, event.actor, event.kind) == (None, BOB, "denied")
    assert event.message.startswith("destroy lab1 (in C0LAB): Destroying a lab needs the *admin* role")
    assert jobs(sessions) == []


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.ADMIN], ids=lambda r: r.label)
def test_permission_matrix_through_handle(chat: Chat, sessions, role: Role) -> None:
    from tests.unit.test_commands_authz import MATRIX
    user = {Role.VIEWER: BOB, Role.OPERATOR: ALICE, Role.ADMIN: CAROL}[role]
    for text, needed, activity in MATRIX:
        reply = chat.say(user, text)
        denied = f"{activity} needs the *{needed.label}* role; you have *{role.label}*."
        assert reply.text.startswith(denied) == (role < needed), (text, reply.text)
    expected = sum(role < needed for _, needed, _ in MATRIX)
    assert count(sessions, JobEvent, JobEvent.kind == "denied") == expected


def test_destroy_asks_for_confirmation_and_only_the_click_destroys(chat: Chat, sessions) -> None:
    reply = chat.say(CAROL, "destroy lab1")
    assert reply.ok and reply.ephemeral and jobs(sessions) == []
    [button] = reply.buttons
    assert (button.action_id, button.style) == ("confirm_destroy", "danger")
    lab, _, nonce = button.value.partition(":")            # the lab and the confirmation's one-time nonce
    assert lab == "lab1" and len(nonce) >= 16
    assert button.confirm == "Delete environment and VMs of lab1? This cannot be undone."
    assert "lab1" in button.label
    refused = chat.click(BOB, button.action_id, button.value)      # anyone can click a button they see
    assert not refused.ok and "Destroying a lab needs the *admin* role" in refused.text
    assert jobs(sessions) == []
    done = chat.click(CAROL, button.action_id, button.value, delivery="click-77")
    again = chat.click(CAROL, button.action_id, button.value, delivery="click-77")   # Slack's redelivery
    assert done == again == Reply("Destroy of *lab1* queued as job *#1*. Follow it in the thread below.")
    assert [(j.kind, j.lab) for j in jobs(sessions)] == [("destroy", "lab1")]
    twice = chat.click(CAROL, button.action_id, button.value, delivery="click-78")   # a second click
    assert not twice.ok and twice.text == "This confirmation was already used (job *#1*); nothing more was done."
    assert [(j.kind, j.lab) for j in jobs(sessions)] == [("destroy", "lab1")]
    with sessions() as session:
        audit = session.scalars(select(JobEvent).where(JobEvent.kind == "stale-click")).all()
    assert [e.actor for e in audit] == [CAROL] and "clicked again" in audit[0].message


def test_a_stale_forged_or_borrowed_confirmation_does_nothing_but_say_so(chat: Chat, sessions) -> None:
    [button] = chat.say(CAROL, "destroy lab1").buttons
    forged = chat.click(CAROL, button.action_id, "lab1:not-a-nonce-fuelbot-issued")
    old_prompt = chat.click(CAROL, button.action_id, "lab1")              # a prompt from before nonces
    other_lab = chat.click(CAROL, button.action_id, button.value.replace("lab1:", "lab2:"))
    for reply in (forged, old_prompt, other_lab):
        assert not reply.ok and "Type `/fuel destroy" in reply.text
    with sessions() as session, session.begin():
        from store.models import Confirmation
        confirmation = session.scalars(select(Confirmation)).one()
        confirmation.expires_at = utcnow() - timedelta(seconds=1)
    expired = chat.click(CAROL, button.action_id, button.value)
    assert not expired.ok and expired.text.startswith("This confirmation expired after 10 minutes.")
    assert jobs(sessions) == []
    with sessions() as session:
        assert count(sessions, JobEvent, JobEvent.kind == "stale-click") == 4


def test_destroy_of_a_busy_lab_is_refused_before_the_button(chat: Chat) -> None:
    chat.say(ALICE, "deploy lab1")
    reply = chat.say(CAROL, "destroy lab1")
    assert not reply.ok and reply.buttons == ()
    assert reply.text.startswith("lab1 is already being deployed by <@U0ALICE> (job #1")


def test_cancel_queued_job_stops_it_at_once(chat: Chat, sessions) -> None:
    chat.say(ALICE, "deploy lab1")
    reply = chat.say(ALICE, "cancel #1")
    assert reply.text == "Job *#1* (Deploy of *lab1*) was cancelled before it started."
    assert jobs(sessions)[0].state == "cancelled"
    assert chat.say(ALICE, "deploy lab1").ok                   # the lab is free again


def test_cancel_running_deploy_mentions_stop_deployment(chat: Chat, sessions) -> None:
    chat.say(ALICE, "deploy lab1")
    with sessions() as session:
        transition(session, session.get(Job, 1), JobState.RUNNING, actor="worker", message="claimed")
        session.commit()
    reply = chat.say(ALICE, "cancel 1")
    assert reply.text.startswith("Cancelling job *#1* (Deploy of *lab1*): it stops at its next safe point.")
    assert "stop_deployment" in reply.text
    assert "already requested" in chat.say(ALICE, "cancel 1").text
    assert jobs(sessions)[0].cancel_requested


def test_cancel_button_rechecks_the_role(chat: Chat, sessions) -> None:
    chat.say(ALICE, "deploy lab1")
    assert "Cancelling a job needs the *operator* role" in chat.click(BOB, "cancel_job", "1").text
    assert chat.click(ALICE, "cancel_job", "1").ok


@pytest.mark.parametrize(("text", "expected"), [
    ("cancel 99", "There is no job #99. `/fuel jobs` lists recent jobs."),
    ("job 99", "There is no job #99. `/fuel jobs` lists recent jobs."),
])
def test_unknown_job(chat: Chat, text: str, expected: str) -> None:
    assert chat.say(ALICE, text) == Reply(expected, ephemeral=True, ok=False)


def test_cancel_finished_job_says_there_is_nothing_to_cancel(chat: Chat, sessions) -> None:
    chat.say(ALICE, "health lab1")
    with sessions() as session:
        job = session.get(Job, 1)
        transition(session, job, JobState.RUNNING, actor="worker", message="claimed")
        transition(session, job, JobState.SUCCEEDED, actor="worker", message="done")
        session.commit()
    reply = chat.say(ALICE, "cancel 1")
    assert reply == Reply("Job #1 already succeeded; there is nothing to cancel.", ephemeral=True, ok=False)


def test_rerun_health_button_queues_a_health_check(chat: Chat, sessions) -> None:
    assert chat.click(BOB, "rerun_health", "lab1").text.startswith("Health check of *lab1* queued as job *#1*")
    assert jobs(sessions)[0].params == {"testsets": ["sanity", "smoke"]}


@pytest.mark.parametrize(("action_id", "value", "fragment"), [
    ("explode", "lab1", "That button (`explode`) is not one fuelbot knows"),
    ("cancel_job", "x1", "`x1` is not a job number"),
    ("confirm_destroy", "LAB<!here>", "is not a lab name"),
])
def test_bad_buttons_are_refused(chat: Chat, action_id: str, value: str, fragment: str) -> None:
    reply = chat.click(CAROL, action_id, value)
    assert not reply.ok and fragment in reply.text


@pytest.mark.parametrize("delivery", ["x" * 300, "trigger\x00id"])
def test_odd_delivery_ids_still_dedupe(chat: Chat, sessions, delivery: str) -> None:
    first = chat.say(ALICE, "deploy lab1", delivery=delivery)
    assert first.ok and chat.say(ALICE, "deploy lab1", delivery=delivery) == first
    assert len(jobs(sessions)) == 1


# -- fair shares (jobs.fairness) ---------------------------------------------------------------------
def test_an_identical_read_only_request_joins_the_one_waiting(chat: Chat, sessions) -> None:
    first = chat.say(ALICE, "health lab1 smoke")
    joined = chat.say(CAROL, "health lab1 smoke", channel="C0OTHER")
    assert joined.ok and joined.text == ("Health check of *lab1* is already queued as job *#1* (asked by <@U0ALICE>): "
                                         "its answer will be yours too — follow its thread in <#C0LAB>.")
    other = chat.say(CAROL, "health lab1 sanity")                  # other arguments: a job of its own
    assert "queued as job *#2*" in other.text and "#1" in first.text
    assert [j.id for j in jobs(sessions)] == [1, 2]
    assert count(sessions, OutboxMessage) == 2                      # no second parent for the joiner


def test_one_person_may_have_a_few_read_only_jobs_waiting(chat: Chat, sessions) -> None:
    for number, text in enumerate(("status lab1", "status lab2", "nodes lab1"), start=1):
        assert f"(job *#{number}*): the answer comes here" in chat.say(ALICE, text).text
    crowded = chat.say(ALICE, "plan lab1")
    assert not crowded.ok and crowded.text == ("You already have 3 read-only job(s) waiting (#1, #2, #3); let them "
                                               "run, or cancel one with `/fuel cancel <id>`, then ask again.")
    assert "(job *#4*)" in chat.say(CAROL, "plan lab1").text             # others are not held back
    assert "queued as job *#5*" in chat.say(ALICE, "deploy lab2").text   # nor is mutating work
    assert len(jobs(sessions)) == 5


def test_one_lab_may_have_a_few_read_only_jobs_waiting(sessions) -> None:
    services = CommandServices(session_factory=sessions, labs=catalog("lab1", "lab2"), policy=Policy(),
                               admins=frozenset({CAROL}), fair_share=FairShare(queued_per_user=9, queued_per_lab=2))
    chat = Chat(services)
    chat.say(CAROL, "status lab1")
    chat.say(CAROL, "nodes lab1")
    crowded = chat.say(BOB, "plan lab1")
    assert not crowded.ok and crowded.text.startswith("*lab1* already has 2 read-only job(s) waiting (#1, #2)")
    assert "(job *#3*)" in chat.say(BOB, "plan lab2").text


def test_one_person_cannot_fill_a_channels_post_queue(sessions) -> None:
    services = CommandServices(session_factory=sessions, labs=catalog("lab1", "lab2"), policy=Policy(),
                               admins=frozenset({CAROL}), fair_share=FairShare(queued_per_user=9, posts_per_user=2))
    chat = Chat(services)
    for text in ("health lab1 smoke", "health lab2 smoke"):     # each queues its parent message
        assert chat.say(BOB, text).ok
    crowded = chat.say(BOB, "health lab1 sanity")
    assert not crowded.ok and crowded.text == ("2 message(s) of your jobs are still waiting to be posted in <#C0LAB>; "
                                               "ask again in a minute, once Slack has caught up.")
    assert chat.say(BOB, "health lab1 sanity", channel="C0OTHER").ok    # another channel has its own queue
    assert chat.say(CAROL, "health lab2 sanity").ok                      # and other people their own share
