"""On call: `/fuel logs`, `/fuel diagnostic` and `/fuel audit` through signed Slack commands, on the simulators."""
from __future__ import annotations

import html
import io
import re
import stat
import tarfile
from pathlib import Path

import requests

from tests.fixtures.stack import ADMIN, OPERATOR, VIEWER, start_stack, stop_stack
from tests.fixtures.vcenter_simulator import lab_mac
from workflows.voices.diagnostic import size_text


def _run(stack, text: str, user: str = VIEWER, kind: str | None = None):
    answer = stack.command(text, user=user).json()["text"]
    assert "queued as job" in answer, answer
    job = stack.wait_job(stack.last_job(kind or text.split()[0]).id, timeout=60)
    parent, replies = stack.thread(job.id)
    return job, parent, replies


def _failed_deploy(stack) -> None:
    stack.fuel.fail_node(lab_mac(stack.vcsim, "lab1", "lab1-controller-1"), stage="deploy",
                         message="keystone-manage db_sync: connection refused")
    stack.command("deploy lab1 --skip-health")
    assert stack.wait_job(stack.last_job("deploy").id, timeout=120).state == "failed"


def test_logs_of_the_master_and_of_a_node_newest_first_with_clear_answers_to_what_does_not_exist(stack):
    _failed_deploy(stack)
    job, parent, (said, *_file) = _run(stack, "logs lab1")       # astute's entries are long: the file below
    assert job.state == "succeeded", job.error
    count = int(re.match(r"📜 Astute log of the Fuel master in \*lab1\* — (\d+) newest entries, every level",
                         parent).group(1))
    dates = re.findall(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})", said.split("```")[1], re.M)
    assert 1 < len(dates) == count <= 20 and dates == sorted(dates, reverse=True), "entries come newest first"

    job, parent, (said,) = _run(stack, "logs lab1 lab1-controller-1 puppet --level error --lines 5")
    assert stack.files(job.id) == [], "a reading the thread holds whole needs no file"
    assert job.state == "succeeded", job.error
    assert re.match(r"📜 puppet log of node-\d+ `lab1-controller-1` in \*lab1\* — \d newest entr(y|ies), ERR and above",
                    parent), parent
    assert "keystone-manage db_sync: connection refused" in said and " INFO " not in said

    node_id = stack.job(job.id).result["node"]
    for text, expected in (
            ("logs lab1 node-99", f"lab1 has no node `node-99`. Its nodes: node-{node_id} `lab1-controller-1`"),
            ("logs lab1 lab1-controller-1 kernel", f"Fuel has no log `kernel` for node-{node_id} `lab1-controller-1`. "
                                                   "Its logs: install/puppet"),
            ("logs lab1 --level loud", "`loud` is not a level of the Astute log; its levels, least to most severe: "
                                       "debug, info, notice, warning, err, crit, alert, emerg."),
            ("logs lab1 puppet", f"`puppet` is a log each node keeps; say whose: `/fuel logs lab1 node-{node_id} "
                                 "puppet`"),
            ("logs lab1 nonsense", "`nonsense` is neither a node of lab1 nor a log of its Fuel master")):
        job, parent, replies = _run(stack, text)
        assert job.state == "failed" and parent.startswith("❌ 📜 Logs of *lab1* failed")
        assert expected in replies[-1], (text, replies[-1])
    refused = stack.command("logs lab1 --lines 5000").json()["text"]
    assert refused.startswith("`5000` is not a number of lines; give 1 to 1000")


def test_a_long_reading_points_to_the_job_page_where_it_is_whole(stack):
    _failed_deploy(stack)
    job, parent, (said, file_reply) = _run(stack, "logs lab1 astute --lines 200")
    whole = _events(stack, job.id, "logs")[0].data["excerpts"][0]["lines"]
    longest = max(whole, key=len)
    assert len(longest) > 240 and longest not in said, "astute logs whole deployment requests: a long entry"
    assert "long entries cut to a line. All of them, whole: the job page" in said
    page = requests.get(stack.page_link(job.id), timeout=10).text
    assert longest in html.unescape(page) and "password\"=>\"••••\"" in longest, "whole, and scrubbed"

    # ... and in the thread, as a file below the tail: every entry whole, oldest first, secrets masked.
    assert "`lab1-master-astute.log` below" in said
    assert file_reply == (f"📎 Astute log of the Fuel master, {job.result['entries']} entries whole, oldest first "
                          "(every level; secrets masked).")
    [shared] = stack.files(job.id)
    text = shared.content.decode()
    assert (shared.filename, shared.title, shared.length) == \
        ("lab1-master-astute.log", "Astute log of the Fuel master in lab1", len(shared.content))
    assert sorted(text.splitlines()) == sorted(whole) and text.splitlines()[-1] == whole[0], "oldest first"
    assert longest in text and "password\"=>\"••••\"" in text
    assert f"Shared file: <code>lab1-master-astute.log</code> ({shared.length} bytes)" in page, "the page names it"


