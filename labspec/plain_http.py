"""Plain ``http://`` carries a password in clear: where a spec may still send the Fuel master's.

Fuel 6.0 serves its API (Nailgun, Keystone and OSTF behind nginx) on plain http, port 8000, on the
master's admin (PXE) network, 10.20.0.2 by default; https on 8443 came with Fuel 7.0. So http is
accepted without a word where that network can be: this machine (loopback, the embedded lab) or
an address of a private range (RFC 1918, IPv6 unique-local or link-local), which a lab's admin
network is. A DNS name or a public address over http may carry the password across networks
nobody checked: the spec must say ``fuel.allow_http: true`` to send it there. The ``vcenter``
section has the same switch, stricter, since vCenter always speaks https.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from labspec.model import FuelMaster
from labspec.problems import ProblemLog


def on_lab_network(url: str) -> bool:
    """True when ``url``'s host is this machine or an address of a private (lab) range."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False             # a DNS name: where it points is decided elsewhere, and may change
    return address.is_loopback or address.is_link_local or (address.is_private and not address.is_global)


def check_fuel(master: FuelMaster | None, log: ProblemLog) -> None:
    """Plain http to a Fuel master off any lab network, without ``allow_http``, is a problem."""
    if master is None or not master.url or not master.url.startswith("http://"):
        return
    if not master.allow_http and not on_lab_network(master.url):
        log.add("fuel.url", "plain http:// would send the Fuel password unencrypted to a host that is not on a "
                            "lab network (loopback or a private address such as the admin network's "
                            "10.20.0.2); use its address, https://, or set fuel.allow_http: true for a "
                            "network you trust")
