"""Every sentence fuelbot says in reply to a command, as small functions (one place to word them).

Text uses Slack's mrkdwn subset that reads fine as plain text too: ``*bold*``, backticks,
``<@U…>`` mentions. Anything a person typed goes through :func:`echo` before it is repeated.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Iterable, Sequence

from core.mrkdwn import channel_ref, inert, link, who
from jobs.states import JobKind, JobState

_ECHO_LIMIT = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def echo(text: str) -> str:
    """``text`` a person typed, made inert: in backticks, without backticks, mentions or links."""
    clean = _CONTROL.sub(" ", inert(text)).replace("`", "").replace("<", "‹").replace(">", "›").strip()
    if len(clean) > _ECHO_LIMIT:
        clean = clean[:_ECHO_LIMIT - 1] + "…"
    return f"`{clean or ' '}`"


def ago(then: datetime | None, now: datetime) -> str:
    """``4m ago``, ``3h ago``…"""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now" if seconds < 5 else f"{seconds}s ago"


def lasting(seconds: float) -> str:
    """``7 days``, ``12 hours``, ``10 minutes``: how long something stays valid."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{int(seconds)} seconds"


def stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def _join(names: Iterable[str]) -> str:
    return ", ".join(names)


# --- understanding what was typed -------------------------------------------------------------

def unbalanced_quote() -> str:
    return "A quote is not closed. Close it, or drop it (cron expressions go in one pair of quotes)."


def too_long(limit: int) -> str:
    return f"That is longer than {limit} characters; fuelbot commands are short. `/fuel help` lists them."


def unknown_command(word: str, suggestion: str | None) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"Unknown command {echo(word)}.{hint} `/fuel help` lists commands."


def unknown_subcommand(verb: str, word: str | None, choices: Sequence[str], suggestion: str | None) -> str:
    got = f", not {echo(word)}" if word else ""
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return (f"`{verb}` needs one of {_join(f'`{c}`' for c in choices)}{got}.{hint} "
            f"`/fuel help {verb}` shows how.")


def usage(usage_line: str, example: str, problem: str | None = None) -> str:
    lead = f"{problem} " if problem else ""
    return f"{lead}Usage: `/fuel {usage_line}` — e.g. `/fuel {example}`"


def missing(names: str) -> str:
    return f"Missing {names}."


def unexpected(words: str) -> str:
    return f"Unexpected {echo(words)}."


def needs_value(option: str) -> str:
    return f"{echo(option)} needs a value."


def bad_lab_name(value: str) -> str:
    return (f"{echo(value)} is not a lab name: lab names are lowercase letters, digits, `-` and `_`, "
            "e.g. `lab1`. `/fuel labs` lists them.")


def bad_number(value: str, what: str, listing: str) -> str:
    return f"{echo(value)} is not a {what} number; e.g. `12` or `#12`. `/fuel {listing}` lists them."


def unknown_testset(value: str, choices: Sequence[str], suggestion: str | None) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"Unknown test set {echo(value)}.{hint} Test sets: {_join(choices)}."


def unknown_help_topic(value: str, suggestion: str | None) -> str:
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"There is no command {echo(value)}.{hint} `/fuel help` lists commands."


def cron_not_quoted(value: str) -> str:
    return (f"{echo(value)} is not a whole cron expression: put all 5 fields in one pair of quotes, "
            'e.g. `"0 9 * * mon-fri"`.')


def bad_cron(value: str) -> str:
    return (f"{echo(value)} is not a cron expression: 5 fields (minute hour day month weekday) "
            'using digits, names, `*`, `/`, `,` and `-`, e.g. `"0 9 * * mon-fri"`.')


def bad_timezone(value: str) -> str:
    return f"{echo(value)} is not a time zone; use an IANA name like `Europe/Paris` or `UTC`."


def bad_channel(value: str) -> str:
    return f"{echo(value)} is not a channel; pick one with `#` so Slack links it, e.g. `--channel #lab`."


def bad_mention(value: str) -> str:
    return f"{echo(value)} is not a mention; use `@person`, `@group` or `@here`."


def bad_node(value: str) -> str:
    return f"{echo(value)} is not a node; name it `node-7`, `7` or by its VM, e.g. `lab1-controller-1`."


