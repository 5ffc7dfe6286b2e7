"""core.mrkdwn: fuelbot's own mentions and links become Slack sequences; no other text ever does."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.render import SECTION_TEXT_LIMIT, render_outbox, render_reply
from commands.api import Reply
from core.mrkdwn import (TOKEN_CLOSE, TOKEN_OPEN, channel_ref, inert, inert_all, link, mention, subteam, to_plain,
                         to_slack, who)
from sim.slack.blockkit import unescaped

HOSTILE = ["<!channel>", "<!here|here>", "<!everyone>", "<@U0ADMIN>", "<#C0LAB>", "<!subteam^S0OPS>",
           "<http://evil.example|http://good.example>", "<mailto:x@evil.example|ops>", "R&D", "a < b > c",
           f"{TOKEN_OPEN}!here{TOKEN_CLOSE}", f"{TOKEN_OPEN}@U0ADMIN{TOKEN_CLOSE}",
           f"{TOKEN_OPEN}http://evil.example|http://good.example{TOKEN_CLOSE}", f"x{TOKEN_OPEN}!channel"]


def test_the_bots_own_sequences_reach_slack_as_sequences() -> None:
    text = (f"{who('U0ALICE')} in {channel_ref('C0LAB')}, {subteam('S0OPS')}, {mention('<!here>')}: "
            f"{link('https://fuelbot.example/jobs/3?expires=1&sig=ab', 'job <#3>')}")
    assert to_slack(text) == ("<@U0ALICE> in <#C0LAB>, <!subteam^S0OPS>, <!here>: "
                              "<https://fuelbot.example/jobs/3?expires=1&amp;sig=ab|job &lt;#3&gt;>")
    assert unescaped(to_slack(text)) == []


def test_what_fuelbot_writes_is_escaped_whoever_wrote_it() -> None:
    assert to_slack('Usage: `/fuel schedule digest "<cron>" <tz>` & more > less') == \
        'Usage: `/fuel schedule digest "&lt;cron&gt;" &lt;tz&gt;` &amp; more &gt; less'


@pytest.mark.parametrize("hostile", HOSTILE)
def test_foreign_text_never_becomes_a_mention_or_a_link(hostile: str) -> None:
    shown = to_slack(f"Fuel says: {inert(hostile)} ({who('U0ALICE')})")
    assert shown.count("<") == 1 and shown.endswith("(<@U0ALICE>)")      # only the bot's own mention
    assert unescaped(shown) == []


def test_inert_strips_the_token_characters_everywhere_in_a_document() -> None:
    forged = f"{TOKEN_OPEN}!here{TOKEN_CLOSE}"
    assert inert_all({"name": forged, "nodes": [{"message": forged}, 3, None]}) == \
        {"name": "!here", "nodes": [{"message": "!here"}, 3, None]}


def test_a_token_of_a_shape_fuelbot_never_builds_renders_as_text() -> None:
    assert to_slack(f"{TOKEN_OPEN}!channel{TOKEN_CLOSE}") == "!channel"
    assert to_slack(f"{TOKEN_OPEN}javascript:alert(1)|x{TOKEN_CLOSE}") == "javascript:alert(1)|x"


def test_mention_accepts_what_the_parser_takes_and_nothing_more() -> None:
    assert to_slack(mention("<@U0ALICE|alice>")) == "<@U0ALICE>"
    assert to_slack(mention("<!subteam^S0ONCALL|@oncall>")) == "<!subteam^S0ONCALL>"
    assert to_slack(mention("@oncall")) == "@oncall"
    assert to_slack(mention("<!channel>")) == "&lt;!channel&gt;"


def test_plain_text_for_pages_and_logs() -> None:
    assert to_plain(f"by {who('U0ALICE')} in {channel_ref('C0LAB')} · {link('https://x.example/j', 'page')} <lab>") \
        == "by @U0ALICE in #C0LAB · page (https://x.example/j) <lab>"


@given(st.text(alphabet=st.sampled_from(list("<>&|!@#^ aUC0:/.`*\n") + [TOKEN_OPEN, TOKEN_CLOSE]), max_size=80))
def test_any_foreign_text_renders_without_a_sequence(text: str) -> None:
    shown = to_slack(inert(text))
    assert "<" not in shown and ">" not in shown and unescaped(shown) == []


def test_the_renderer_escapes_every_text_of_a_message() -> None:
    reply = render_reply(Reply("Usage: `/fuel deploy <lab>`", buttons=()))
    outbox = render_outbox("a < b", {"fields": [["R&D", "<x>"]], "lines": ["<!channel>"], "context": "1 > 0"})
    for message in (reply, outbox):
        texts = [message.text] + [str(t) for b in message.blocks for t in _mrkdwn(b)]
        assert all(unescaped(t) == [] for t in texts), texts


def test_cutting_a_long_text_never_leaves_half_an_entity() -> None:
    message = render_outbox("<" * (SECTION_TEXT_LIMIT + 10), None)
    for block in message.blocks:
        for text in _mrkdwn(block):
            assert unescaped(text) == [] and len(text) <= SECTION_TEXT_LIMIT


def _mrkdwn(block: dict) -> list[str]:
    found = [block["text"]["text"]] if isinstance(block.get("text"), dict) else []
    found += [f["text"] for f in block.get("fields", [])]
    found += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found
