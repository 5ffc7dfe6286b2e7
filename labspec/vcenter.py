"""The ``vcenter`` section: where a lab lives in vSphere and how fuelbot talks to vCenter safely.

Names follow what vCenter stores: an entity name is under 80 characters, and vCenter escapes
``/``, ``\\`` and ``%`` in names (vSphere API reference, ``Folder.CreateFolder``), so fuelbot
accepts only ``[A-Za-z0-9._-]`` and never has to guess an escaped form. A lab's VMs live in its
own VM folder (``fuelbot/<lab>`` unless ``folder`` says otherwise), optionally in a resource
pool. Plain ``http://`` sends the vCenter password in clear text: it is refused unless the host
is this machine (the embedded simulator) or ``allow_http: true`` says so; ``thumbprint`` pins
the vCenter certificate by its SHA-256 (or SHA-1) fingerprint.
"""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from labspec.model import VCenterTarget, draft
from labspec.problems import ProblemLog
from labspec.section import Section

VCENTER_FIELDS = ("url", "user", "password", "datacenter", "cluster", "datastore", "insecure", "ca_file",
                  "folder", "resource_pool", "thumbprint", "allow_http")
MAX_NAME = 79                       # vCenter: "a non-empty string of less than 80 characters"
_NAME = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_NAME}}}")
_URL = re.compile(r"https?://[^/\s:]+(:\d{1,5})?(/\S*)?")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_FINGERPRINT_BYTES = {20: "SHA-1", 32: "SHA-256"}
DEFAULT_FOLDER = "fuelbot/{lab}"


def name_problem(text: str) -> str | None:
    """What is wrong with a vSphere entity name fuelbot creates (VM, folder), or None."""
    if _NAME.fullmatch(text):
        return None
    if len(text) > MAX_NAME:
        return f"is {len(text)} characters long; vCenter names must be under 80"
    bad = "".join(dict.fromkeys(c for c in text if not _NAME.fullmatch(c)))
    return (f"contains {bad!r}: use letters, digits, '.', '_' and '-' only (vCenter escapes '/', '\\' "
            "and '%' in names, and other characters differ between the API and the vSphere client)")


def path_problem(text: str) -> str | None:
    """What is wrong with an inventory path such as ``fuelbot/lab1``, or None."""
    if text.startswith("/") or text.endswith("/"):
        return "must not start or end with '/' (it is relative, e.g. fuelbot/lab1)"
    for part in text.split("/"):
        if problem := name_problem(part):
            return f"part {part!r} {problem}"
    return None


def url_problem(text: str) -> str | None:
    return None if _URL.fullmatch(text) else "is not an http(s) URL (expected e.g. https://vc.example.com/sdk)"


def thumbprint_problem(text: str) -> str | None:
    digits = text.replace(":", "")
    if _HEX.fullmatch(digits) and len(digits) // 2 in _FINGERPRINT_BYTES and len(digits) % 2 == 0:
        return None
    return ("is not a certificate fingerprint (expected the SHA-256 fingerprint, 32 hex pairs such as "
            "AB:CD:…, as `openssl x509 -noout -fingerprint -sha256` prints it)")


def is_loopback(url: str) -> bool:
    """True when ``url`` points at this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_vcenter(section: Section | None, lab_name: str | None) -> VCenterTarget | None:
    """The ``vcenter`` section as a target; cross-field problems are logged by :func:`check`."""
    if section is None:
        return None
    folder = section.text("folder", required=False, check=path_problem)
    if folder is None and not section.has("folder") and lab_name:
        folder = DEFAULT_FOLDER.format(lab=lab_name)
    return draft(
        VCenterTarget,
        url=section.text("url", check=url_problem),
        user=section.text("user"),
        password=section.secret("password", variable="VCENTER_PASSWORD"),
        datacenter=section.text("datacenter"),
        cluster=section.text("cluster"),
        datastore=section.text("datastore"),
        insecure=section.boolean("insecure", default=False),
        ca_file=section.text("ca_file", required=False),
        folder=folder,
        resource_pool=section.text("resource_pool", required=False, check=path_problem),
        thumbprint=section.text("thumbprint", required=False, check=thumbprint_problem),
        allow_http=section.boolean("allow_http", default=False),
    )


def check(target: VCenterTarget | None, log: ProblemLog) -> None:
    """How the connection settings fit together: plain http, pinning, skipping verification."""
    if target is None or not target.url:
        return
    plain = target.url.startswith("http://")
    if plain and not target.allow_http and not is_loopback(target.url):
        log.add("vcenter.url", "plain http:// sends the vCenter password unencrypted; use https://, or set "
                               "vcenter.allow_http: true for a lab vCenter on a network you trust")
    if target.thumbprint and plain:
        log.add("vcenter.thumbprint", "a thumbprint pins a TLS certificate, but vcenter.url is http://")
    if target.thumbprint and target.insecure:
        log.add("vcenter.insecure", "insecure: true skips every certificate check; with vcenter.thumbprint "
                                    "set, leave insecure off (the pinned certificate is checked instead)")