def bad_log_source(value: str) -> str:
    return f"{echo(value)} is not a log's name; e.g. `astute`, `puppet` or `install/puppet`."


def bad_level(value: str) -> str:
    return f"{echo(value)} is not a level; e.g. `--level error` or `--level warning`."


def bad_count(value: str, limit: int) -> str:
    return f"{echo(value)} is not a number of lines; give 1 to {limit}, e.g. `--lines 50`."


def bad_user(value: str) -> str:
    return f"{echo(value)} is not a person; pick them with Slack's `@` menu, e.g. `--user @alice`."


def denied(*, activity: str, needed: str, have: str, admins: Sequence[str], channels: Sequence[str]) -> str:
    text = f"{activity} needs the *{needed}* role; you have *{have}*."
    if channels:
        text += f" Everyone in {_join(channel_ref(c) for c in channels)} has it."
    if admins:
        return f"{text} Admins: {_join(admins)}."
    return f"{text} No admins are set (FUELBOT_ADMINS)."


# --- labs ---------------------------------------------------------------------------------------

def no_such_lab(name: str, known: Sequence[str]) -> str:
    # No "did you mean" here: lab1…lab9 all look alike, and the list is short enough to read.
    if not known:
        return f"No lab named {echo(name)}; no labs are defined yet (add `labs/<name>.yaml`)."
    return f"No lab named {echo(name)}. Labs: {_join(known)}."


def invalid_lab_spec(name: str, source: str, problem: str, more: int) -> str:
    extra = f" (and {more} more)" if more else ""
    return (f"The spec of lab `{name}` is invalid: {problem[:300]}{extra}. "
            f"An admin sees every problem with `python app.py check-lab` on `{source}` in the labs directory.")


def invalid_spec_line(source: str, problems: int) -> str:
    return f"⚠️ `{source}` has {problems} problem(s); an admin sees them with `python app.py check-lab`"


def lab_line(*, name: str, nodes: str, environment: str, last: str, busy: str | None,
             lease: str | None = None, observed: str | None = None) -> str:
    lock = f" · 🔒 {busy}" if busy else ""
    held = f" · {lease}" if lease else ""       # commands.lease_replies.lease_note
    seen = f" · {observed}" if observed else ""   # what the observation tick last read, and when
    return f"*{name}* — {nodes} · {environment}{seen} · last: {last}{lock}{held}"


def labs_overview(lines: Sequence[str]) -> str:
    if not lines:
        return "No labs are defined yet: add `labs/<name>.yaml` (see `labs/lab1.yaml`)."
    return "\n".join(lines)


# --- jobs ---------------------------------------------------------------------------------------

def job_subject(kind: str, lab: str | None, *, fix: bool = False) -> str:
    known = JobKind.known(kind)
    title = (known.label if known else kind.capitalize()) + (" with --fix" if fix else "")
    return f"{title} of *{lab}*" if lab else f"{title} of all labs"


def queued(subject: str, job_id: int) -> str:
    return f"{subject} queued as job *#{job_id}*. Follow it in the thread below."


def already_queued(subject: str, job_id: int, *, requester: str, channel: str | None, viewer: str) -> str:
    where = f" in {channel_ref(channel)}" if channel else ""
    return (f"{subject} is already queued as job *#{job_id}* (asked by {who(requester, viewer=viewer)}): "
            f"its answer will be yours too — follow its thread{where}.")


def crowded(limit: str, *, count: int, waiting: Sequence[int], lab: str | None, channel: str) -> str:
    jobs = ", ".join(f"#{job_id}" for job_id in waiting)
    if limit == "user":
        return (f"You already have {count} read-only job(s) waiting ({jobs}); let them run, or cancel one with "
                "`/fuel cancel <id>`, then ask again.")
    if limit == "lab":
        return (f"*{lab}* already has {count} read-only job(s) waiting ({jobs}); ask again once they have run "
                f"(`/fuel jobs {lab}` shows them).")
    return (f"{count} message(s) of your jobs are still waiting to be posted in {channel_ref(channel)}; "
            "ask again in a minute, once Slack has caught up.")


def looking(subject: str, job_id: int, *, in_dm: bool) -> str:
    where = "in your DM with fuelbot (Apps → fuelbot)" if in_dm else "here, only for you"
    return f"⏳ {subject} (job *#{job_id}*): the answer comes {where}, in a few seconds."


