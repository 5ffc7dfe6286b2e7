"""Scale-out, cancel, digest, discovery watch and destroy, on the real parts through Slack."""
import re
import time

import yaml
from sqlalchemy import select

from store.models import AnnouncedNode
from tests.fixtures.stack import ADMIN, VIEWER, start_stack, stop_stack
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
    stack.observe()
    stack.command("digest")
    first = stack.wait_job(stack.last_job("digest").id)
    parent, _ = stack.thread(first.id)
    # issue #13: the first digest says so, and the job reference sits on the header, not the last lab's line
    assert parent.splitlines()[0] == f"📋 Labs digest — 2 lab(s) · first digest · job #{first.id}"
    assert "*lab1* not deployed" in parent and "*lab2* not deployed" in parent
    assert not parent.splitlines()[-1].endswith(f"job #{first.id}")
    _deploy(stack)
    stack.observe()
    stack.command("digest", user=VIEWER)
    second = stack.wait_job(stack.last_job("digest").id)
    parent, _ = stack.thread(second.id)
    assert "since last digest: lab1 not deployed → operational; lab1 deploy ✅" in parent
    assert "*lab1* operational · 1 ready controller" in parent
    assert re.search(r"\*lab1\* operational · 1 ready controller · .* · as of \d+s ago", parent), parent


def test_a_digest_says_a_lab_never_observed_is_not_and_asks_fuel_nothing(stack):
    before = dict(stack.fuel.state()["request_counts"])
    stack.command("digest")
    job = stack.wait_job(stack.last_job("digest").id)
    parent, _ = stack.thread(job.id)
    assert ("*lab1* — not observed yet: fuelbot has not read its Fuel master since it started watching it"
            in parent.splitlines())
    after = stack.fuel.state()["request_counts"]
    assert {r: n - before.get(r, 0) for r, n in after.items() if n != before.get(r, 0)} == {}, "no Fuel request"


def _watch(stack, kept, passes=1):
    """Discovery watch passes of one replica, whose kept vCenter sessions are ``kept``."""
    from integrations.fuel.client import FuelClient
    from workflows.watch import watch_labs
    for _ in range(passes):
        watch_labs(sessions=stack.runtime.sessions, labs=stack.runtime.services.labs.load,
                   fuel_factory=lambda lab: FuelClient.from_master(lab.fuel),
                   vsphere=lambda lab: kept.client(lab.vcenter))


def _vcenter_sessions(stack):
    from tests.fixtures.vcenter_simulator import admin_session
    with admin_session(stack.vcsim) as admin:
        return len(admin.content.sessionManager.sessionList) - 1      # not this admin session


def test_new_unallocated_nodes_are_announced_once_in_the_lab_channel(stack):
    from integrations.vsphere.pool import VSphereSessions
    from workflows.watch import master_key
    mac = "00:50:56:3f:aa:01"
    stack.fuel.inject_node(mac=mac)
    for _replica in range(2):   # two replicas tick: each node is still announced once per lab
        kept = VSphereSessions()
        try:
            _watch(stack, kept)
        finally:
            kept.close()
    stack.settle()
    posts = [m for m in stack.slack.channel("C0LAB").messages if "New node(s)" in m.text]
    # lab1 and lab2 share the embedded Fuel master: a node no lab owns is announced once for the master
    assert len(posts) == 1 and mac in posts[0].text and "unknown MAC" in posts[0].text
    assert posts[0].text.startswith("👽 New node(s) on the Fuel master of lab1, lab2 that no lab owns")
    with stack.runtime.sessions() as session:
        assert list(session.scalars(select(AnnouncedNode.lab))) == [master_key(stack.fuel.url)]
        assert stack.last_job() is None   # housekeeping, not a job anyone asked for


def test_a_node_of_another_labs_recorded_vm_is_announced_by_that_lab_only(stack):
    from integrations.vsphere.pool import VSphereSessions
    from store import vm_records
    mac = "00:50:56:2a:bb:01"
    with stack.runtime.sessions() as session, session.begin():   # lab2's VM, as its create_vms recorded it
        vm_records.record_created(session, lab="lab2", vcenter_uuid="vc", name="lab2-controller-1",
                                  instance_uuid="4a0e2c47-6a52-4c1c-9d1b-2f6a0c3e5d11", moid="vm-90",
                                  macs=[mac, "00:50:56:2a:bb:02"], folder="fuelbot/lab2")
    stack.fuel.inject_node(mac=mac)
    kept = VSphereSessions()
    try:
        _watch(stack, kept)
    finally:
        kept.close()
    stack.settle()
    with stack.runtime.sessions() as session:
        assert [(n.lab, n.mac) for n in session.scalars(select(AnnouncedNode))] == [("lab2", mac)]


def test_the_watch_keeps_one_vcenter_session_and_reads_only_the_labs_folder(stack):
    _deploy(stack)
    before = _vcenter_sessions(stack)
    kept = stack.runtime.vsphere_sessions            # what the process's discovery tick uses
    stack.fuel.inject_node(mac="00:50:56:3f:aa:02")
    _watch(stack, kept, passes=3)                     # lab1 and lab2 (one vCenter), three minutes
    assert len(kept) == 1 and _vcenter_sessions(stack) == before + 1
    client = kept.client(stack.runtime.services.labs.load()[0]["lab1"].vcenter)
    calls = client.calls
    _watch(stack, kept)
    assert client.calls == calls                      # no new node: vCenter is not asked at all
    stack.fuel.inject_node(mac="00:50:56:3f:aa:12")
    _watch(stack, kept)
    assert client.calls - calls <= 2 * 6              # per lab: its folder path, its VMs, port group names; no login
    stack.settle()
    posts = [m.text for m in stack.slack.channel("C0LAB").messages if "New node(s)" in m.text]
    # nodes no lab owns, on the master lab1 and lab2 share: each announced once, for the master
    assert len(posts) == 2 and all(p.startswith("👽") for p in posts)
    assert "00:50:56:3f:aa:02 ⇐ unknown MAC" in posts[0] and "00:50:56:3f:aa:12 ⇐ unknown MAC" in posts[1]
    assert [vm.name for vm in client.lab_vms("lab1")] == ["fuel-master", "lab1-controller-1"]
    stack.runtime.stop()                              # shutdown logs the kept session out
    assert _vcenter_sessions(stack) == before


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


def test_a_deploy_after_a_reset_waits_for_the_nodes_to_boot_back_before_verifying(migrated_database_url, tmp_path,
                                                                                   vcsim_binary):
    """Fuel's reset reboots the nodes into bootstrap, offline meanwhile (issue #17, item 8): 4 s here."""
    stack = start_stack(sessions_url=migrated_database_url, tmp_path=tmp_path, sim_overrides={"boot_delay": 400.0})
    try:
        # lab2 shares lab1's master, which declares it: lab1 sets it up (experimental on) first
        stack.command("master lab1 --fix")
        assert stack.wait_job(stack.last_job("master").id).state == "succeeded"
        _deploy(stack, "lab2")
        stack.command("reset lab2")
        reset = stack.wait_job(stack.last_job("reset").id, timeout=60)
        assert reset.state == "succeeded", reset.error
        assert not any(n["online"] for n in stack.fuel.state()["nodes"])
        again = _deploy(stack, "lab2")
        _, replies = stack.thread(again.id)
        story = "\n".join(replies)
        # the waiting line is one message, edited in place into this once the nodes are back
        assert "All 2 node(s) online" in story, story
        assert "Network verification passed" in story and "does not allow promiscuous mode" not in story
    finally:
        stop_stack(stack)
