"""Manual MACs: in VMware's manual range, stable, distinct, and stepping past used ones."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.vsphere.macs import assign_macs, is_manual_mac, manual_mac

names = st.text(min_size=1, max_size=30)


@given(lab=names, vm=names, index=st.integers(min_value=0, max_value=63), attempt=st.integers(0, 63))
def test_every_mac_is_in_the_manual_range(lab, vm, index, attempt):
    mac = manual_mac(lab, vm, index, attempt=attempt)
    assert is_manual_mac(mac)
    assert "00:50:56:00:00:00" <= mac <= "00:50:56:3f:ff:ff"


@given(lab=names, vm=names, index=st.integers(min_value=0, max_value=63))
def test_the_same_nic_always_gets_the_same_mac(lab, vm, index):
    assert manual_mac(lab, vm, index) == manual_mac(lab, vm, index)


def test_known_value_is_stable_across_releases():
    # Fuel remembers nodes by MAC: changing the derivation would orphan every existing lab node.
    assert manual_mac("lab1", "lab1-controller-1", 0) == "00:50:56:33:ca:9d"


def test_nics_and_vms_get_different_macs():
    macs = {manual_mac("lab1", f"lab1-node-{v}", i) for v in range(50) for i in range(5)}
    assert len(macs) == 250


def test_assign_steps_past_taken_macs_deterministically():
    first = manual_mac("lab1", "vm", 1)
    macs = assign_macs("lab1", "vm", 3, taken={first.upper()})
    assert first not in macs and len(set(macs)) == 3
    assert macs[0] == manual_mac("lab1", "vm", 0)
    assert macs[1] == manual_mac("lab1", "vm", 1, attempt=1)
    assert macs == assign_macs("lab1", "vm", 3, taken={first})


@pytest.mark.parametrize("mac, manual", [
    ("00:50:56:3f:ff:ff", True), ("00:50:56:00:00:00", True), ("00:50:56:40:00:00", False),
    ("00:0c:29:5e:61:35", False), ("00:50:56:A1:0C:01", False), ("00:50:56:1A:0C:01", True),
])
def test_manual_range_boundaries(mac, manual):
    assert is_manual_mac(mac) is manual


def test_negative_nic_index_is_a_programming_error():
    with pytest.raises(ValueError):
        manual_mac("lab1", "vm", -1)


def test_the_vcenter_is_part_of_the_seed():
    # Two vCenters with the same lab names must not hand out the same MACs on a shared segment.
    one = manual_mac("lab1", "lab1-controller-1", 0, vcenter="dbed6e0c-bd88-4ef6-b594-21283e1c677f")
    other = manual_mac("lab1", "lab1-controller-1", 0, vcenter="0b5e7a34-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
    assert one != other and is_manual_mac(one) and is_manual_mac(other)
    assert one == manual_mac("lab1", "lab1-controller-1", 0, vcenter="DBED6E0C-BD88-4EF6-B594-21283E1C677F")
    assert assign_macs("lab1", "lab1-controller-1", 1, vcenter="dbed6e0c-bd88-4ef6-b594-21283e1c677f") == (one,)
