"""``/fuel master <lab> --trust-key``'s step on the fakes: trusted, refused or nothing to do; audited.

The FakeMaster keeps to ``tests/integration/test_ports_contract.py`` (the same trust contract runs
on the Fuel simulator's sshd); the texts asserted are the thread's.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import MasterError, StepFailed
from core.mrkdwn import to_slack
from store.models import JobEvent
from tests.fakes.harness import Harness
from workflows.master import MasterWorkflow, step_key, step_setup
from workflows.records import MasterRecord
from workflows.voices.master import MasterVoice


def reinstalled(h: Harness) -> Harness:
    """fuelbot met the master once (its key recorded), then someone reinstalled it: a new key."""
    master = h.fake_master()
    master.key_recorded = True
    master.reinstall()
    return h


def trust(h: Harness, typed: str, *, fix: bool = False):
    return h.run(MasterRecord(), MasterVoice(), kind="master", params={"trust_key": typed, "fix": fix})


def events(h: Harness) -> list[tuple[str, str, str]]:
    with h.sessions() as session:
        return [(e.actor, e.kind, e.message or "") for e in session.scalars(select(JobEvent).order_by(JobEvent.id))]


def test_after_a_reinstall_the_setup_names_the_command_and_the_presented_fingerprint() -> None:
    h = reinstalled(Harness())
    master = h.fake_master()
    with pytest.raises(MasterError) as stopped:
        step_setup(h.run(MasterRecord(), MasterVoice(), kind="master", params={"fix": True}))
    text = str(stopped.value)
    assert f"it presented ssh-rsa {master.presented.sha256}" in text and "fuelbot sent no password" in text
    assert f"an admin trusts its new key with `/fuel master lab1 --trust-key {master.presented.sha256}`" in text
    assert "master_host_keys" not in text and "table" not in text


def test_the_presented_keys_fingerprint_replaces_the_record_audited_then_the_setup_logs_in() -> None:
    h = reinstalled(Harness())
    master = h.fake_master()
    old = master.key_of(master.generation - 1)
    run = trust(h, master.presented.sha256, fix=True)
    step_key(run)
    recorded = master.host_key()
    assert not master.key_changed and recorded is not None and recorded.key == master.presented
    assert [to_slack(line) for line in h.thread.said()] == [
        f"🔑 Trusted the new SSH host key of the Fuel master at 10.20.0.2:8022 (<@U0ALICE1> compared "
        f"{master.presented.sha256}): {master.presented.described} is recorded in place of ssh-rsa {old.sha256}. "
        "fuelbot logs in to it from now on."]
    ((actor, kind, message),) = events(h)
    assert (actor, kind) == ("U0ALICE1", "host-key-trusted")
    assert message == (f"lab1: the Fuel master at 10.20.0.2:8022 is trusted with SSH host key "
                       f"{master.presented.sha256} in place of {old.sha256}")
    h.vsphere.fix_portgroups(h.lab)
    assert h.lab.fuel.vm is not None
    h.vsphere.ensure_vm(h.lab.fuel.vm, lab="lab1")
    h.vsphere.power_on("fuel-master")
    for step in MasterWorkflow(h.deps()).steps()[1:]:       # the --fix after it logs in to the trusted key
        step.run(run)
    assert master.calls["ensure_root_password"] == 1 and master.cobbler_syncs == 1
    assert run.headline.startswith("✅ Fuel master of *lab1*")
    (shown,) = [t for k, t in h.thread.lines if k == "say" and t.startswith("*Address*")]
    assert f"*SSH host key*: {master.presented.described}, recorded " in shown


def test_a_wrong_fingerprint_is_refused_naming_both_and_changes_nothing() -> None:
    h = reinstalled(Harness())
    master = h.fake_master()
    old = master.key_of(master.generation - 1)
    before = master.host_key()
    with pytest.raises(StepFailed) as refused:
        step_key(trust(h, old.sha256))               # the old key's fingerprint, from an earlier message
    text = str(refused.value)
    assert text.startswith(f"Refused to trust the SSH host key of the Fuel master at 10.20.0.2:8022: you typed "
                           f"{old.sha256}, but it presents {master.presented.described}. fuelbot kept the key it "
                           f"recorded (ssh-rsa {old.sha256}) and sent no password. Fix: read the fingerprint on the "
                           "master's console (`ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub`)")
    assert master.host_key() == before and master.key_changed
    assert [(a, k) for a, k, _ in events(h)] == [("U0ALICE1", "host-key-refused")]
    assert h.thread.said() == []


@pytest.mark.parametrize(("arrange", "said"), [
    (lambda m: None, "🔑 Nothing to do: fuelbot has no SSH host key recorded for the Fuel master at 10.20.0.2:8022; "
                     "its next connection records the key it presents, ssh-rsa SHA256:"),
    (lambda m: setattr(m, "key_recorded", True), "🔑 Nothing to do: the Fuel master at 10.20.0.2:8022 presents the "
                                                 "SSH host key fuelbot recorded, ssh-rsa SHA256:"),
], ids=["nothing recorded", "unchanged"])
def test_nothing_recorded_or_an_unchanged_key_is_nothing_to_do(arrange, said: str) -> None:
    h = Harness()
    master = h.fake_master()
    arrange(master)
    before = master.host_key()
    step_key(trust(h, master.presented.md5))
    (line,) = h.thread.said()
    assert line.startswith(said) and master.host_key() == before and events(h) == []


def test_without_trust_key_the_step_does_nothing() -> None:
    h = reinstalled(Harness())
    step_key(h.run(MasterRecord(), MasterVoice(), kind="master", params={"fix": True}))
    assert h.fake_master().calls["trust_host_key"] == 0 and h.thread.lines == []
