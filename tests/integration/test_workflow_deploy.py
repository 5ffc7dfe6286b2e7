"""`/fuel deploy lab1` on the real parts: from an empty vcsim to an operational environment."""
import pytest

from tests.fixtures.stack import OPERATOR


def test_deploy_lab1_end_to_end_tells_the_story_in_one_thread(stack):
    response = stack.command("deploy lab1", trigger_id="T-deploy-1")
    assert response.status == 200
    ack = response.json()
    assert ack["response_type"] == "ephemeral" and "queued as job" in ack["text"]
    job = stack.last_job("deploy")
    job = stack.wait_job(job.id, timeout=120)
    assert job.state == "succeeded", job.error
    parent, replies = stack.thread(job.id)
    assert parent.startswith("✅ *lab1* deployed — job #") and f"<@{OPERATOR}>" in parent
    assert "Juno on CentOS 6.5 · multinode · vCenter · nova-network" in parent
    assert "Health: sanity" in parent
    # Where the cloud is, as Fuel 6.0 says it: multinode puts Horizon on the controller's public address
    (controller,) = [n for n in stack.fuel.state()["nodes"] if "controller" in n["roles"]]
    public = next(row["ip"].split("/")[0] for row in controller["network_data"] if row["name"] == "public")
    cluster_id = stack.fuel.state()["clusters"][0]["id"]
    assert f"\nHorizon: http://{public}/ · Fuel UI: {stack.fuel.url}/#cluster/{cluster_id}/nodes\n" in parent
    story = "\n".join(replies)
    expected_order = ["Preflight:", "vSphere ready: port group `pxe` (VLAN 3, promiscuous ✓)",
                      "Fuel master set up over SSH", "Fuel 6.0 master", "VMs created and powered on",
                      "Discovered by Fuel after", "Environment `lab1` created", "Settings applied",
                      "Networks configured: public 10.0.0.0/24, management 10.0.1.0/24, storage 10.0.2.0/24, "
                      "fixed 12.0.0.0/24", "Roles assigned", "Interfaces mapped by MAC",
                      "Network verification skipped", "Deploy changes: Fuel task", "Deployed — 100%",
                      "Health check: sanity"]
    positions = [story.find(fragment) for fragment in expected_order]
    assert all(p >= 0 for p in positions), [f for f, p in zip(expected_order, positions) if p < 0]
    assert positions == sorted(positions)
    state = stack.fuel.state()
    clusters = state["clusters"]
    assert [c["name"] for c in clusters] == ["lab1"] and clusters[0]["status"] == "operational"
    deploy_tasks = [t for t in state["tasks"] if t["name"] == "deploy"]
    assert len(deploy_tasks) == 1


def test_plan_on_a_deployed_lab_shows_no_change_and_redeploy_changes_nothing(stack):
    stack.command("deploy lab1 --skip-health")
    first = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert first.state == "succeeded", first.error
    stack.command("plan lab1")
    plan = stack.wait_job(stack.last_job("plan").id)
    parent, _ = stack.answer(plan.id)
    assert "no change" in parent, parent
    stack.command("deploy lab1 --skip-health")
    again = stack.wait_job(stack.last_job("deploy").id, timeout=60)
    assert again.state == "succeeded" and again.id != first.id
    _, replies = stack.thread(again.id)
    assert any("Nothing to deploy" in r for r in replies)
    again_parent, _ = stack.thread(again.id)
    assert "Horizon: http://10.0.0." in again_parent, "a lab with nothing to deploy still says where its cloud is"
    assert len([t for t in stack.fuel.state()["tasks"] if t["name"] == "deploy"]) == 1
