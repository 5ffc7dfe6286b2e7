"""Text → USB HID key events for ``VirtualMachine.PutUsbScanCodes`` (vSphere API 6.5+): no I/O.

A US keyboard layout, as the installer's console expects. ``usbHidCode`` is the HID usage
(keyboard page 0x07) shifted left by 16 with 7 in the low bits, the encoding govc's
``vm.keystrokes`` sends; shifted characters set the left Shift modifier. ``\\t`` is Tab,
``\\n`` Enter, ``\\b`` Backspace, ``\\x1b`` Esc.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.errors import VSphereError

_DIGITS = "1234567890"
_SHIFTED_DIGITS = "!@#$%^&*()"
_PUNCT = "-=[]\\;'`,./"
_PUNCT_USAGE = (0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38)
_PUNCT_SHIFTED = "_+{}|:\"~<>?"
_SPECIAL = {"\n": 0x28, "\x1b": 0x29, "\b": 0x2A, "\t": 0x2B, " ": 0x2C}


@dataclass(frozen=True)
class Key:
    """One key press: its HID usage and whether Shift is held."""

    usage: int
    shift: bool = False

    @property
    def hid_code(self) -> int:
        return (self.usage << 16) | 7


def keys_for(text: str) -> list[Key]:
    """The key presses that type ``text``; a character without a key on a US keyboard is refused."""
    keys = []
    for ch in text:
        if "a" <= ch <= "z":
            keys.append(Key(0x04 + ord(ch) - ord("a")))
        elif "A" <= ch <= "Z":
            keys.append(Key(0x04 + ord(ch) - ord("A"), shift=True))
        elif ch in _DIGITS:
            keys.append(Key(0x1E + _DIGITS.index(ch)))
        elif ch in _SHIFTED_DIGITS:
            keys.append(Key(0x1E + _SHIFTED_DIGITS.index(ch), shift=True))
        elif ch in _PUNCT:
            keys.append(Key(_PUNCT_USAGE[_PUNCT.index(ch)]))
        elif ch in _PUNCT_SHIFTED:
            keys.append(Key(_PUNCT_USAGE[_PUNCT_SHIFTED.index(ch)], shift=True))
        elif ch in _SPECIAL:
            keys.append(Key(_SPECIAL[ch]))
        else:
            raise VSphereError(f"cannot type {ch!r} at a VM console (US keyboard, ASCII only)", obj="console",
                               fix="use ASCII letters, digits and punctuation in the master's boot settings")
    return keys
