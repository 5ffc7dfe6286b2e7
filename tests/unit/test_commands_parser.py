"""Text → command, and text → the mistake fuelbot explains (table-driven)."""
from __future__ import annotations

import pytest

from commands.catalog import (CancelJob, DeployLab, DestroyLab, ListJobs, ListLabs, ListNodes, ListSchedules,
                              PlanDeploy, ResetLab, RunHealth, RunPreflight, ScheduleDigest, ScheduleHealth,
                              ShowDigest, ShowHelp, ShowJob, ShowMaster, ShowStatus, Unschedule)
from commands.clicks import parse_click
from commands.parser import parse
from commands.words import normalise
from core.errors import CommandError

SHA = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"     # a host key's fingerprint, as ssh-keygen prints it
PARSES = [
    ("", ShowHelp()),
    ("   ", ShowHelp()),
    ("help", ShowHelp()),
    ("help deploy", ShowHelp(topic="deploy")),
    ("help schedule", ShowHelp(topic="schedule")),
    ("help schedule digest", ShowHelp(topic="schedule digest")),
    ("deploy --help", ShowHelp(topic="deploy")),
    ("labs", ListLabs()),
    ("plan lab1", PlanDeploy("lab1")),
    ("preflight lab1", RunPreflight("lab1")),
    ("preflight lab1 --fix", RunPreflight("lab1", fix=True)),
    ("preflight --fix lab1", RunPreflight("lab1", fix=True)),
    ("deploy lab1", DeployLab("lab1")),
    ("deploy lab1 --skip-health", DeployLab("lab1", skip_health=True)),
    ("Deploy lab1", DeployLab("lab1")),                                   # phones capitalise
    ("deploy “lab1”", DeployLab("lab1")),                                 # Slack's smart quotes
    ("deploy ‘lab1’", DeployLab("lab1")),
    ("deploy „lab1“", DeployLab("lab1")),
    ("deploy\u00a0lab1", DeployLab("lab1")),                             # non-breaking space
    ("deploy lab1 —skip-health", DeployLab("lab1", skip_health=True)),   # macOS turns -- into —
    ("deploy lab1 –skip-health", DeployLab("lab1", skip_health=True)),
    ("deploy lab_2-b", DeployLab("lab_2-b")),
    ("status", ShowStatus()),
    ("status lab1", ShowStatus("lab1")),
    ("nodes lab1", ListNodes("lab1")),
    ("health lab1", RunHealth("lab1", ("sanity", "smoke"))),
    ("health lab1 ha", RunHealth("lab1", ("ha",))),
    ("health lab1 smoke HA smoke platform-tests", RunHealth("lab1", ("smoke", "ha", "platform_tests"))),
    ("jobs", ListJobs()),
    ("jobs lab1", ListJobs("lab1")),
    ("job 12", ShowJob(12)),
    ("job #12", ShowJob(12)),
    ("cancel #7", CancelJob(7)),
    ("destroy lab1", DestroyLab("lab1")),
    ("reset lab1", ResetLab("lab1")),
    ("digest", ShowDigest()),
    ("digest lab2", ShowDigest("lab2")),
    ('schedule digest "0 9 * * mon-fri" Europe/Paris',
     ScheduleDigest(cron="0 9 * * mon-fri", timezone="Europe/Paris")),
    ('schedule digest "0 9 * * mon-fri" europe/paris',            # a case slip is put right, not refused
     ScheduleDigest(cron="0 9 * * mon-fri", timezone="Europe/Paris")),
    ("schedule digest “0 9 * * mon-fri” Europe/Paris --lab lab1 --channel <#C0123ABCD|lab> --mention @oncall",
     ScheduleDigest(cron="0 9 * * mon-fri", timezone="Europe/Paris", lab="lab1", channel="C0123ABCD",
                    mention="@oncall")),
    ("schedule digest '*/30 * * * *' UTC --channel #lab-ops",
     ScheduleDigest(cron="*/30 * * * *", timezone="UTC", channel="lab-ops")),
    ('schedule health lab1 "0 */6 * * *" UTC',
     ScheduleHealth(lab="lab1", cron="0 */6 * * *", timezone="UTC")),
    ('schedule health lab1 "0 */6 * * *" UTC --mention <!subteam^S0ONCALL|@oncall> smoke ha',
     ScheduleHealth(lab="lab1", cron="0 */6 * * *", timezone="UTC", mention="<!subteam^S0ONCALL|@oncall>",
                    testsets=("smoke", "ha"))),
    ('schedule health lab1 "0 */6 * * *" UTC smoke --mention <@U0ALICE>',
     ScheduleHealth(lab="lab1", cron="0 */6 * * *", timezone="UTC", mention="<@U0ALICE>", testsets=("smoke",))),
    ("schedules", ListSchedules()),
    ("unschedule 3", Unschedule(3)),
    ("unschedule #3", Unschedule(3)),
    # --trust-key: SHA256 as OpenSSH 6.8+ prints it (the prefix may be left out, ssh-keygen's "=" too),
    # MD5 as CentOS 6's ssh-keygen prints it; kept as ssh-keygen spells it
    (f"master lab1 --trust-key {SHA}", ShowMaster("lab1", trust_key=SHA)),
    (f"master lab1 --trust-key {SHA[7:]}=", ShowMaster("lab1", trust_key=SHA)),
    (f"master lab1 --trust-key sha256:{SHA[7:]} --fix", ShowMaster("lab1", fix=True, trust_key=SHA)),
    ("master --trust-key 16:27:AC:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48 lab1",
     ShowMaster("lab1", trust_key="MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48")),
    ("master lab1 —trust-key MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48",
     ShowMaster("lab1", trust_key="MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48")),
]