def lab_busy(*, lab: str, kind: str, job_id: int, requester: str, since: str, started: bool,
             channel: str | None, viewer: str) -> str:
    known = JobKind.known(kind)
    doing = (known.busy if known else None) or f"held by a {kind} job"
    when = f"started {since}" if started else f"queued {since}"
    where = f" in {channel_ref(channel)}" if channel else ""
    return (f"{lab} is already {doing} by {who(requester, viewer=viewer)} (job #{job_id}, {when}) "
            f"— follow its thread{where}.")


def job_line(*, job_id: int, kind: str, lab: str | None, state: JobState, step: str | None, requester: str,
             age: str) -> str:
    """``step`` is the step's title (``Deployment``), never its internal name."""
    where = f" *{lab}*" if lab else ""
    at = f" at *{step}*" if step and state in (JobState.RUNNING, JobState.FAILED, JobState.CANCELLED) else ""
    return f"#{job_id} {kind}{where} · {state}{at} · {who(requester)} · {age}"


def jobs_overview(lines: Sequence[str], lab: str | None) -> str:
    if not lines:
        return f"No jobs for *{lab}* yet." if lab else "No jobs yet. `/fuel help` shows what to run."
    head = f"Recent jobs of *{lab}*:" if lab else "Recent jobs:"
    return "\n".join([head, *lines])


def job_detail(*, job_id: int, subject: str, requester: str, state: str, step: str | None, progress: int,
               created: str, started: str | None, finished: str | None, error: str | None, cancel_requested: bool,
               events: Sequence[str], page: str | None = None, page_ttl: float = 0.0) -> str:
    lines = [f"*Job #{job_id}* — {subject} by {who(requester)} · *{state}*"
             + (f" · step *{step}*" if step else "") + f" · {progress}%"
             + (" · cancel requested" if cancel_requested else ""),
             " · ".join(f"{label} {moment}" for label, moment in
                        (("Queued", created), ("started", started), ("finished", finished)) if moment)]
    if error:
        lines.append(f"Error: {error[:500]}")
    if events:
        lines.append("Recent events:")
        lines.extend(f"• {event}" for event in events)
    if page:
        label = f"job #{job_id}'s page"
        lines.append(f"📄 Everything, in full: {link(page, label)} (a fresh link, valid {lasting(page_ttl)})")
    return "\n".join(lines)


def event_line(*, at: datetime, actor: str, kind: str, message: str) -> str:
    return f"{at:%H:%M:%S} {kind} — {message[:200]} ({who(actor)})"


def cancelled_now(job_id: int, subject: str) -> str:
    return f"Job *#{job_id}* ({subject}) was cancelled before it started."


def cancel_requested(job_id: int, subject: str, *, fuel_deploy: bool, already: bool) -> str:
    text = (f"Cancel of job *#{job_id}* ({subject}) was already requested; "
            if already else f"Cancelling job *#{job_id}* ({subject}): ")
    text += "it stops at its next safe point."
    if fuel_deploy:
        text += " If Fuel is deploying by then, fuelbot calls Fuel's stop_deployment."
    return text


# --- the audit trail ----------------------------------------------------------------------------

def user_not_an_id(name: str) -> str:
    return (f"{echo(name)} reached fuelbot as a name, not a Slack id, and names can change; pick the person "
            "from Slack's `@` menu so Slack sends their id.")


def audit_line(*, at: datetime, actor: str, kind: str, message: str, job_id: int | None, lab: str | None) -> str:
    job = f" #{job_id}" if job_id is not None else ""
    where = f" *{lab}*" if lab else ""
    return f"{at:%m-%d %H:%M} {who(actor)} `{kind}`{job}{where} — {message[:160]}"


def audit_overview(lines: Sequence[str], *, lab: str | None, user: str | None, since: str, more: bool) -> str:
    scope = (f" of *{lab}*" if lab else "") + (f" by {who(user)}" if user else "")
    if not lines:
        return f"Nothing in the audit trail{scope} in the last {since}."
    head = f"Audit trail{scope}, last {since}, newest first (UTC):"
    tail = [f"… and more: narrow it with `--since` or `--user`, or add a lab."] if more else []
    return "\n".join([head, *lines, *tail])


