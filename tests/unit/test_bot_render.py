"""bot.render: Block Kit within Slack's limits, summaries instead of floods, and plain text for the console."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import (CONFIRM_LIMITS, MAX_BLOCKS, SECTION_TEXT_LIMIT, base_action_id, mrkdwn_to_plain,
                        plain_lines, render_outbox, render_reply)
from commands.api import Button, Reply
from core.mrkdwn import link, who


def _section_texts(blocks) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def _assert_within_limits(message) -> None:
    assert message.text.strip()
    assert len(message.blocks) <= MAX_BLOCKS
    for block in message.blocks:
        if block["type"] == "section":
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids))
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
                for part, limit in CONFIRM_LIMITS.items():
                    if "confirm" in element:
                        assert len(element["confirm"][part]["text"]) <= limit


def test_reply_is_a_section_with_fallback_text() -> None:
    message = render_reply(Reply("Deploy of *lab1* queued as job *#12*."))
    assert message.text == "Deploy of *lab1* queued as job *#12*."
    assert _section_texts(message.blocks) == ["Deploy of *lab1* queued as job *#12*."]


def test_reply_buttons_become_an_actions_block_with_a_confirm_dialog() -> None:
    button = Button(action_id="confirm_destroy", label="Destroy lab1", value="lab1", style="danger",
                    confirm="This deletes every VM of lab1. " * 20)
    message = render_reply(Reply("Really?", buttons=(button,)))
    actions = [b for b in message.blocks if b["type"] == "actions"][0]
    element = actions["elements"][0]
    assert element["action_id"] == "confirm_destroy" and element["value"] == "lab1" and element["style"] == "danger"
    assert element["confirm"]["style"] == "danger"
    assert element["confirm"]["text"]["text"].endswith("…")
    _assert_within_limits(message)


def test_outbox_body_fields_lines_actions_and_context() -> None:
    body = {"fields": [["Release", "Juno on CentOS 6.5"], ["Mode", "multinode"]],
            "lines": ["1. Preflight: 7 ok", "2. vSphere ready"],
            "actions": [{"id": "cancel_job", "label": "Cancel", "value": "12", "style": "danger",
                         "confirm": "Cancel job #12?"}],
            "context": f"job #12 by {who('U1')}"}
    message = render_outbox("🚀 Deploy of *lab1*", body, job_id=12)
    kinds = [b["type"] for b in message.blocks]
    assert kinds == ["section", "section", "actions", "context"]
    assert message.blocks[0]["text"]["text"] == "🚀 Deploy of *lab1*\n1. Preflight: 7 ok\n2. vSphere ready"
    assert message.blocks[1]["fields"][0]["text"] == "*Release*\nJuno on CentOS 6.5"
    assert message.text == "🚀 Deploy of *lab1*"


def test_long_output_is_summarised_with_a_pointer_to_the_job() -> None:
    lines = [f"line {i}: " + "x" * 200 for i in range(500)]
    message = render_outbox("Health check of *lab1*", {"lines": lines}, job_id=15)
    _assert_within_limits(message)
    note = message.blocks[-1]
    assert note["type"] == "context"
    assert "more lines, see `/fuel job 15`" in note["elements"][0]["text"]
    shown = sum(t.count("\n") + 1 for t in _section_texts(message.blocks))
    omitted = int(note["elements"][0]["text"].split("(")[1].split()[0])
    assert shown + omitted == 501


def test_a_single_huge_line_is_cut_not_rejected() -> None:
    message = render_reply(Reply("y" * 10_000))
    _assert_within_limits(message)
    assert len(message.text) <= 3000


def test_code_fence_cut_between_sections_is_closed_and_reopened() -> None:
    lines = ["```"] + ["z" * 100] * 35 + ["```"]
    message = render_outbox("log", {"lines": lines})
    for text in _section_texts(message.blocks):
        assert text.count("```") % 2 == 0


def test_many_fields_are_capped_and_counted() -> None:
    message = render_outbox("nodes", {"fields": [[f"node-{i}", "ready"] for i in range(25)]}, job_id=3)
    field_sections = [b for b in message.blocks if "fields" in b]
    assert [len(b["fields"]) for b in field_sections] == [10, 10]
    assert "5 more lines" in message.blocks[-1]["elements"][0]["text"]


def test_duplicate_action_ids_get_a_suffix_the_listener_strips() -> None:
    body = {"actions": [{"id": "rerun_health", "label": "lab1", "value": "lab1"},
                        {"id": "rerun_health", "label": "lab2", "value": "lab2"}]}
    element_ids = [e["action_id"] for e in render_outbox("x", body).blocks[-1]["elements"]]
    assert element_ids == ["rerun_health", "rerun_health:2"]
    assert {base_action_id(i) for i in element_ids} == {"rerun_health"}


def test_empty_text_still_has_a_fallback() -> None:
    assert render_outbox("", {"lines": ["", "first real line"]}).text == "first real line"
    assert render_outbox("", {}).text == "fuelbot"


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=5000),
       lines=st.lists(st.text(max_size=4000), max_size=80),
       fields=st.lists(st.tuples(st.text(max_size=50), st.text(max_size=3000)), max_size=30),
       actions=st.lists(st.fixed_dictionaries({"id": st.text(min_size=1, max_size=300),
                                               "label": st.text(max_size=200), "value": st.text(max_size=3000),
                                               "confirm": st.one_of(st.none(), st.text(max_size=500))}),
                        max_size=30))
def test_any_content_renders_within_slacks_limits(text, lines, fields, actions) -> None:
    message = render_outbox(text, {"lines": lines, "fields": [list(f) for f in fields], "actions": actions},
                            job_id=7)
    _assert_within_limits(message)
    json.dumps(message.as_kwargs())


def test_plain_lines_for_the_console() -> None:
    body = {"fields": [["Mode", "multinode"]], "actions": [{"id": "cancel_job", "label": "Cancel", "value": "1"}],
            "context": f"by {who('UALICE01')}"}
    message = render_outbox(f"⏳ Deploy of *lab1* {link('https://x.example/j/1', 'job #1')}", body)
    lines = plain_lines(message.text, message.blocks, button_label=lambda e: f"[1 {e['text']['text']}]")
    assert lines == ["⏳ Deploy of lab1 job #1", "Mode: multinode", "[1 Cancel]", "by @UALICE01"]


def test_mrkdwn_to_plain_keeps_code_and_snake_case() -> None:
    assert mrkdwn_to_plain("run `/fuel job 3` on lab_1 *now*") == "run `/fuel job 3` on lab_1 now"


def test_every_text_that_leaves_for_slack_is_scrubbed() -> None:
    """Not only exception texts: a reply, an outbox body and a button's wording pass the scrubber too."""
    from core.redact import register_secret
    register_secret("edge-canary-5ecret")
    leak = "edge-canary-5ecret and https://u:UrlPassw0rd@vc/sdk"
    reply = render_reply(Reply(f"reply {leak}", buttons=(Button(action_id="cancel_job", label=f"Stop {leak}",
                                                                 value="7", confirm=f"Really? {leak}"),)))
    outbox = render_outbox(f"text {leak}", {"fields": [["vCenter", leak]], "lines": [leak], "context": leak})
    for message in (reply, outbox):
        sent = json.dumps(message.as_kwargs(), ensure_ascii=False)
        assert "edge-canary-5ecret" not in sent and "UrlPassw0rd" not in sent
        assert "••••" in sent


def test_the_console_shows_where_a_link_goes() -> None:
    message = render_outbox("🚀 Deploy of *lab1*",
                            {"context": f"📄 {link('http://127.0.0.1:8080/jobs/1?sig=ab', 'Job page')}: all"})
    assert plain_lines(message.text, message.blocks)[-1] == "📄 Job page: all"
    assert plain_lines(message.text, message.blocks, show_urls=True)[-1] == \
        "📄 Job page (http://127.0.0.1:8080/jobs/1?sig=ab): all"
    assert mrkdwn_to_plain("<#C123|lab> <mailto:a@b|mail>", show_urls=True) == "lab mail"
