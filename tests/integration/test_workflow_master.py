"""The Fuel master, hands off, on the real parts: installed from its ISO by ``/fuel deploy``, shown and
fixed by ``/fuel master``, known to preflight, and every bad master stopping the job with what to do."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Iterator

import paramiko
import pytest
import requests
from sqlalchemy import select

from integrations.vsphere.client import VSphereClient
from labspec.catalog import load_labs
from store.host_keys import HostKeyStore
from store.models import Job, JobEvent, OutboxMessage
from tests.fixtures.stack import CHANNEL, MASTER_VM, VIEWER, Stack, start_stack, stop_stack

ADMIN_PW, ROOT_PW = "Hands-0ff-Adm1n", "Hands-0ff-R00t"
SECRETS = {"FUEL_PASSWORD": ADMIN_PW, "FUEL_ROOT_PASSWORD": ROOT_PW}


@pytest.fixture
def fresh_stack(migrated_database_url: str, tmp_path: Path, vcsim_binary) -> Iterator[Stack]:
    """No master yet: lab1's deploy creates its VM and installs it (600 simulated seconds), passwords of its own."""
    running = start_stack(sessions_url=migrated_database_url, tmp_path=tmp_path, preinstalled=False,
                          sim_overrides={"install_time": 600.0, "speed": 5.0}, environ_overrides=SECRETS)
    try:
        yield running
    finally:
        stop_stack(running)


@pytest.fixture
def secured_stack(migrated_database_url: str, tmp_path: Path, vcsim_binary) -> Iterator[Stack]:
    """The fast path (a master installed earlier, 6.0's defaults on it), the lab with passwords of its own."""
    running = start_stack(sessions_url=migrated_database_url, tmp_path=tmp_path, environ_overrides=SECRETS)
    try:
        yield running
    finally:
        stop_stack(running)


def everything_said(stack: Stack, job_id: int) -> str:
    """Every text fuelbot wrote for the job: the outbox (every edit), the job row and its events."""
    with stack.runtime.sessions() as session:
        job = session.get(Job, job_id)
        texts = [m.text for m in session.scalars(select(OutboxMessage).where(OutboxMessage.job_id == job_id))]
        texts += [e.message or "" for e in session.scalars(select(JobEvent).where(JobEvent.job_id == job_id))]
        texts += [str(job.context), str(job.error), str(job.result), str(job.params)]
    return "\n".join(texts)


def buttons_of(stack: Stack, ts: str | None) -> list[str]:
    """The action ids of the buttons on a channel message."""
    message = stack.slack.channel(CHANNEL).message(ts or "")
    assert message is not None
    return [e["action_id"] for b in message.blocks if b.get("type") == "actions" for e in b.get("elements", [])]


def root_logs_in(stack: Stack, password: str) -> bool:
    with paramiko.SSHClient() as client:
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect("127.0.0.1", port=stack.fuel.ssh_port, username="root", password=password,
                           look_for_keys=False, allow_agent=False, timeout=10)
        except paramiko.AuthenticationException:
            return False
    return True


def test_deploy_installs_the_master_from_its_iso_then_secures_and_sets_it_up(fresh_stack: Stack, caplog) -> None:
    stack = fresh_stack
    caplog.set_level(logging.DEBUG)
    assert stack.fuel.state()["master"]["phase"] == "off"
    stack.command("deploy lab1", trigger_id="T-install")
    job_id = stack.last_job("deploy").id
    # the ISO menu counts 30 s at the simulator's speed; once the installer runs, the rest goes fast
    deadline = time.monotonic() + 60
    while stack.fuel.state()["master"]["phase"] in ("off", "boot menu") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stack.fuel.state()["master"]["phase"] == "installing"
    stack.fuel.set_speed(100)
    job = stack.wait_job(job_id, timeout=180)
    assert job.state == "succeeded", job.error
    parent, replies = stack.thread(job_id)
    assert parent.startswith("✅ *lab1* deployed") and "Health: sanity" in parent
    story = "\n".join(replies)
    expected = ["Preflight:", "the Fuel master at", "does not answer: its VM does not exist yet; `/fuel deploy lab1` "
                "creates and installs it", "vSphere ready", "Fuel master VM `fuel-master` created",
                "Typed the boot parameters at `fuel-master`'s ISO menu (Tab, then `ip=10.20.0.2 gw=10.20.0.1 "
                "dns1=10.20.0.1 netmask=255.255.255.0 hostname=fuel.domain.tld showmenu=no`, Enter).",
                "✅ `fuel-master` installed from its ISO in", "ISO detached from `fuel-master`",
                "🔧 Fuel master set up over SSH", "✓ root's password changed from 6.0's default",
                "✓ `admin`'s password changed from 6.0's default, as the UI does",
                "✓ feature groups mirantis, experimental: nailgun and nginx restarted",
                "· NTP servers 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org", "✓ cobbler synced",
                "Fuel 6.0 master at", "logged in as `admin`", "VMs created and powered on", "Discovered by Fuel",
                "Deployed — 100%", "Health check: sanity"]
    positions = [story.find(fragment) for fragment in expected]
    assert all(p >= 0 for p in positions), [f for f, p in zip(expected, positions) if p < 0]
    assert positions == sorted(positions)
    with stack.runtime.sessions() as session:     # one install message, edited in place as it went
        edits = session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.job_id == job_id, OutboxMessage.slot == f"job:{job_id}:progress:master")
            .order_by(OutboxMessage.id)).all()                # PostgreSQL returns rows in no set order
    assert len(edits) >= 2 and edits[0].startswith("💿 Installing Fuel 6.0 on `fuel-master` from its ISO")
    assert any("⏳ reboot" in e or "⏳ all services up" in e for e in edits)
    assert sum(1 for r in replies if "Installing Fuel 6.0" in r or "installed from its ISO" in r) == 1
    # the master as the article leaves it: secured, experimental on, installed once
    assert root_logs_in(stack, ROOT_PW) and not root_logs_in(stack, "r00tme")
    version = requests.get(f"{stack.fuel.url}/api/version", timeout=5).json()
    assert version["feature_groups"] == ["mirantis", "experimental"]
    assert stack.fuel.state()["master"]["cobbler_syncs"] == 1
    labs, _ = load_labs(stack.labs_dir, stack.environ)
    with VSphereClient.connect(labs["lab1"].vcenter) as client:
        assert client.master_boot(MASTER_VM).installed_once
    # no password anywhere: Slack, the database, the logs
    said = everything_said(stack, job_id) + "\n".join(r.getMessage() for r in caplog.records)
    assert ADMIN_PW not in said and ROOT_PW not in said