# --- destroy confirmation -----------------------------------------------------------------------

def destroy_prompt(lab: str) -> str:
    return f"Destroying *{lab}* deletes its Fuel environment and its VMs. Confirm with the button."


def destroy_button(lab: str) -> str:
    return f"Destroy {lab}"


def destroy_confirm(lab: str) -> str:
    return f"Delete environment and VMs of {lab}? This cannot be undone."


def unknown_action(action_id: str) -> str:
    return f"That button ({echo(action_id)}) is not one fuelbot knows any more; type the command instead."


# --- schedules ----------------------------------------------------------------------------------

def schedule_subject(kind: str, lab: str | None, testsets: Sequence[str] = ()) -> str:
    sets = f" ({_join(testsets)})" if testsets else ""
    return f"{kind} of *{lab}*{sets}" if lab else f"{kind} of all labs"


def schedule_created(*, schedule_id: int, subject: str, cron: str, timezone: str, channel: str,
                     next_fire: str, existed: bool) -> str:
    lead = (f"That schedule already exists as *#{schedule_id}*" if existed
            else f"Scheduled {subject} as *#{schedule_id}*")
    return (f"{lead}: `{cron}` in {timezone}, posting in {channel_ref(channel)}. Next: {next_fire}. "
            f"`/fuel unschedule {schedule_id}` removes it.")


def schedule_elsewhere(channel: str) -> str:
    return (f"A schedule posts in the channel it is made in, one you are in: type this command in "
            f"{channel_ref(channel)} itself (without `--channel`), or ask an admin to point it there.")


def never_fires(cron: str) -> str:
    return f"`{cron}` never fires (no such date); nothing was scheduled."


def schedule_line(*, schedule_id: int, subject: str, cron: str, timezone: str, channel: str,
                  next_fire: str, created_by: str, snoozed: str | None = None) -> str:
    quiet = f" · 🔕 snoozed {snoozed}" if snoozed else ""
    return (f"#{schedule_id} {subject} · `{cron}` {timezone} · {channel_ref(channel)} · next {next_fire} "
            f"· by {who(created_by)}{quiet}")


def snoozed_until(until: str, by: str | None) -> str:
    return f"until {until}" + (f" by {who(by)}" if by else "")


def no_such_schedule(schedule_id: int) -> str:
    return f"There is no schedule #{schedule_id}. `/fuel schedules` lists them."


def nothing_to_snooze(lab: str) -> str:
    return f"*{lab}* has no schedules, so nothing alerts about it. `/fuel schedules` lists them."


def snoozed(subjects: Sequence[str], *, until: str, length: str, target: str) -> str:
    return (f"🔕 Alerts snoozed for {length}, until {until}: {'; '.join(subjects)}. The checks still run and keep "
            f"their state; nothing is posted until then. `/fuel snooze {target} off` wakes them.")


def snooze_ended(subjects: Sequence[str]) -> str:
    return f"🔔 Alerts back on: {'; '.join(subjects)}."


def schedules_overview(lines: Sequence[str]) -> str:
    if not lines:
        return ('No schedules. Add one with `/fuel schedule digest "0 9 * * mon-fri" Europe/Paris`.')
    return "\n".join(["Schedules:", *lines])


def unscheduled(schedule_id: int, subject: str, cron: str, timezone: str) -> str:
    return f"Schedule *#{schedule_id}* ({subject}, `{cron}` in {timezone}) removed."


# --- help ---------------------------------------------------------------------------------------

def help_overview(lines: Sequence[str], role: str) -> str:
    head = "*fuelbot* — `/fuel <command>`; `/fuel help <command>` shows its usage and an example."
    return "\n".join([head, *lines, f"You have the *{role}* role."])


def help_line(usage_line: str, summary: str, role_note: str | None) -> str:
    note = f" _({role_note})_" if role_note else ""
    return f"`{usage_line}` — {summary}{note}"


def help_command(*, usage_line: str, summary: str, example: str, needs: str, flags: Sequence[tuple[str, str]],
                 have: str) -> str:
    extra = "".join(f" (`{flag}` needs *{role}*)" for flag, role in flags)
    return (f"`/fuel {usage_line}`\n{summary}\nExample: `/fuel {example}`\n"
            f"Needs the *{needs}* role{extra}; you have *{have}*.")
