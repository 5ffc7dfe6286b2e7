"""sim.console.view: threads beneath parents, edits reprinted, ephemerals marked, buttons numbered."""
from __future__ import annotations

from sim.slack.channels import ChannelSnapshot, EphemeralView, MessageView
from sim.console.view import ChannelView

CANCEL = {"type": "actions", "elements": [{"type": "button", "action_id": "cancel_job", "value": "12",
                                           "text": {"type": "plain_text", "text": "Cancel"}}]}


def message(ts: str, text: str, seq: int, *, replies=(), history=(), blocks=(), thread_ts=None) -> MessageView:
    return MessageView(ts=ts, user="U0FUELBOT", text=text, blocks=tuple(blocks), thread_ts=thread_ts, seq=seq,
                       history=tuple(history), replies=tuple(replies))


def snapshot(*items, ephemerals=()) -> ChannelSnapshot:
    return ChannelSnapshot(channel_id="C1", name="lab", messages=tuple(items), ephemerals=tuple(ephemerals),
                           version=1)


def view() -> ChannelView:
    return ChannelView(user_id="U1", bot_user_id="U0FUELBOT")


def test_full_view_indents_replies_and_numbers_buttons() -> None:
    parent = message("1.1", "⏳ Deploy of *lab1* — job #12", 1, blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": "⏳ Deploy of *lab1* — job #12"}}, CANCEL],
        replies=[message("1.2", "1. Preflight: 7 ok", 2, thread_ts="1.1")])
    mine = EphemeralView(id="E3", user="U1", text="queued as job #12", blocks=(), source="ack", seq=3)
    theirs = EphemeralView(id="E4", user="U2", text="not for U1", blocks=(), source="ack", seq=4)
    channel_view = view()
    assert channel_view.full(snapshot(parent, ephemerals=[mine, theirs])) == [
        "── #lab ──",
        "fuelbot: ⏳ Deploy of lab1 — job #12",
        "  [1 Cancel]",
        "    ↳ fuelbot: 1. Preflight: 7 ok",
        "(only visible to you) fuelbot: queued as job #12",
    ]
    assert channel_view.button(1).element["value"] == "12" and channel_view.button(1).item == "1.1"


def test_changes_print_only_what_is_new_and_mark_edits() -> None:
    channel_view = view()
    first = snapshot(message("1.1", "queued", 1))
    assert channel_view.changes(first) == ["fuelbot: queued"]
    assert channel_view.changes(first) == []
    reply = message("1.2", "Deploying — 10%", 2, thread_ts="1.1")
    assert channel_view.changes(snapshot(message("1.1", "queued", 1, replies=[reply]))) == [
        "    ↳ fuelbot: Deploying — 10%"]                  # right under its parent: no reminder needed
    other = EphemeralView(id="E3", user="U1", text="No jobs yet.", blocks=(), source="ack", seq=3)
    edited = message("1.2", "Deploying — 64%", 2, thread_ts="1.1", history=["Deploying — 10%"])
    assert channel_view.changes(snapshot(message("1.1", "queued", 1, replies=[reply]), ephemerals=[other])) == [
        "(only visible to you) fuelbot: No jobs yet."]
    assert channel_view.changes(snapshot(message("1.1", "queued", 1, replies=[edited]), ephemerals=[other])) == [
        "  ┆ in the thread of: queued", "    ↳ fuelbot: Deploying — 64% (edited)"]