def test_fuel_master_shows_the_master_offers_the_fix_and_fix_sets_it_up(secured_stack: Stack) -> None:
    stack = secured_stack
    stack.command("master lab1", user=VIEWER)
    look = stack.wait_job(stack.last_job("master").id)
    assert look.state == "succeeded", look.error
    parent, (shown,) = stack.thread(look.id)
    assert parent.startswith("⚠️ Fuel master of *lab1*: Fuel 6.0 at http://127.0.0.1:") and "3 thing(s) to fix" in parent
    assert buttons_of(stack, look.thread_ts) == ["fix_master"]
    assert "*Version*: Fuel 6.0 (build 58)" in shown and "*Services*: 11/11 ready — up " in shown and ": postgres, rabbitmq, keystone," in shown
    assert "*Feature groups*: mirantis ✗ (the lab needs mirantis, experimental)" in shown
    assert "*Disk*: / " in shown and "/var/log" in shown
    assert "⚠️ `admin` still logs in with 6.0's default password `admin`." in shown
    assert "🔧 `/fuel master lab1 --fix` would: set feature groups mirantis, experimental" in shown
    refused = stack.command("master lab1 --fix", user=VIEWER).json()
    assert "needs the *operator* role" in refused["text"]
    stack.command("master lab1 --fix")
    fix = stack.wait_job(stack.last_job("master").id)
    assert fix.state == "succeeded", fix.error
    parent, replies = stack.thread(fix.id)
    assert parent.startswith("✅ Fuel master of *lab1*: Fuel 6.0") and "set up as its spec says" in parent
    assert any(r.startswith("🔧 Fuel master set up over SSH") and "✓ root's password changed" in r for r in replies)
    assert buttons_of(stack, fix.thread_ts) == [] and root_logs_in(stack, ROOT_PW)
    assert ADMIN_PW not in everything_said(stack, fix.id)


def test_preflight_knows_the_master(secured_stack: Stack) -> None:
    stack = secured_stack
    stack.command("preflight lab1")
    job = stack.wait_job(stack.last_job("preflight").id)
    assert job.state == "failed"
    _, replies = stack.thread(job.id)
    findings = "\n".join(replies)
    assert "the Fuel master runs with feature groups mirantis; the lab needs experimental" in findings
    assert "Fix: `/fuel master lab1 --fix`" in findings
    assert "`admin` still logs in with 6.0's default password on the master" in findings
    assert "root still logs in over SSH with 6.0's default password on the master" in findings
    stack.command("master lab1 --fix")
    assert stack.wait_job(stack.last_job("master").id).state == "succeeded"
    stack.command("preflight lab1")
    again = stack.wait_job(stack.last_job("preflight").id)
    _, replies = stack.thread(again.id)
    assert "feature groups" not in "\n".join(replies) and "default password" not in "\n".join(replies)