@pytest.mark.parametrize(("text", "expected"), PARSES, ids=[text or "<empty>" for text, _ in PARSES])
def test_text_parses_to_command(text: str, expected: object) -> None:
    assert parse(text) == expected


MISTAKES = [
    ("deplyo lab1", "Unknown command `deplyo`. Did you mean `deploy`? `/fuel help` lists commands."),
    ("stauts", "Did you mean `status`?"),
    ("frobnicate", "Unknown command `frobnicate`. `/fuel help` lists commands."),
    ("deploy", "Missing `<lab>`. Usage: `/fuel deploy <lab> [--skip-health]` — e.g. `/fuel deploy lab1`"),
    ("deploy lab1 lab2", "Unexpected `lab2`. Usage: `/fuel deploy <lab>"),
    ("deploy lab1 --force", "Unexpected `--force`."),
    ("preflight lab1 --f", "Unexpected `--f`."),                    # no silent abbreviations
    ("destroy lab1 --yes", "Unexpected `--yes`."),                  # confirmation is the button only
    ('deploy "lab1', "A quote is not closed"),
    ("deploy “lab1", "A quote is not closed"),
    ("deploy Lab1", "`Lab1` is not a lab name"),
    ("deploy lab1;rm", "`lab1;rm` is not a lab name"),
    ("deploy 'lab1; DROP TABLE jobs'", "is not a lab name"),
    ("deploy <!channel>", "`‹!channel›` is not a lab name"),        # no mention injection
    ("deploy `x`", "`x` is not a lab name"),                         # backticks stripped: no breakout
    ("deploy " + "a" * 42, "is not a lab name"),
    ('deploy "lab1\n"', "is not a lab name"),                      # no trailing newline sneaks past $
    ("deploy lab１", "is not a lab name"),                           # full-width digit
    ("job", "Missing `<job id>`. Usage: `/fuel job <id>`"),
    ("job twelve", "`twelve` is not a job number; e.g. `12` or `#12`."),
    ("job 0", "is not a job number"),
    ("job -3", "is not a job number"),
    ("job 99999999999", "is not a job number"),
    ("cancel ##4", "is not a job number"),
    ("unschedule x", "`x` is not a schedule number"),
    ("health lab1 smok", "Unknown test set `smok`. Did you mean `smoke`? Test sets: sanity, smoke, ha, platform_tests."),
    ("health lab1 unit", "Unknown test set `unit`."),
    ("help deplo", "There is no command `deplo`. Did you mean `deploy`?"),
    ("schedule", "`schedule` needs one of `digest`, `health`."),
    ("schedule dgest", "Did you mean `digest`?"),
    ("schedule digest 0 9 * * mon-fri UTC", "put all 5 fields in one pair of quotes"),
    ('schedule digest "0 9 * *" UTC', "is not a cron expression: 5 fields"),
    ('schedule digest "0 9 * * mon-fri; rm" UTC', "is not a cron expression"),
    ('schedule digest "0 9 * * mon-fri"', "Missing `<timezone>`."),
    ('schedule digest "0 9 * * mon-fri" "Europe Paris"', "`Europe Paris` is not a time zone"),
    ('schedule digest "0 9 * * mon-fri" UTC --lab', "`--lab` needs a value."),
    ('schedule digest "0 9 * * mon-fri" UTC --lab LAB', "`LAB` is not a lab name"),
    ('schedule digest "0 9 * * mon-fri" UTC --channel <@U123>', "is not a channel"),
    ('schedule digest "0 9 * * mon-fri" UTC --mention everyone', "`everyone` is not a mention"),
    ('schedule digest "0 9 * * mon-fri" UTC --mention <!channel>', "is not a mention"),
    ('schedule digest "0 9 * * mon-fri" UTC --mention "<@U0AB|x y>"', "is not a mention"),
    ('schedule digest "0 9 * * mon-fri" "UTC\n"', "is not a time zone"),
    # only canonical IANA names (Europe used to crash with a reference number: it is a directory)
    ('schedule digest "0 9 * * mon-fri" Europe', "`Europe` is a region, not a time zone: name a city in it, "
                                                 "e.g. `Europe/Paris`."),
    ('schedule digest "0 9 * * mon-fri" US/Eastern', "`US/Eastern` is an old name of `America/New_York`"),
    ('schedule digest "0 9 * * mon-fri" Europe/Pariss', "Unknown time zone `Europe/Pariss`. Did you mean "
                                                        "`Europe/Paris`?"),
    ('schedule digest "0 9 * * mon-fri" posixrules', "Unknown time zone `posixrules`"),
    ('schedule health "0 */6 * * *" UTC', "Missing `<timezone>`. Usage: `/fuel schedule health"),
    ('schedule health lab1 "0 */6 * * *"', "Missing `<timezone>`. Usage"),
    ("x" * 1001, "longer than 1000 characters"),
    ("master lab1 --trust-key", "`--trust-key` needs a value. Usage: `/fuel master <lab> [--fix] [--trust-key "
                                "<fingerprint>]`"),
    ("master lab1 --trust-key yes", "`yes` is not an SSH host key fingerprint: a fingerprint is `SHA256:` and 43 "
                                    "base64 characters, or 16 hex pairs `a1:b2:…` (MD5, as CentOS 6 prints it). Read "
                                    "it on the Fuel master's console with `ssh-keygen -lf "
                                    "/etc/ssh/ssh_host_rsa_key.pub`"),
    ("master lab1 --trust-key SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY",      # one character short
     "a SHA256 fingerprint is `SHA256:` and 43 base64 characters"),
    ("master lab1 --trust-key SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5S-8", "is not an SSH host key"),
    ("master lab1 --trust-key 16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6", "is not an SSH host key fingerprint: "
                                                                           "an MD5 fingerprint is 16 hex pairs"),
    ("master lab1 --trust-key '<@U0EVE|x> `rm`'", "`‹@U0EVE|x› rm` is not an SSH host key fingerprint"),
]


