"""Button clicks over Socket Mode, end to end: ``interactive`` envelopes to the served Bolt app.

The bot is connected as ``app.py serve`` connects it with ``SLACK_APP_TOKEN`` (the ``socket``
fixture); LocalSlack plays Slack: the slash command's ack payload is shown to the person as Slack's
client shows it, a click arrives as the ``block_actions`` payload Slack would POST over HTTP, the
bot's answer goes through the click's ``response_url``, and an ack that misses Slack's 3 seconds
is a violation and brings the envelope again. Nothing is mocked.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sim.slack.channels import EphemeralView
from sim.slack.socket_mode import LocalSocket
from sim.slack.workspace import LocalSlack
from store.models import Job, JobEvent
from tests.fixtures.slack import ALICE, BOB, CAROL, CHANNEL, socket_click, socket_command

ALREADY_USED = "This confirmation was already used (job *#1*); nothing more was done."


def kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(Job.kind)).all())


def events(sessions: sessionmaker[Session], kind: str) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(e.actor, e.message) for e in session.scalars(select(JobEvent).where(JobEvent.kind == kind))]


def destroy_prompt(socket: LocalSocket, slack: LocalSlack) -> tuple[str, EphemeralView]:
    """Carol (admin) asks to destroy lab1 over Socket Mode: the Destroy button's value and the prompt she sees."""
    ack = socket_command(socket, slack, "destroy lab1", user=CAROL)
    button = ack["blocks"][-1]["elements"][0]
    assert button["action_id"] == "confirm_destroy" and button["style"] == "danger"
    [shown] = slack.channel(CHANNEL).ephemerals_for(CAROL)       # Slack shows the ack to Carol alone
    assert [b for b in shown.blocks if b["type"] == "actions"], "the prompt Carol sees has no button"
    return button["value"], shown


def carols_view(slack: LocalSlack) -> EphemeralView:
    [view] = slack.channel(CHANNEL).ephemerals_for(CAROL)
    return view


def test_the_destroy_confirmation_clicked_over_socket_mode_queues_one_destroy_in_place_of_the_prompt(
        socket: LocalSocket, local_slack: LocalSlack, sessions: sessionmaker[Session]) -> None:
    value, shown = destroy_prompt(socket, local_slack)
    envelope_id = socket_click(socket, local_slack, "confirm_destroy", value, user=CAROL, ephemeral_ts=shown.id)
    [envelope] = socket.wait_for_deliveries(envelope_id, 1)
    assert envelope["type"] == "interactive" and envelope["accepts_response_payload"] is False
    assert "retry_attempt" not in envelope                       # Slack puts it on events_api envelopes only
    assert socket.wait_for_ack(envelope_id, timeout=3).payload is None     # a bare ack; the answer follows
    assert local_slack.wait_for(lambda: "queued as job" in carols_view(local_slack).text, timeout=5)
    answer = carols_view(local_slack)
    assert answer.id == shown.id and answer.text.startswith("Destroy of *lab1* queued as job *#1*")
    assert not [b for b in answer.blocks if b["type"] == "actions"]       # the button is gone
    assert kinds(sessions) == ["destroy"]


def test_a_second_click_on_the_used_confirmation_changes_nothing_and_says_so(
        socket: LocalSocket, local_slack: LocalSlack, sessions: sessionmaker[Session]) -> None:
    value, shown = destroy_prompt(socket, local_slack)
    socket_click(socket, local_slack, "confirm_destroy", value, user=CAROL, ephemeral_ts=shown.id)
    assert local_slack.wait_for(lambda: "queued as job" in carols_view(local_slack).text, timeout=5)
    # The same button clicked again (an old copy of the prompt, or a replayed payload): a new delivery.
    again = socket_click(socket, local_slack, "confirm_destroy", value, user=CAROL, ephemeral_ts=shown.id)
    assert socket.wait_for_ack(again, timeout=3).payload is None
    assert local_slack.wait_for(lambda: carols_view(local_slack).text == ALREADY_USED, timeout=5)
    assert kinds(sessions) == ["destroy"]
    assert events(sessions, "stale-click") == [(CAROL, f"destroy of lab1: confirmation clicked again (in {CHANNEL})")]


def test_a_confirmation_clicked_by_someone_without_the_role_is_refused_and_audited(
        socket: LocalSocket, local_slack: LocalSlack, sessions: sessionmaker[Session]) -> None:
    value, shown = destroy_prompt(socket, local_slack)
    # Bob (a viewer) sends Carol's button value in a click of his own: refused as if he had typed it.
    socket_click(socket, local_slack, "confirm_destroy", value, user=BOB)
    assert local_slack.wait_for(lambda: bool(local_slack.channel(CHANNEL).ephemerals_for(BOB)), timeout=5)
    [refusal] = local_slack.channel(CHANNEL).ephemerals_for(BOB)
    assert "needs the *admin* role; you have *viewer*" in refusal.text
    assert kinds(sessions) == []
    [(actor, message)] = events(sessions, "denied")
    assert actor == BOB and message.startswith(f"destroy lab1 (in {CHANNEL})")
    assert carols_view(local_slack).blocks == shown.blocks          # Carol's prompt is untouched, still live


def test_cancel_clicked_by_a_viewer_is_refused_and_the_job_stays_queued(
        socket: LocalSocket, local_slack: LocalSlack, sessions: sessionmaker[Session]) -> None:
    assert "queued as job *#1*" in socket_command(socket, local_slack, "deploy lab1", user=ALICE)["text"]
    socket_click(socket, local_slack, "cancel_job", "1", user=BOB)
    assert local_slack.wait_for(lambda: bool(local_slack.channel(CHANNEL).ephemerals_for(BOB)), timeout=5)
    assert "needs the *operator* role; you have *viewer*" in local_slack.channel(CHANNEL).ephemerals_for(BOB)[0].text
    with sessions() as session:
        job = session.get(Job, 1)
        assert job is not None and job.state == "queued"
    assert [actor for actor, _ in events(sessions, "denied")] == [BOB]


def test_a_click_whose_ack_is_late_is_delivered_again_and_still_makes_one_destroy(
        socket: LocalSocket, local_slack: LocalSlack, sessions: sessionmaker[Session]) -> None:
    value, shown = destroy_prompt(socket, local_slack)
    socket.delay_acks(3.5)                     # the bot's next ack reaches Slack after its 3 s
    envelope_id = socket_click(socket, local_slack, "confirm_destroy", value, user=CAROL, ephemeral_ts=shown.id)
    first, retry = socket.wait_for_deliveries(envelope_id, 2, timeout=6)
    assert retry == first                      # the same envelope (id and payload) again; no retry_attempt
    assert [v.rule for v in local_slack.take_violations()] == ["ack_late"]
    socket.wait_for_ack(envelope_id, timeout=3)
    hooks = lambda: [c for c in local_slack.calls() if c.method.startswith("hooks/")]  # noqa: E731
    assert local_slack.wait_for(lambda: len(hooks()) == 2, timeout=5)   # both deliveries were answered
    assert [c.status for c in hooks()] == [200, 200]
    answer = carols_view(local_slack)
    assert answer.id == shown.id and answer.text.startswith("Destroy of *lab1* queued as job *#1*")
    assert kinds(sessions) == ["destroy"]
    assert len(socket.wait_for_deliveries(envelope_id, 2)) == 2          # acked at last: no third delivery
