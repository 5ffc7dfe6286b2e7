"""VM ownership records on a real database: plan before creating, confirm after, forget on destroy."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from store import vm_records

VC = "dbed6e0c-bd88-4ef6-b594-21283e1c677f"


def test_a_plan_is_kept_across_re_runs_and_confirmed_with_the_moref(sessions):
    with sessions() as session, session.begin():
        plans = vm_records.record_plans(session, lab="lab1", vcenter_uuid=VC, folder="fuelbot/lab1",
                                        plans=[("lab1-controller-1", "uuid-a"), ("lab1-cinder-1", "uuid-b")])
    assert plans == {"lab1-controller-1": "uuid-a", "lab1-cinder-1": "uuid-b"}
    with sessions() as session, session.begin():   # a resumed job plans again: the first plan wins
        again = vm_records.record_plans(session, lab="lab1", vcenter_uuid=VC, folder="fuelbot/lab1",
                                        plans=[("lab1-controller-1", "uuid-c")])
    assert again == {"lab1-controller-1": "uuid-a"}
    with sessions() as session, session.begin():
        vm_records.record_created(session, lab="lab1", vcenter_uuid=VC, name="lab1-controller-1",
                                  instance_uuid="uuid-a2", moid="vm-42", macs=["00:50:56:00:00:01"],
                                  folder="fuelbot/lab1")
    with sessions() as session:
        found = {r.name: r for r in vm_records.records(session, "lab1")}
    controller, cinder = found["lab1-controller-1"], found["lab1-cinder-1"]
    assert (controller.moid, controller.instance_uuid, controller.macs) == ("vm-42", "uuid-a2", ("00:50:56:00:00:01",))
    assert controller.confirmed and controller.created_at is not None
    assert not cinder.confirmed and cinder.moid is None


def test_an_instance_uuid_is_owned_once_per_vcenter(sessions):
    with sessions() as session, session.begin():
        vm_records.record_plans(session, lab="lab1", vcenter_uuid=VC, folder="f", plans=[("a", "same")])
    with pytest.raises(IntegrityError):
        with sessions() as session, session.begin():
            vm_records.record_plans(session, lab="lab2", vcenter_uuid=VC, folder="g", plans=[("b", "same")])
    with sessions() as session, session.begin():   # another vCenter may hold the same UUID
        vm_records.record_plans(session, lab="lab2", vcenter_uuid="other-vc", folder="g", plans=[("b", "same")])


def test_forget_drops_only_the_named_records_of_that_lab(sessions):
    with sessions() as session, session.begin():
        vm_records.record_plans(session, lab="lab1", vcenter_uuid=VC, folder="f", plans=[("a", "1"), ("b", "2")])
        vm_records.record_plans(session, lab="lab2", vcenter_uuid=VC, folder="g", plans=[("a", "3")])
    with sessions() as session, session.begin():
        assert vm_records.forget(session, lab="lab1", vcenter_uuid=VC, names=["a"]) == 1
    with sessions() as session:
        assert [r.name for r in vm_records.records(session, "lab1")] == ["b"]
        assert [r.name for r in vm_records.records(session, "lab2", vcenter_uuid=VC)] == ["a"]
