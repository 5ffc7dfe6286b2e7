"""The deploy's failure paths on the real parts, each through signed Slack commands."""
import html
import re
import time

import requests

from tests.fixtures.vcenter_simulator import lab_mac, set_promiscuous


def _wait_step(stack, job_id, step, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.job(job_id).step == step:
            return
        time.sleep(0.02)
    raise AssertionError(f"job never reached {step} (at {stack.job(job_id).step})")


def test_promiscuous_mode_off_fails_verification_with_the_hint_and_no_deploy_starts(stack):
    # lab2 shares lab1's master, which declares it: lab1 sets it up (experimental on) first
    stack.command("master lab1 --fix")
    assert stack.wait_job(stack.last_job("master").id).state == "succeeded"
    # Hold the verify request for 2 s so that the port group changes while Fuel checks it.
    stack.fuel.set_fault(route=r"/verify/?$", method="PUT", latency_ms=2000, count=1)
    stack.command("deploy lab2", trigger_id="T-verify")
    job_id = stack.last_job("deploy").id
    _wait_step(stack, job_id, "verify_networks")
    set_promiscuous(stack.vcsim, "pxe", False)
    job = stack.wait_job(job_id, timeout=90)
    assert job.state == "failed" and job.step == "verify_networks"
    parent, replies = stack.thread(job_id)
    assert parent.startswith("❌ *lab2* failed at *verify networks*")
    failure = replies[-1]
    assert "Network verification failed" in failure and "`lab2-controller-1` (Fuel: 'Untitled (" in failure
    assert "port group `pxe` does not allow promiscuous mode" in failure and "/fuel preflight lab2 --fix" in failure
    assert [t for t in stack.fuel.state()["tasks"] if t["name"] == "deploy"] == []


def test_preflight_reports_promiscuous_off_with_its_fix_and_fix_repairs_it(stack):
    stack.command("deploy lab1 --skip-health")
    assert stack.wait_job(stack.last_job("deploy").id, timeout=120).state == "succeeded"
    set_promiscuous(stack.vcsim, "pxe", False)
    stack.command("preflight lab1")
    job = stack.wait_job(stack.last_job("preflight").id)
    assert job.state == "failed"
    _, replies = stack.thread(job.id)
    assert any("port group `pxe`: promiscuous mode is off" in r and "/fuel preflight lab1 --fix" in r for r in replies)
    stack.command("preflight lab1 --fix")
    fixed = stack.wait_job(stack.last_job("preflight").id)
    assert fixed.state == "succeeded", fixed.error
    parent, replies = stack.thread(fixed.id)
    assert "0 failing" in parent and any("promiscuous off→on" in r or "promiscuous" in r for r in replies)


def test_a_node_failing_provisioning_fails_the_job_naming_that_node(stack):
    # fuelbot derives a node's MAC from the vCenter, the lab, the VM and the NIC.
    mac = lab_mac(stack.vcsim, "lab1", "lab1-controller-1")
    stack.fuel.fail_node(mac, stage="provision",
                         message="Provisioning failed: disk not found")
    stack.command("deploy lab1")
    job = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert job.state == "failed" and job.step == "follow_deploy"
    # issue #13: the stage Fuel names (not "deployment"), the node by our VM name and Fuel's, and the cause
    assert job.error.startswith("Provisioning failed on node-") and "`lab1-controller-1` (Fuel: 'Untitled (" in job.error
    assert "provision: Provisioning failed: disk not found" in job.error
    assert "Fuel says: At least one of nodes have failed during provisioning" in job.error
    parent, replies = stack.thread(job.id)
    assert parent.startswith("❌ *lab1* failed at *provisioning*")
    assert not any("at 100%" in r or "Deploy failed at" in r for r in replies)
    (said,) = [r for r in replies if r.startswith("🔍 What Fuel says (provisioning, task provision #")]
    assert "`lab1-controller-1` (Fuel: 'Untitled (" in said and "error (provision)" in said
    assert "ERR provision: Provisioning failed: disk not found" in said
    events = _events(stack, job.id, "diagnosis")
    assert len(events) == 1 and "Provisioning failed: disk not found" in events[0].data["detail"]
    # the parent links the job's page, where the diagnosis is in full; `/fuel job` hands out a fresh link
    page = requests.get(stack.page_link(job.id), timeout=10)
    assert page.status_code == 200 and "ERR provision: Provisioning failed: disk not found" in page.text
    answer = stack.command(f"job {job.id}").json()["text"]
    fresh = re.search(r"<(http[^|>]+)\|job #\d+'s page> \(a fresh link, valid 7 days\)", answer)
    assert fresh is not None, answer
    url = html.unescape(fresh.group(1))                 # Slack decodes the &amp; of a link's URL
    assert requests.get(url, timeout=10).status_code == 200
    forged = requests.get(url.replace(f"/jobs/{job.id}?", f"/jobs/{job.id + 1}?"), timeout=10)
    assert forged.status_code == 403 and "signature does not match" in forged.text


def test_a_deployment_failure_brings_fuels_notification_and_leaves_an_older_failure_out(stack):
    controller = lab_mac(stack.vcsim, "lab1", "lab1-controller-1")
    stack.fuel.fail_node(controller, stage="deploy", message="keystone-manage db_sync: connection refused")
    stack.command("deploy lab1 --skip-health", trigger_id="T-first")
    first = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert first.state == "failed"
    stack.fuel.clear_faults()
    stack.fuel.fail_node(controller, stage="deploy", message="puppet: Could not find class ::nova::network")
    stack.command("deploy lab1 --skip-health", trigger_id="T-second")
    second = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert second.id != first.id and second.state == "failed"
    parent, replies = stack.thread(second.id)
    assert parent.startswith("❌ *lab1* failed at *deployment*")
    (said,) = [r for r in replies if r.startswith("🔍 What Fuel says (deployment, task deployment #")]
    assert "Could not find class ::nova::network" in said and "🔔 Failed to deploy node 'Untitled (" in said
    older = {n["id"] for n in _events(stack, first.id, "diagnosis")[0].data["diagnosis"]["notifications"]}
    newer = {n["id"] for n in _events(stack, second.id, "diagnosis")[0].data["diagnosis"]["notifications"]}
    assert older and newer and min(newer) > max(older), "the first deploy's notifications are not the second's"


def _events(stack, job_id, kind):
    from sqlalchemy import select
    from store.models import JobEvent
    with stack.runtime.sessions() as session:
        return session.scalars(select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.kind == kind)).all()


def test_fuel_unreachable_mid_deploy_the_job_waits_and_resumes(stack):
    stack.fuel.set_speed(20)
    stack.command("deploy lab1 --skip-health")
    job_id = stack.last_job("deploy").id
    _wait_step(stack, job_id, "follow_deploy", timeout=90)
    outage_started = time.monotonic()
    stack.fuel.outage(6)
    job = stack.wait_job(job_id, timeout=120)
    waited = time.monotonic() - outage_started
    assert job.state == "succeeded", job.error
    assert waited >= 5.5, f"the job finished {waited:.1f}s into a 6 s outage: it cannot have seen Fuel"
    assert job.attempts == 1   # the same worker kept waiting; nothing restarted
    from sqlalchemy import select
    from store.models import OutboxMessage
    with stack.runtime.sessions() as session:   # the progress message said so while it waited
        edits = session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.job_id == job_id, OutboxMessage.slot == f"job:{job_id}:progress:deploy")).all()
    # (the deploy's message: "started" kept above, the live line under it)
    assert any(e.splitlines()[-1].startswith("⚠️ Fuel is not answering") for e in edits), edits
    assert len([t for t in stack.fuel.state()["tasks"] if t["name"] == "deploy"]) == 1
