"""The job page: a failed deploy's whole story behind a signed link, served by the bot's web server.

One test drives Debian's Chromium through Playwright with JavaScript off, as a person opening
the link from the thread; the others read the same server over plain HTTP.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from bot.job_page import JobPages
from bot.metrics import Metrics
from bot.web import FuelbotWSGI, ServerHandle, serve_http
from core.job_links import JobLinks
from core.redact import register_secret
from jobs.outbox import Placement, enqueue
from jobs.queue import claim_next, record_event, submit, transition
from jobs.states import JobKind, JobState

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SECRET = "vc-Pa55word-for-the-page"
T0 = datetime(2025, 3, 4, 9, 0, 0, tzinfo=timezone.utc)
LONG_ERROR = ("Deploy failed: node-3 (`lab1-compute-1`) failed provision. Fuel says: At least one of nodes have "
              "failed during provisioning. " + "More context from Fuel. " * 150 + f"password={SECRET} END-OF-ERROR")


class NoSlack:
    def dispatch(self, request):   # the page never reaches Bolt
        raise AssertionError("Slack must not be called")


def failed_deploy(sessions: sessionmaker[Session]) -> int:
    """A deploy of lab1 that failed provisioning, with its events, a Fuel diagnosis and its thread."""
    register_secret(SECRET)
    with sessions() as session, session.begin():
        job = submit(session, kind=JobKind.DEPLOY, requester="U0ALICE", lab="lab1", channel="C_LAB", now=T0).job
        claimed = claim_next(session, worker_id="worker-1", lease_seconds=30, now=T0 + timedelta(seconds=1))
        assert claimed is not None and claimed.id == job.id
        for offset, step in ((2, "create_vms"), (62, "follow_deploy")):
            record_event(session, job, actor="worker-1", kind="step", message=f"step {step} started",
                         at=T0 + timedelta(seconds=offset))
        record_event(session, job, actor="worker-1", kind="diagnosis", message="provisioning failed on node-3",
                     at=T0 + timedelta(seconds=201), data={
                         "detail": "Provisioning failed (Fuel task provision #7): At least one of nodes have "
                                   "failed during provisioning",
                         "excerpts": [{"title": "node-3 messages (bootstrap/messages)",
                                       "lines": ["2025-03-04 09:03:10 ERR provision: Failed to write image to "
                                                 f"/dev/sda: No space left (vc_password {SECRET})"]}]})
        enqueue(session, channel="C_LAB", text="🚀 Deploy of lab1 — job #1", placement=Placement.PARENT,
                job_id=job.id, slot=f"job-{job.id}-parent")
        enqueue(session, channel="C_LAB", text="❌ lab1 failed at deployment", placement=Placement.PARENT,
                job_id=job.id, slot=f"job-{job.id}-parent")
        enqueue(session, channel="C_LAB", text="🖥️ VMs created and powered on", placement=Placement.REPLY,
                job_id=job.id)
        transition(session, job, JobState.FAILED, actor="worker-1", message="failed at follow_deploy",
                   error=LONG_ERROR, now=T0 + timedelta(seconds=202))
        return job.id


@pytest.fixture
def served(sessions: sessionmaker[Session]) -> Iterator[tuple[ServerHandle, JobLinks, int]]:
    job_id = failed_deploy(sessions)
    key = "test-key-" + "0" * 24
    # Checking a link needs only the key; the base URL (known once the port is) only makes links.
    pages = JobPages(session_factory=sessions, links=JobLinks(base_url="http://unused", key=key))
    server = serve_http(FuelbotWSGI(app=NoSlack(), metrics=Metrics(), session_factory=sessions,  # type: ignore[arg-type]
                                    job_pages=pages), "127.0.0.1", 0)
    links = JobLinks(base_url=server.url, key=key, ttl_seconds=600)
    try:
        yield server, links, job_id
    finally:
        server.stop()


def test_the_page_tells_the_whole_story_without_secrets(served) -> None:
    server, links, job_id = served
    reply = requests.get(links.link(job_id), timeout=10)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in reply.headers["Content-Security-Policy"] and reply.headers["Cache-Control"] == "no-store"
    page = reply.text
    assert "END-OF-ERROR" in page and page.count("More context from Fuel.") == 150, "the full error, not a cut"
    assert SECRET not in page and "password=••••" in page
    assert "<script" not in page
    for expected in ("🚀 Deploy of lab1 — job #", "create_vms", "1m 00s", "follow_deploy", "2m 20s",
                     "Failed to write image to /dev/sda: No space left", "node-3 messages (bootstrap/messages)",
                     "❌ lab1 failed at deployment", "🖥️ VMs created and powered on", "state:failed", "U0ALICE"):
        assert expected in page, expected
    assert "🚀 Deploy of lab1 — job #1</pre>" not in page, "a parent edited in place shows its last text only"


def test_forged_expired_and_unknown_links_get_clear_pages(served) -> None:
    server, links, job_id = served
    good = links.link(job_id)
    forged = requests.get(good.replace(f"/jobs/{job_id}?", f"/jobs/{job_id + 1}?"), timeout=10)
    assert forged.status_code == 403 and "signature does not match" in forged.text
    stale = requests.get(links.link(job_id, now=T0.timestamp()), timeout=10)
    assert stale.status_code == 403 and "expired on 2025-03-04 09:10 UTC" in stale.text and f"/fuel job {job_id}" in stale.text
    bare = requests.get(f"{server.url}/jobs/{job_id}", timeout=10)
    assert bare.status_code == 403 and "incomplete" in bare.text
    missing = requests.get(links.link(999), timeout=10)
    assert missing.status_code == 404 and "There is no job #999" in missing.text
    assert requests.get(f"{server.url}/jobs/abc", timeout=10).status_code == 404
    assert requests.post(good, timeout=10).status_code == 405
    assert requests.get(f"{server.url}/jobsx", timeout=10).status_code == 404


def test_a_person_opens_the_link_in_a_real_browser_without_javascript(served) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "run `make setup`: it installs Debian's chromium package"
    server, links, job_id = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(java_script_enabled=False).new_page()
            assert page.goto(links.link(job_id)).status == 200
            assert page.title() == f"Job #{job_id} · 🚀 Deploy of lab1 · fuelbot"
            assert page.locator("h1").inner_text() == f"🚀 Deploy of lab1 — job #{job_id}"
            assert page.locator("p.state-failed").inner_text().startswith("failed")
            steps = page.locator("#steps + table tbody tr")
            assert steps.count() == 2
            assert steps.nth(1).inner_text().split("\t") == ["follow_deploy", "2025-03-04 09:01:02 UTC", "2m 20s",
                                                             "failed"]
            error = page.locator("#error + pre").inner_text()
            assert error.endswith("END-OF-ERROR") and SECRET not in page.content()
            assert "No space left" in page.get_by_role("heading", name="What Fuel says").locator(
                "xpath=following-sibling::pre[2]").inner_text()
            refused = page.goto(links.link(job_id).replace("sig=", "sig=0"))
            assert refused.status == 403
            assert page.locator("h1").inner_text() == "This link is not valid: its signature does not match."
        finally:
            browser.close()
