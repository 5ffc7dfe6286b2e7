"""Scale-out, cancel, digest, discovery watch and destroy, on the real parts through Slack."""
import time

import yaml
from sqlalchemy import select

from store.models import AnnouncedNode
from tests.fixtures.stack import ADMIN, VIEWER
from tests.support.texts import readable

ZABBIX_NODE = {"name": "lab1-zabbix-1", "roles": ["zabbix-server"], "guest_id": "rhel6_64Guest", "cpus": 1,
               "memory_mb": 2048, "disk_gb": 16,
               "nics": [{"portgroup": "pxe", "fuel_networks": ["fuelweb_admin"]},
                        {"portgroup": "public", "fuel_networks": ["public"]},
                        {"portgroup": "management", "fuel_networks": ["management"]},
                        {"portgroup": "storage", "fuel_networks": ["storage"]},
                        {"portgroup": "br100", "fuel_networks": ["fixed"]}]}


def _deploy(stack, lab="lab1", extra=" --skip-health"):
    stack.command(f"deploy {lab}{extra}")
    job = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert job.state == "succeeded", job.error
    return job


def test_scale_out_adds_only_the_new_node(stack):
    first = _deploy(stack)
    spec_path = stack.labs_dir / "lab1.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["nodes"].append(ZABBIX_NODE)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    stack.command("plan lab1")
    plan = stack.wait_job(stack.last_job("plan").id)
    parent, replies = stack.answer(plan.id)
    assert "2 change(s)" in parent, (parent, replies)
    planned = "\n".join(replies)                     # a look-up's answer: one line per planned change
    assert "create and power on VM `lab1-zabbix-1`" in planned and "add `lab1-zabbix-1` as zabbix-server" in planned
    before = {n["mac"]: n for n in stack.fuel.state()["nodes"]}
    second = _deploy(stack)
    _, replies = stack.thread(second.id)
    story = "\n".join(replies)
    assert "`lab1-zabbix-1` 1 vCPU · 2048 MB" in story and "`lab1-controller-1`" not in story.split("VMs created")[1].split("\n")[1]
    assert "Roles assigned: node-2 `lab1-zabbix-1` → zabbix-server" in story
    assert "Network verification passed" in story
    nodes = stack.fuel.state()["nodes"]
    assert sorted((n["roles"], n["status"]) for n in nodes) == [(["controller"], "ready"), (["zabbix-server"], "ready")]
    controller = next(n for n in nodes if n["roles"] == ["controller"])
    assert before[controller["mac"]]["id"] == controller["id"]
    # Nailgun keeps one deploy super-task per environment: the second replaced the first
    deploys = [t for t in stack.fuel.state()["tasks"] if t["name"] == "deploy"]
    assert [t["id"] for t in deploys] == [stack.job(second.id).context["deploy_task"]]
    assert deploys[0]["id"] != stack.job(first.id).context["deploy_task"]


def test_cancel_during_deployment_calls_stop_deployment_and_deletes_nothing(stack):
    stack.fuel.set_speed(3)
    stack.command("deploy lab1")
    job_id = stack.last_job("deploy").id
    deadline = time.monotonic() + 60
    while stack.job(job_id).step != "follow_deploy" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    response = stack.command(f"cancel {job_id}")
    assert "stop" in response.json()["text"].lower()
    job = stack.wait_job(job_id, timeout=60)
    assert job.state == "cancelled"
    parent, replies = stack.thread(job_id)
    assert parent.startswith("🛑 *lab1* cancelled at *deployment*")          # a cancel is no failure
    assert any("stop_deployment" in r and "nothing was deleted" in r for r in replies)
    state = stack.fuel.state()
    assert [c["name"] for c in state["clusters"]] == ["lab1"]
    assert any(t["name"] == "stop_deployment" for t in state["tasks"])


def test_digest_summarises_every_lab_and_leads_with_what_changed(stack):
    stack.command("digest")
    first = stack.wait_job(stack.last_job("digest").id)
    parent, _ = stack.thread(first.id)
    assert parent.startswith("📋 Labs digest — 2 lab(s) · no change since last digest")
    assert "*lab1* not deployed" in parent and "*lab2* not deployed" in parent
    _deploy(stack)
    stack.command("digest", user=VIEWER)
    second = stack.wait_job(stack.last_job("digest").id)
    parent, _ = stack.thread(second.id)
    assert "since last digest: lab1 not deployed → operational; lab1 deploy ✅" in parent
    assert "*lab1* operational · 1 ready controller" in parent


