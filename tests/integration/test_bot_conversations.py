"""Commands typed where fuelbot cannot post always end with an answer the person can see.

A DM between people, a group DM, a private channel fuelbot was not invited to: Slack delivers
the command (and its response_url works there), but ``chat.postMessage`` cannot. A lab's job then
posts in the lab's own channel and the ack says so; anything else comes to the person's DM with
fuelbot; and where Slack refuses a thread after all, the person gets a DM saying why and what to do.
"""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from jobs.outbox import OutboxState
from sim.slack.channels import Kind
from store.models import Job, OutboxMessage
from tests.fixtures.slack import ALICE, BOB, CHANNEL, BotStack

DM, GROUP_DM, PRIVATE = "D0ALICEBOB", "G0GROUPDM", "C0PRIVATE"


@pytest.fixture
def stack(bot_stack: BotStack) -> BotStack:
    slack = bot_stack.local_slack
    slack.add_channel(DM, ALICE, kind=Kind.IM, members=[ALICE, BOB], bot=False)
    slack.add_channel(GROUP_DM, "mpdm-alice--bob--carol-1", kind=Kind.MPIM, members=[ALICE, BOB, "UCAROL01"],
                      bot=False)
    slack.add_channel(PRIVATE, "war-room", kind=Kind.PRIVATE, members=[ALICE, BOB], bot=False)
    return bot_stack


def settle(stack: BotStack, timeout: float = 10.0) -> None:
    """Wait until the outbox has nothing left to send (the database says so, not Slack)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with stack.sessions() as session:
            if not session.scalars(select(OutboxMessage.id).where(OutboxMessage.state.in_(
                    [OutboxState.PENDING.value, OutboxState.SENDING.value]))).first():
                return
        time.sleep(0.05)
    raise AssertionError("the outbox did not drain")


def test_a_deploy_typed_in_a_dm_posts_in_the_lab_s_channel_and_the_ack_says_where(stack: BotStack) -> None:
    reply = stack.signed_command("deploy lab1", channel=DM, channel_name="directmessage").json()
    assert reply["text"] == ("Deploy of *lab1* queued as job *#1*. fuelbot cannot post here, so follow it "
                             f"in <#{CHANNEL}>.")
    settle(stack)
    slack = stack.local_slack
    [parent] = slack.channel(CHANNEL).messages
    assert "job #1" in parent.text and slack.channel(DM).messages == ()
    with stack.sessions() as session:
        assert session.get(Job, 1).channel == CHANNEL


def test_a_digest_typed_in_a_group_dm_comes_to_the_requester_s_dm_with_fuelbot(stack: BotStack) -> None:
    reply = stack.signed_command("digest", channel=GROUP_DM, channel_name="mpdm-alice--bob--carol-1").json()
    assert "follow it in your DM with fuelbot" in reply["text"]
    settle(stack)
    slack = stack.local_slack
    [parent] = slack.channel(slack.open_im(ALICE)).messages
    assert "job #1" in parent.text
    assert slack.channel(GROUP_DM).messages == () and slack.channel(CHANNEL).messages == ()


def test_a_private_channel_without_fuelbot_ends_with_a_dm_saying_how_to_fix_it(stack: BotStack) -> None:
    reply = stack.signed_command("deploy lab1", channel=PRIVATE, channel_name="war-room").json()
    assert reply["text"].startswith("Deploy of *lab1* queued as job *#1*")   # Slack did not tell us yet
    settle(stack)
    slack = stack.local_slack
    [notice] = slack.channel(slack.open_im(ALICE)).messages
    assert notice.text.startswith(f"⚠️ fuelbot could not post the thread of job *#1*")
    assert f"<#{PRIVATE}>" in notice.text and "`/invite @fuelbot`" in notice.text
    assert "`/fuel job 1`" in notice.text
    with stack.sessions() as session:
        states = [m.state for m in session.scalars(select(OutboxMessage).where(OutboxMessage.channel == PRIVATE))]
    assert states and set(states) == {"dead"}
