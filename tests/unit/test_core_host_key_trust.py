"""Trusting a master's new SSH host key: the fingerprint typed, both of ssh-keygen's spellings, and the verdict."""
from __future__ import annotations

import base64

import pytest

from core.host_key_trust import Fingerprint, HostKey, NotAFingerprint, Verdict, judge

# An RSA host key's blob and its fingerprints as `ssh-keygen -lf` prints them: OpenSSH 6.8+ (SHA256)
# and CentOS 6's OpenSSH 5.3 (MD5); computed here from the blob with the hash each is defined by.
BLOB = base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + bytes(range(256))).decode()
KEY = HostKey("ssh-rsa", BLOB)
OTHER = HostKey("ssh-rsa", base64.b64encode(b"\x00\x00\x00\x07ssh-rsa" + bytes(range(255, -1, -1))).decode())


def test_fingerprints_are_spelled_as_ssh_keygen_prints_them() -> None:
    import hashlib
    raw = base64.b64decode(BLOB)
    sha = base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
    md5 = hashlib.md5(raw).hexdigest()
    assert KEY.sha256 == f"SHA256:{sha}" and len(sha) == 43
    assert KEY.md5 == "MD5:" + ":".join(md5[i:i + 2] for i in range(0, 32, 2))
    assert KEY.described == f"ssh-rsa SHA256:{sha} ({KEY.md5})"


@pytest.mark.parametrize("typed", [KEY.sha256, KEY.sha256.removeprefix("SHA256:"), KEY.sha256 + "=",
                                   "sha256:" + KEY.sha256.removeprefix("SHA256:"), f"  {KEY.sha256} ",
                                   KEY.md5, KEY.md5.removeprefix("MD5:"), KEY.md5.upper().replace("MD5:", "md5:")],
                         ids=["sha256", "no prefix", "padded", "lowercase prefix", "spaces", "md5", "bare md5",
                              "uppercase md5"])
def test_a_fingerprint_typed_either_way_matches_its_key_only(typed: str) -> None:
    fingerprint = Fingerprint.parse(typed)
    assert fingerprint.matches(KEY) and not fingerprint.matches(OTHER)
    assert str(fingerprint) in (KEY.sha256, KEY.md5)


def test_base64_is_compared_as_typed_not_folded() -> None:
    swapped = KEY.sha256[:7] + KEY.sha256[7:].swapcase()
    assert swapped != KEY.sha256 and not Fingerprint.parse(swapped).matches(KEY)


@pytest.mark.parametrize(("typed", "why"), [
    ("", "a fingerprint is `SHA256:`"),
    ("yes", "a fingerprint is `SHA256:`"),
    ("SHA256:abc", "a SHA256 fingerprint is `SHA256:` and 43 base64 characters"),
    (KEY.sha256[:-1], "a SHA256 fingerprint"),
    (KEY.sha256 + "AA", "a SHA256 fingerprint"),
    (KEY.sha256[:-1] + "-", "a SHA256 fingerprint"),                  # not base64
    (KEY.md5[:-3], "an MD5 fingerprint is 16 hex pairs"),              # 15 pairs
    (KEY.md5[:-1] + "g", "an MD5 fingerprint is 16 hex pairs"),
    ("MD5:" + KEY.sha256, "an MD5 fingerprint is 16 hex pairs"),
])
def test_what_is_not_a_fingerprint_says_what_one_looks_like(typed: str, why: str) -> None:
    with pytest.raises(NotAFingerprint) as refused:
        Fingerprint.parse(typed)
    assert str(refused.value).startswith(why)


@pytest.mark.parametrize(("recorded", "presented", "typed", "verdict"), [
    (None, KEY, KEY.sha256, Verdict.NOTHING_RECORDED),        # the next contact records it anyway
    (None, KEY, OTHER.sha256, Verdict.NOTHING_RECORDED),
    (KEY, KEY, KEY.sha256, Verdict.UNCHANGED),
    (KEY, KEY, OTHER.sha256, Verdict.UNCHANGED),              # nothing to trust, whatever was typed
    (OTHER, KEY, KEY.sha256, Verdict.TRUSTED),
    (OTHER, KEY, KEY.md5, Verdict.TRUSTED),
    (OTHER, KEY, OTHER.sha256, Verdict.MISMATCH),             # the old key's fingerprint trusts nothing
    (OTHER, KEY, OTHER.md5, Verdict.MISMATCH),
    (HostKey("ssh-dss", OTHER.key_base64), HostKey("ssh-rsa", OTHER.key_base64), OTHER.sha256, Verdict.TRUSTED),
], ids=["none recorded", "none recorded, wrong", "unchanged", "unchanged, wrong", "sha256", "md5",
        "old key's sha256", "old key's md5", "same blob, other type"])
def test_judge(recorded: HostKey | None, presented: HostKey, typed: str, verdict: Verdict) -> None:
    assert judge(recorded, presented, Fingerprint.parse(typed)) is verdict
