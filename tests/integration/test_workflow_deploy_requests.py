"""What a deploy costs the Fuel master: one Keystone session for the whole job, one listing a poll while it follows."""
from __future__ import annotations

TOKENS = "POST /keystone/v2.0/tokens"


def test_a_deploy_and_its_health_check_log_in_to_keystone_once(stack):
    before = dict(stack.fuel.state()["request_counts"])
    stack.command("deploy lab1")
    job = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert job.state == "succeeded", job.error
    seen = {route: count - before.get(route, 0) for route, count in stack.fuel.state()["request_counts"].items()}
    # the job's API session logs in once; the master's steps check its accounts once each: the lab's
    # admin password works (ensure_admin_password) and 6.0's admin/admin no longer does (preflight)
    assert seen.get(TOKENS) == 1 + 2, seen
    # the deploy is followed in the environment's task listing, never task by task
    assert seen.get("GET /api/tasks", 0) > 0 and not [r for r in seen if r.startswith("GET /api/tasks/")], seen
