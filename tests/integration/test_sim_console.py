"""The console end to end: piped lines in, the channel as a person would read it out."""
from __future__ import annotations

import io

from sim.console.chat import Console
from tests.fixtures.slack import ALICE, CHANNEL, BotStack


def run_console(stack: BotStack, lines: list[str], *, user: str = "U0CONSOLE") -> str:
    console = Console(local_slack=stack.local_slack, events_url=stack.events_url,
                      signing_secret=stack.signing_secret, user_id=user, channel_id=CHANNEL, channel_name="lab",
                      settle_seconds=0.3)
    output = io.StringIO()
    console.run(io.StringIO("".join(f"{line}\n" for line in lines)), output)
    return output.getvalue()


def test_help_and_jobs_through_a_pipe(bot_stack: BotStack) -> None:
    out = run_console(bot_stack, ["/fuel help", "fuel jobs", "quit"])
    lines = out.splitlines()
    assert lines[0] == ("fuelbot console: you are @U0CONSOLE in #lab. "
                        "Type /fuel help, or help for the console's own keys.")
    help_at = lines.index("› /fuel help")
    assert lines[help_at + 1].startswith("(only visible to you) fuelbot: fuelbot — `/fuel <command>`")
    assert ("  `deploy <lab> [--skip-health]` — Deploy a lab: VMs, Fuel environment, deployment, "
            "then a health check. (operator)") in lines
    assert "  You have the viewer role." in lines
    jobs_at = lines.index("› /fuel jobs")
    assert lines[jobs_at + 1] == "(only visible to you) fuelbot: No jobs yet. `/fuel help` shows what to run."
    assert jobs_at > help_at
    assert len(bot_stack.local_slack.calls("chat.postMessage")) == 0    # both answers were ephemeral acks


def test_deploy_thread_and_a_confirmed_cancel_click(bot_stack: BotStack) -> None:
    out = run_console(bot_stack, ["/fuel deploy lab1", "show", "!1", "y", "quit"], user=ALICE)
    lines = out.splitlines()
    assert "(only visible to you) fuelbot: Deploy of lab1 queued as job #1. Follow it in the thread below." in lines
    parent = next(line for line in lines if line.startswith("fuelbot: ⏳"))
    assert "Deploy of lab1 — job #1 by @UALICE01 · queued" in parent
    assert "  [1 Cancel]" in lines
    assert "  Are you sure? Cancel job #1? [y = Yes, cancel / n = No, keep it]" in lines
    assert "› clicked [1 Cancel]" in lines
    assert lines.index("› clicked [1 Cancel]") < lines.index(
        "(only visible to you) fuelbot: Job #1 (Deploy of lab1) was cancelled before it started.")
    with bot_stack.sessions() as session:
        from store.models import Job
        assert session.get(Job, 1).state == "cancelled"


def test_thread_replies_are_indented_under_their_parent(bot_stack: BotStack) -> None:
    from jobs.reporter import OutboxReporter
    bot_stack.signed_command("deploy lab1")
    slack = bot_stack.local_slack
    assert slack.wait_for(lambda: slack.channel(CHANNEL).messages, timeout=5)
    reporter = OutboxReporter(session_factory=bot_stack.sessions, job_id=1, channel=CHANNEL, progress_interval=0)
    reporter.say("1. Preflight: 7 ok")
    reporter.progress("7. Deploying — 64%")
    assert slack.wait_for(lambda: len(slack.channel(CHANNEL).messages[0].replies) == 2, timeout=5)
    out = run_console(bot_stack, ["show", "quit"])
    shown = out.split("── #lab ──", 1)[1].splitlines()
    assert shown[1].startswith("fuelbot: ⏳")
    assert shown[3] == "    ↳ fuelbot: 1. Preflight: 7 ok"
    assert shown[4] == "    ↳ fuelbot: 7. Deploying — 64%"


def test_edits_are_reprinted_as_edited(bot_stack: BotStack) -> None:
    from jobs.reporter import OutboxReporter
    bot_stack.signed_command("deploy lab1")
    slack = bot_stack.local_slack
    assert slack.wait_for(lambda: slack.channel(CHANNEL).messages, timeout=5)
    reporter = OutboxReporter(session_factory=bot_stack.sessions, job_id=1, channel=CHANNEL)
    reporter.parent("✅ lab1 deployed — job #1")
    assert slack.wait_for(lambda: slack.channel(CHANNEL).messages[0].edited, timeout=5)
    out = run_console(bot_stack, ["quit"])
    assert "fuelbot: ✅ lab1 deployed — job #1 (edited)" in out.splitlines()


def test_unknown_input_and_missing_button(bot_stack: BotStack) -> None:
    out = run_console(bot_stack, ["hello", "!7", "help", "quit"])
    assert "  (type /fuel <command>, !<n> to click a button, help or quit)" in out
    assert "  (there is no button 7 any more)" in out
    assert "  !<n>               click button n, shown as [n Label]" in out


def test_the_console_person_is_mentioned_as_slack_would_show_them(bot_stack: BotStack) -> None:
    # the console's own user id has Slack's shape (no underscore): its mention is a mention, not raw brackets
    out = run_console(bot_stack, ["/fuel digest", "quit"])
    parent = next(line for line in out.splitlines() if line.startswith("fuelbot: ⏳"))
    assert "Digest — job #1 by @U0CONSOLE · queued" in parent
    assert "Slack would refuse" not in out
    assert not bot_stack.local_slack.violations
