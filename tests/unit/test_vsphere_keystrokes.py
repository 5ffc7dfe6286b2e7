"""Text → USB HID key events as govc vm.keystrokes sends them."""
from __future__ import annotations

import pytest

from core.errors import VSphereError
from integrations.vsphere.keystrokes import Key, keys_for


def test_letters_digits_and_the_keys_the_boot_menu_needs() -> None:
    assert keys_for("aZ0=\t\n\b .") == [Key(0x04), Key(0x1D, shift=True), Key(0x27), Key(0x2E), Key(0x2B),
                                         Key(0x28), Key(0x2A), Key(0x2C), Key(0x37)]
    assert Key(0x15).hid_code == 0x150007          # govc: "-c 0x15" writes an 'r', as 1376263


def test_shifted_symbols() -> None:
    assert keys_for("_:?!") == [Key(0x2D, True), Key(0x33, True), Key(0x38, True), Key(0x1E, True)]


def test_a_character_without_a_key_is_refused() -> None:
    with pytest.raises(VSphereError, match="cannot type 'é'"):
        keys_for("café")