def test_ntp_servers_changed_on_the_master_are_shown_warned_of_and_set_back_by_the_fix(secured_stack: Stack) -> None:
    stack = secured_stack
    # someone ran fuelmenu's Time Sync on the master: ntp.example.com in astute.yaml and ntp.conf, ntpd restarted
    for command in ("sed -i -e 's/^NTP1:.*$/NTP1: ntp.example.com/' -e \"s/^NTP2:.*$/NTP2: ''/\" "
                    "-e \"s/^NTP3:.*$/NTP3: ''/\" /etc/fuel/astute.yaml",
                    "sed -i -e '16i\\server ntp.example.com' -e 16d -e 17d -e 18d /etc/ntp.conf",
                    "service ntpd restart"):
        assert stack.fuel.run_command(command).status == 0, command
    stack.command("preflight lab1")
    preflight = stack.wait_job(stack.last_job("preflight").id)
    findings = "\n".join(stack.thread(preflight.id)[1])
    assert ("the Fuel master's ntp.conf lists ntp.example.com: the lab sets 0.pool.ntp.org, 1.pool.ntp.org, "
            "2.pool.ntp.org Fix: `/fuel master lab1 --fix` (sets them as fuelmenu does and restarts ntpd)") in findings
    stack.command("master lab1", user=VIEWER)
    look = stack.wait_job(stack.last_job("master").id)
    _, (shown,) = stack.thread(look.id)
    assert "*NTP*: ntp.example.com ✗ (the lab sets 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org)" in shown
    assert "set NTP servers 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org (astute.yaml and ntp.conf, ntpd " \
           "restarted)" in shown
    stack.command("master lab1 --fix")
    fix = stack.wait_job(stack.last_job("master").id)
    assert fix.state == "succeeded", fix.error
    _, replies = stack.thread(fix.id)
    assert any("✓ NTP servers 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org: astute.yaml and ntp.conf edited, ntpd "
               "restarted" in r for r in replies), replies
    assert any("*NTP*: 0.pool.ntp.org, 1.pool.ntp.org, 2.pool.ntp.org ✓" in r for r in replies)
    polled = stack.fuel.run_command("ntpq -p").stdout
    assert [line[1:].split()[0] for line in polled.splitlines()[2:]] == ["0.pool.ntp.org", "1.pool.ntp.org",
                                                                         "2.pool.ntp.org"]


# -- bad masters: the deploy stops at the master's setup, says what happened and what to do -----------
def _deploy_fails_at_setup(stack: Stack) -> str:
    stack.command("deploy lab1")
    job = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert job.state == "failed" and job.step == "master_setup", (job.state, job.step, job.error)
    parent, replies = stack.thread(job.id)
    assert parent.startswith("❌ *lab1* failed at *fuel master setup*")
    said = everything_said(stack, job.id)
    assert ADMIN_PW not in said and ROOT_PW not in said
    return replies[-1]


def test_a_wrong_root_password_says_which_variable_to_set(secured_stack: Stack) -> None:
    secured_stack.fuel.run_command("chpasswd", b"root:someone-elses\n")
    failure = _deploy_fails_at_setup(secured_stack)
    assert "refused root's password over SSH (the lab's and 6.0's default r00tme)" in failure
    assert "Fix: set FUEL_ROOT_PASSWORD" in failure


def test_a_changed_host_key_stops_before_any_password_is_sent(secured_stack: Stack) -> None:
    stack = secured_stack
    other = paramiko.RSAKey.generate(1024)
    HostKeyStore(stack.runtime.sessions).record(f"127.0.0.1:{stack.fuel.ssh_port}", other.get_name(),
                                                other.get_base64())
    failure = _deploy_fails_at_setup(stack)
    assert "The SSH host key of the Fuel master at 127.0.0.1:" in failure and "fuelbot sent no password" in failure
    # the fix is the command an admin types after comparing fingerprints, never an edit of fuelbot's tables
    assert "`/fuel master lab1 --trust-key SHA256:" in failure and "master_host_keys" not in failure
    assert stack.fuel.state()["master"]["root_password_changes"] == 0


def test_a_master_that_is_not_6_0_is_refused(secured_stack: Stack) -> None:
    secured_stack.fuel.run_command("sed -i 's/^  release: \"6.0\"/  release: \"6.1\"/' /etc/fuel/version.yaml")
    failure = _deploy_fails_at_setup(secured_stack)
    assert "runs Fuel 6.1" in failure and "Fix: point the lab at a Fuel 6.0 master" in failure


def test_a_failing_command_names_it_and_what_it_said(secured_stack: Stack) -> None:
    secured_stack.fuel.run_command("rm /etc/fuel/version.yaml")
    failure = _deploy_fails_at_setup(secured_stack)
    assert "`cat /etc/fuel/version.yaml` failed on the Fuel master at 127.0.0.1:" in failure
    assert "cat: /etc/fuel/version.yaml: No such file or directory" in failure and "Fix: run it by hand" in failure


def test_an_install_that_never_comes_up_stops_at_its_deadline(migrated_database_url: str, tmp_path: Path,
                                                              vcsim_binary) -> None:
    stack = start_stack(sessions_url=migrated_database_url, tmp_path=tmp_path, preinstalled=False,
                        sim_overrides={"install_time": 10_000_000.0}, settings_overrides={"master_install_seconds": 3.0})
    try:
        stack.command("deploy lab1")
        job = stack.wait_job(stack.last_job("deploy").id, timeout=120)
        assert job.state == "failed" and job.step == "master_install", job.error
        _, replies = stack.thread(job.id)
        assert replies[-1].startswith("❌ `fuel-master` did not come up within 3s of its install (last seen: "
                                      "installer (nothing answers yet))")
        assert "FUELBOT_MASTER_INSTALL_MINUTES" in replies[-1] and "erase ALL data on disk?" in replies[-1]
    finally:
        stop_stack(stack)