def test_new_unallocated_nodes_are_announced_once_in_the_lab_channel(stack):
    from integrations.fuel.client import FuelClient
    from integrations.vsphere.client import VSphereClient
    from workflows.watch import watch_labs
    mac = "00:50:56:3f:aa:01"
    stack.fuel.inject_node(mac=mac)
    for _replica in range(2):   # two replicas tick: each node is still announced once per lab
        watch_labs(sessions=stack.runtime.sessions, labs=stack.runtime.services.labs.load,
                   fuel_factory=lambda lab: FuelClient.from_master(lab.fuel),
                   vsphere_factory=lambda lab: VSphereClient.connect(lab.vcenter))
    stack.settle()
    posts = [m for m in stack.slack.channel("C0LAB").messages if "New node(s) discovered" in m.text]
    # lab1 and lab2 share the embedded Fuel master: each lab announces the stranger once, never twice
    assert len(posts) == 2 and all(mac in p.text and "unknown MAC" in p.text for p in posts)
    with stack.runtime.sessions() as session:
        assert sorted(session.scalars(select(AnnouncedNode.lab))) == ["lab1", "lab2"]
        assert stack.last_job() is None   # housekeeping, not a job anyone asked for


def test_destroy_needs_an_admin_and_a_confirmation_then_removes_environment_and_vms(stack):
    _deploy(stack)
    refused = stack.command("destroy lab1", user=VIEWER).json()
    assert "admin" in refused["text"]
    asked = stack.command("destroy lab1", user=ADMIN).json()
    assert stack.last_job("destroy") is None and "lab1" in asked["text"]
    from tests.fixtures.stack import CHANNEL
    from sim.slack.signing import block_actions_form, post_signed
    button = asked["blocks"][-1]["elements"][0]           # its value carries the confirmation's nonce
    prompt = stack.slack.channel(CHANNEL).ephemerals_for(ADMIN)[-1]
    body = block_actions_form(user_id=ADMIN, channel_id=CHANNEL, channel_name="lab", team_id=stack.slack.team_id,
                              action={"action_id": "confirm_destroy", "value": button["value"],
                                      "text": {"type": "plain_text", "text": "Destroy"}},
                              block_id="b0", response_url=stack.slack.new_response_url(
                                  channel=CHANNEL, user=ADMIN, origin=prompt.id),
                              message=None, ephemeral=True, trigger_id="T-destroy")
    assert post_signed(stack.events_url, body, secret=stack.secret).status == 200
    deadline = time.monotonic() + 10
    while stack.last_job("destroy") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    job = stack.wait_job(stack.last_job("destroy").id, timeout=60)
    assert job.state == "succeeded", job.error
    assert stack.fuel.state()["clusters"] == []
    _, replies = stack.thread(job.id)
    assert any("VMs deleted: `lab1-controller-1`" in r for r in replies)
    assert any("Fuel master VM are kept" in r for r in replies)


def test_a_job_cancelled_while_queued_loses_its_cancel_button(stack):
    stack.runtime.ticker.shutdown()                      # nothing runs: the job stays queued
    stack.command("health lab1")
    job = stack.last_job("health")
    stack.command(f"cancel {job.id}")
    from jobs.outbox import Placement
    from sqlalchemy import select as sa_select
    from store.models import OutboxMessage
    with stack.runtime.sessions() as session:
        parents = session.scalars(sa_select(OutboxMessage).where(
            OutboxMessage.job_id == job.id, OutboxMessage.placement == Placement.PARENT.value)
            .order_by(OutboxMessage.id)).all()
    assert [p.text.split(" — ")[0] for p in parents] == ["⏳ 🩺 Health check of *lab1*", "🛑 🩺 Health check of *lab1*"]
    assert parents[0].body["actions"][0]["id"] == "cancel_job" and parents[1].body == {}
    assert "cancelled by <@UOPS0001> before it started" in readable(parents[1].text)