@pytest.mark.parametrize(("text", "fragment"), MISTAKES, ids=[text[:40] for text, _ in MISTAKES])
def test_mistake_is_explained(text: str, fragment: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("text", ["deploy `lab1`", "deploy <@U1> `x`", "x" * 200 + "`"])
def test_echoed_input_never_breaks_out_of_its_backticks(text: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse(text)
    message = str(caught.value)
    assert "<" not in message.replace("<lab>", "").replace("<job id>", "")
    assert message.count("`") % 2 == 0


def test_normalise_undoes_slack_typography() -> None:
    assert normalise("\u00a0deploy “lab1” ‘x’ —fix\u202f") == "deploy \"lab1\" 'x' --fix"
    assert normalise("range 1–5") == "range 1–5"          # a dash inside a word is left alone


CLICKS = [
    ("cancel_job", "12", CancelJob(12)),
    ("cancel_job", "#12", CancelJob(12)),
    ("rerun_health", "lab1", RunHealth("lab1")),
    ("confirm_destroy", "lab1", DestroyLab("lab1", confirmed=True)),    # only a click confirms
]


@pytest.mark.parametrize(("action_id", "value", "expected"), CLICKS, ids=[f"{a}={v}" for a, v, _ in CLICKS])
def test_click_parses_to_the_command_of_its_button(action_id: str, value: str, expected: object) -> None:
    assert parse_click(action_id, value) == expected


@pytest.mark.parametrize(("action_id", "value", "fragment"), [
    ("explode", "lab1", "That button (`explode`) is not one fuelbot knows"),
    ("cancel_job", "x1", "`x1` is not a job number"),
    ("rerun_health", "Lab 1", "is not a lab name"),
])
def test_bad_click_is_explained(action_id: str, value: str, fragment: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_click(action_id, value)
    assert fragment in str(caught.value)


def test_commands_parsed_at_once_by_many_threads_each_parse_whole() -> None:
    """The listener pool parses in parallel; argparse's intermixed parsing changes a shared parser while it works."""
    import sys
    import threading

    texts = {"jobs": ListJobs(), "jobs lab1": ListJobs("lab1"), "deploy lab1 --skip-health":
             DeployLab("lab1", skip_health=True), "status lab2": ShowStatus("lab2")}
    wrong: list[str] = []

    def parse_many() -> None:
        for _ in range(150):
            for text, command in texts.items():
                try:
                    if parse(text) != command:
                        wrong.append(text)
                except Exception as exc:    # the failure this test is about is an AttributeError
                    wrong.append(f"{text}: {exc!r}")
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)             # switch threads as often as possible
    try:
        threads = [threading.Thread(target=parse_many) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []
