"""Quick look-ups answer the person who asked, where they asked, within seconds; nothing public.

``status``, ``nodes``, ``plan`` and one lab's ``digest`` run as jobs (they ask Fuel and vCenter,
which may not happen before Slack's 3-second ack), but they post no parent with a Cancel button
and open no thread: their answer is one ephemeral message for the person (or a message in their
DM with fuelbot when they asked in a DM). A digest of every lab is still posted for everyone.
``jobs`` and ``job`` name steps by their titles and say "cancelled" for a cancel.
"""
from __future__ import annotations

import time

from pyVim.connect import Disconnect, SmartConnect
from sqlalchemy import select

from integrations.vsphere.macs import manual_mac
from sim.slack.channels import Kind
from sim.slack.signing import post_signed, slash_command_form
from store.models import JobEvent
from tests.fixtures.stack import CHANNEL, OPERATOR, VIEWER


def _public(stack) -> int:
    return len(stack.slack.channel(CHANNEL).messages)


def test_status_answers_only_the_asker_in_seconds_without_a_public_message(stack) -> None:
    stack.observe()       # status says what the observation tick last read
    before = _public(stack)
    asked = time.monotonic()
    reply = stack.command("status lab1", user=VIEWER).json()
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("⏳ Status of *lab1* (job *#1*): the answer comes here, only for you")
    job = stack.wait_job(stack.last_job("status").id, timeout=30)
    text, _ = stack.answer(job.id, user=VIEWER)
    assert text.startswith("📟 *lab1*: not deployed") and time.monotonic() - asked < 15
    assert _public(stack) == before and stack.job(job.id).thread_ts is None      # no parent, no Cancel button
    assert not stack.slack.channel(CHANNEL).ephemerals_for(OPERATOR)             # for the asker only


def test_nodes_asked_in_a_dm_are_answered_in_the_askers_dm_with_fuelbot(stack) -> None:
    dm = "D0OPSVIEW"
    stack.slack.add_channel(dm, OPERATOR, kind=Kind.IM, members=[OPERATOR, VIEWER], bot=False)
    body = slash_command_form(text="nodes lab1", user_id=VIEWER, channel_id=dm, channel_name="directmessage",
                              team_id=stack.slack.team_id,
                              response_url=stack.slack.new_response_url(channel=dm, user=VIEWER))
    reply = post_signed(stack.events_url, body, secret=stack.secret).json()
    assert "the answer comes in your DM with fuelbot" in reply["text"]
    job = stack.wait_job(stack.last_job("nodes").id, timeout=30)
    stack.settle()
    [answer] = stack.slack.channel(stack.slack.open_im(VIEWER)).messages
    assert answer.text.startswith("🖥️ *lab1*: 0 node(s)") and f"job #{job.id}" in answer.text
    assert stack.slack.channel(dm).messages == () and _public(stack) == 0


def test_one_labs_digest_is_for_the_asker_and_every_labs_digest_for_everyone(stack) -> None:
    stack.command("digest lab1", user=VIEWER)
    mine = stack.wait_job(stack.last_job("digest").id, timeout=30)
    text, _ = stack.answer(mine.id, user=VIEWER)
    assert text.startswith("📋 Labs digest — 1 lab(s)") and _public(stack) == 0
    stack.command("digest", user=VIEWER)
    everyone = stack.wait_job(stack.last_job("digest").id, timeout=30)
    parent, _ = stack.thread(everyone.id)
    assert parent.startswith("📋 Labs digest — 2 lab(s)")


def test_jobs_and_job_name_steps_by_their_titles(stack) -> None:
    mac = manual_mac("lab1", "lab1-controller-1", 0, vcenter=_vcenter_uuid(stack))
    stack.fuel.fail_node(mac, stage="provision", message="Provisioning failed: disk not found")
    stack.command("deploy lab1")
    failed = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert (failed.state, failed.step, failed.step_title) == ("failed", "follow_deploy", "Deployment")
    listing = stack.command("jobs", user=VIEWER).json()["text"]
    assert f"#{failed.id} deploy *lab1* · failed at *Deployment*" in listing and "follow_deploy" not in listing
    detail = stack.command(f"job {failed.id}", user=VIEWER).json()["text"]
    assert "· *failed* · step *Deployment*" in detail and "Deployment started" in detail
    assert not any(name in detail for name in ("follow_deploy", "create_vms", "deploy_changes"))
    with stack.runtime.sessions() as session:
        steps = session.scalars(select(JobEvent).where(JobEvent.job_id == failed.id, JobEvent.kind == "step"))
        assert ("follow_deploy", "Deployment") in {(e.data["step"], e.data["title"]) for e in steps}


def _vcenter_uuid(stack) -> str:
    host, port = stack.vcsim.host_port.rsplit(":", 1)
    si = SmartConnect(host=host, port=int(port), user=stack.vcsim.user, pwd=stack.vcsim.password, protocol="http")
    try:
        return str(si.content.about.instanceUuid)
    finally:
        Disconnect(si)
