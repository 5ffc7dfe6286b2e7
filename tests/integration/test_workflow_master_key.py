"""A Fuel master reinstalled behind fuelbot's back, on the real parts: the setup refuses its new SSH host
key naming ``/fuel master <lab> --trust-key``; only an admin's fingerprint of the key the master presents
(read without logging in) replaces the record, audited; then the setup logs in again. The master's sshd
log (``/var/log/secure``) shows that no password reached the changed master until its key was trusted."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from core.host_key_trust import HostKey
from store.host_keys import HostKeyStore
from store.models import JobEvent
from tests.fixtures.stack import ADMIN, OPERATOR, VIEWER, Stack, start_stack, stop_stack

SECRETS = {"FUEL_PASSWORD": "Trust-Adm1n-pw", "FUEL_ROOT_PASSWORD": "Trust-R00t-pw"}
FINGERPRINT = re.compile(r"--trust-key (SHA256:[A-Za-z0-9+/]{43})`")


@pytest.fixture
def stack(migrated_database_url: str, tmp_path: Path, vcsim_binary) -> Iterator[Stack]:
    running = start_stack(sessions_url=migrated_database_url, tmp_path=tmp_path, environ_overrides=SECRETS)
    try:
        yield running
    finally:
        stop_stack(running)


def master_job(stack: Stack, text: str, user: str):
    stack.command(text, user=user)
    return stack.wait_job(stack.last_job("master").id)


def recorded(stack: Stack) -> HostKey | None:
    entry = HostKeyStore(stack.runtime.sessions).entry(f"127.0.0.1:{stack.fuel.ssh_port}")
    return entry.key if entry else None


def password_attempts(stack: Stack) -> list[str]:
    """What the master's sshd logged of password logins (OpenSSH: Accepted/Failed password for …)."""
    log = stack.fuel.run_command("cat /var/log/secure").stdout
    return [line for line in log.splitlines() if " password for " in line]


def test_an_admin_trusts_a_reinstalled_masters_new_key_by_its_fingerprint(stack: Stack) -> None:
    first = master_job(stack, "master lab1 --fix", OPERATOR)
    assert first.state == "succeeded", first.error
    old = recorded(stack)
    assert old is not None
    shown = stack.thread(first.id)[1][-1]                 # the overview, under the setup's lines
    assert f"*SSH host key*: {old.described}, recorded " in shown

    stack.fuel.reset()                   # reinstalled from the ISO: a new host key, 6.0's passwords, a new disk
    assert password_attempts(stack) == []
    refused = master_job(stack, "master lab1 --fix", OPERATOR)
    assert refused.state == "failed" and refused.step == "master_setup"
    failure = stack.thread(refused.id)[1][-1]
    assert "The SSH host key of the Fuel master at 127.0.0.1:" in failure and "fuelbot sent no password" in failure
    assert "master_host_keys" not in failure and "table" not in failure
    match = FINGERPRINT.search(failure)
    assert match and f"an admin trusts its new key with `/fuel master lab1 --trust-key {match.group(1)}`" in failure
    new = match.group(1)
    assert new != old.sha256 and recorded(stack) == old

    for user, role in ((VIEWER, "viewer"), (OPERATOR, "operator")):
        answer = stack.command(f"master lab1 --trust-key {new}", user=user).json()["text"]
        assert f"Trusting a Fuel master's new SSH host key needs the *admin* role; you have *{role}*" in answer
    assert recorded(stack) == old and stack.last_job("master").id == refused.id       # no job was queued

    wrong = master_job(stack, f"master lab1 --trust-key {old.sha256}", ADMIN)     # the old key's fingerprint
    assert wrong.state == "failed" and wrong.step == "master_key"
    said = stack.thread(wrong.id)[1][-1]
    assert f"you typed {old.sha256}, but it presents ssh-rsa {new} (MD5:" in said
    assert f"fuelbot kept the key it recorded (ssh-rsa {old.sha256}) and sent no password" in said
    assert recorded(stack) == old

    assert password_attempts(stack) == []           # nothing reached the changed master: only key exchanges
    trusted = master_job(stack, f"master lab1 --trust-key {new}", ADMIN)
    assert trusted.state == "succeeded", trusted.error
    _, replies = stack.thread(trusted.id)
    assert any(r.startswith(f"🔑 Trusted the new SSH host key of the Fuel master at 127.0.0.1:{stack.fuel.ssh_port} "
                            f"(<@{ADMIN}> compared {new}): ssh-rsa {new}") for r in replies), replies
    now = recorded(stack)
    assert now is not None and now.sha256 == new
    with stack.runtime.sessions() as session:
        audit = [(e.actor, e.kind, e.message) for e in session.scalars(
            select(JobEvent).where(JobEvent.kind.in_(("host-key-trusted", "host-key-refused"))).order_by(JobEvent.id))]
    at = f"lab1: the Fuel master at 127.0.0.1:{stack.fuel.ssh_port}"
    assert audit == [
        (ADMIN, "host-key-refused", f"{at} keeps SSH host key {old.sha256}: {old.sha256} typed, {new} presented"),
        (ADMIN, "host-key-trusted", f"{at} is trusted with SSH host key {new} in place of {old.sha256}")]

    trail = stack.command("audit lab1 --since 1h", user=ADMIN).json()["text"]     # what an admin reads back
    assert f"<@{ADMIN}> `host-key-trusted` #{trusted.id} — {at} is trusted with SSH host key {new}" in trail
    assert f"<@{ADMIN}> `host-key-refused` #{wrong.id} — {at} keeps SSH host key {old.sha256}" in trail
    assert f"<@{VIEWER}> `denied` — master lab1 --trust-key {new}" in trail

    again = master_job(stack, "master lab1 --fix", OPERATOR)       # the setup logs in to the trusted key
    assert again.state == "succeeded", again.error
    assert any(" Accepted password for root " in line for line in password_attempts(stack))
    nothing = master_job(stack, f"master lab1 --trust-key {new}", ADMIN)
    assert nothing.state == "succeeded"
    assert any(r.startswith("🔑 Nothing to do: the Fuel master at 127.0.0.1:") for r in stack.thread(nothing.id)[1])