def _events(stack, job_id, kind):
    from sqlalchemy import select
    from store.models import JobEvent
    with stack.runtime.sessions() as session:
        return session.scalars(select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.kind == kind)).all()


def test_the_diagnostic_snapshot_is_for_admins_and_is_downloaded_owner_only(stack):
    denied = stack.command("diagnostic lab1", user=OPERATOR).json()["text"]
    assert denied.startswith("Taking a diagnostic snapshot (its /etc/astute.yaml holds every password) needs the "
                             "*admin* role; you have *operator*.")
    job, parent, replies = _run(stack, "diagnostic lab1", user=ADMIN)
    assert job.state == "succeeded", job.error
    assert re.match(r"📦 Diagnostic snapshot of \*lab1\*'s Fuel master is ready — `fuel-snapshot-[\d_-]+\.tgz`, "
                    r"[\d.]+ (bytes|kB) — job #\d+", parent), parent
    path = Path(job.result["path"])
    assert path.parent == stack.labs_dir.parent / "snapshots" and path.stat().st_size == job.result["bytes"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with tarfile.open(path) as tarball:
        names = tarball.getnames()
        folder = job.result["name"].removesuffix(".tgz")       # shotgun lays it out under fuel-snapshot-<stamp>/
        assert names and all(name.startswith(folder) for name in names), names
    assert any("holds the environment's passwords" in r and str(path) in r for r in replies)

    # The tarball is shared in the job's thread (Slack's external upload), byte for byte.
    [shared] = stack.files(job.id)
    assert (shared.filename, shared.title, shared.length, shared.content) == \
        (job.result["name"], "Diagnostic snapshot of lab1's Fuel master", job.result["bytes"], path.read_bytes())
    with tarfile.open(fileobj=io.BytesIO(shared.content)) as shared_tarball:
        assert shared_tarball.getnames() == names
    assert replies[-1] == (f"📦 `{job.result['name']}` ({size_text(job.result['bytes'])}): the logs and settings of "
                           "the Fuel master and every node. It holds the environment's passwords (/etc/astute.yaml): "
                           "everyone in this channel can download it.")

    stack.fuel.fail_dump("Shotgun failed: no space left on device")
    job, parent, replies = _run(stack, "diagnostic lab1", user=ADMIN)
    assert job.state == "failed" and parent.startswith("❌ 📦 Diagnostic snapshot of *lab1* failed")
    assert replies[-1] == ("❌ Fuel could not build the diagnostic snapshot: Shotgun failed: no space left on device. "
                           "Its Astute log says more: `/fuel logs <lab> astute --level error`.")


def test_a_snapshot_past_the_limit_is_refused_and_nothing_is_kept(migrated_database_url, tmp_path, vcsim_binary):
    stack = start_stack(sessions_url=migrated_database_url, tmp_path=tmp_path,
                        settings_overrides={"snapshot_max_mb": 0})
    try:
        job, parent, replies = _run(stack, "diagnostic lab1", user=ADMIN)
        assert job.state == "failed" and job.step == "download"
        assert re.match(r"❌ The diagnostic snapshot is [\d.]+ (bytes|kB), more than the 0 bytes fuelbot downloads "
                        r"\(FUELBOT_SNAPSHOT_MAX_MB\); nothing was kept\. Take it from the Fuel UI instead "
                        r"\(Support → Download diagnostic snapshot\), or at http://127\.0\.0\.1:\d+/dump/fuel-snapshot-",
                        replies[-1]), replies[-1]
        assert list((tmp_path / "snapshots").iterdir()) == []
    finally:
        stop_stack(stack)


def test_a_snapshot_past_the_upload_limit_stays_out_of_slack_and_the_thread_says_where_it_is(
        migrated_database_url, tmp_path, vcsim_binary):
    stack = start_stack(sessions_url=migrated_database_url, tmp_path=tmp_path,
                        settings_overrides={"upload_max_mb": 0})
    try:
        job, parent, replies = _run(stack, "diagnostic lab1", user=ADMIN)
        assert job.state == "succeeded", job.error
        assert stack.files(job.id) == [] and stack.slack.calls("files.getUploadURLExternal") == []
        path = Path(job.result["path"])
        assert path.stat().st_size == job.result["bytes"], "downloaded and kept on fuelbot's host"
        assert re.fullmatch(rf"📦 `{re.escape(job.result['name'])}` is [\d.]+ (bytes|kB), more than the 0 bytes "
                            r"fuelbot shares in Slack \(FUELBOT_UPLOAD_MAX_MB, at most Slack's 1 GB\), so it is not "
                            rf"in this thread\. Take it from fuelbot's host at `{re.escape(str(path))}`, or from the "
                            r"Fuel UI \(Support → Download diagnostic snapshot\) or http://127\.0\.0\.1:\d+/dump/"
                            r"fuel-snapshot-[\d_-]+\.tgz on a machine that reaches the master\.", replies[-1]), replies[-1]
    finally:
        stop_stack(stack)


def test_the_audit_trail_is_for_admins_and_names_who_did_what(stack):
    stack.command("deploy lab1", user=VIEWER)                       # refused: recorded
    stack.command("reset lab1 --bogus", user=OPERATOR)               # a typo: nothing to record
    looked = stack.command("status lab1", user=VIEWER).json()["text"]   # a look-up: answered in place, audited
    assert "the answer comes here" in looked, looked
    stack.wait_job(stack.last_job("status").id, timeout=60)
    assert stack.command("audit", user=OPERATOR).json()["text"].startswith(
        "Reading the audit trail needs the *admin* role; you have *operator*.")
    answer = stack.command("audit lab1 --since 1d", user=ADMIN).json()["text"]
    lines = answer.splitlines()
    assert lines[0] == "Audit trail of *lab1*, last 1d, newest first (UTC):"
    assert any(f"<@{VIEWER}> `denied` — deploy lab1 (in C0LAB): Deploying a lab needs the *operator* role" in line
               for line in lines), answer
    assert any(f"<@{VIEWER}> `submitted` #" in line and "status of lab1 queued" in line for line in lines), answer
    mine = stack.command(f"audit --user <@{VIEWER}|viewer> --since 2h", user=ADMIN).json()["text"]
    assert f"by <@{VIEWER}>" in mine.splitlines()[0] and "denied" in mine
    assert stack.command("audit --user @viewer", user=ADMIN).json()["text"].startswith(
        "`@viewer` reached fuelbot as a name, not a Slack id")
    assert stack.command("audit lab9", user=ADMIN).json()["text"].startswith("No lab named `lab9`.")
    assert stack.command("audit --since forever", user=ADMIN).json()["text"].startswith(
        "`forever` is not a length of time")


def test_failing_health_checks_say_what_fuel_says_about_the_environment(stack):
    _failed_deploy(stack)
    stack.fuel.fail_ostf_test("test_list_services", message="Keystone is down", step=1)
    job, parent, replies = _run(stack, "health lab1 sanity", kind="health")
    assert job.state == "succeeded" and parent.startswith("❌ Health of *lab1* — sanity"), (job.error, parent)
    said = next(r for r in replies if r.startswith("🔍 What Fuel says: "))
    assert re.search(r"node-\d+ `lab1-controller-1` \(Fuel: 'Untitled \([0-9a-f:]+\)'\) is in error \(deploy\)", said)
    assert ("the environment is in error since its last deploy: Deployment failed on node-" in said
            and "keystone-manage db_sync: connection refused" in said), said


def test_a_digest_says_an_outage_and_a_stranger_once_for_the_master_its_labs_share(stack):
    import time

    stranger = "00:50:56:3f:aa:02"
    stack.fuel.inject_node(mac=stranger)
    stack.observe()
    first, parent, _ = _run(stack, "digest")
    lines = parent.splitlines()
    assert lines[0] == f"📋 Labs digest — 2 lab(s) · first digest · job #{first.id}"
    assert lines[1] == (f"👽 Fuel master {stack.fuel.url} has 1 unassigned node(s) no lab owns: {stranger} "
                        "(no lab's VM)")
    assert parent.count(stranger) == 1, "listed once for the master, not under lab1 and lab2"

    stack.fuel.outage(15)
    deadline = time.monotonic() + 10
    while _fuel_answers(stack) and time.monotonic() < deadline:
        time.sleep(0.05)
    tick = stack.observe()
    assert tick.down == (stack.fuel.url,) and tick.masters == 1 and tick.labs == 2
    down, parent, _ = _run(stack, "digest")
    lines = parent.splitlines()
    assert lines[0] == (f"📋 Labs digest — 2 lab(s) · since last digest: Fuel at {stack.fuel.url} stopped answering "
                        f"(lab1, lab2) · job #{down.id}")
    assert lines[1].startswith(f"🔌 Fuel master {stack.fuel.url} does not answer (") and lines[1].endswith(": lab1, lab2")
    # the last reading is not shown as current: only when the master last answered
    assert [re.sub(r"\d+s ago$", "Ns ago", line) for line in lines[2:]] == [
        "*lab1* — its Fuel master does not answer (above); its last answer is as of Ns ago",
        "*lab2* — its Fuel master does not answer (above); its last answer is as of Ns ago"]
    while not _fuel_answers(stack):
        assert time.monotonic() < deadline + 20, "the simulator came back"
        time.sleep(0.05)
    stack.observe()
    back, parent, _ = _run(stack, "digest")
    assert parent.splitlines()[0] == (f"📋 Labs digest — 2 lab(s) · since last digest: Fuel at {stack.fuel.url} answers "
                                      f"again (lab1, lab2) · job #{back.id}")


def _fuel_answers(stack) -> bool:
    try:
        return requests.get(f"{stack.fuel.url}/api/version", timeout=1).status_code == 200
    except requests.RequestException:
        return False
