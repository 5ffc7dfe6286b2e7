"""Sessions kept open, one per vCenter and account, for work that comes back every minute.

The discovery watch looks at every lab every minute in every replica; a login and a logout each
time is load a shared vCenter does not need (and fills its session list and event log). A
``VSphereSessions`` logs in once per (URL, user, TLS settings) and keeps one client per lab
target on that session, with what it resolved (datacenter, cluster, datastore): closing such a
client leaves it and its session open. A session vCenter dropped logs in again by itself (see
``session``); ``close`` logs every session out, after which the clients refuse work.
"""
from __future__ import annotations

import hashlib
import threading

from integrations.vsphere.client import VSphereClient
from integrations.vsphere.faults import translated
from integrations.vsphere.session import Session
from labspec.model import VCenterTarget

_Key = tuple[str, str, str, bool, str, str]


def _key(target: VCenterTarget) -> _Key:
    secret = hashlib.sha256(target.password.encode()).hexdigest()   # a password change is a new session
    return (target.url, target.user, secret, target.insecure, target.ca_file or "", target.thumbprint or "")


class VSphereSessions:
    """A pool of logged-in sessions; thread-safe; ``close`` when the process stops."""

    def __init__(self, *, timeout: float = 60.0) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sessions: dict[_Key, Session] = {}
        self._clients: dict[VCenterTarget, VSphereClient] = {}

    def client(self, target: VCenterTarget) -> VSphereClient:
        """The kept client of ``target``, on the kept session of its vCenter (logged in on first use)."""
        key = _key(target)
        with self._lock:
            client = self._clients.get(target)
            if client is not None:
                return client
            session = self._sessions.get(key)
            if session is None:
                session = Session(target, timeout=self._timeout)
                with translated(session, "logging in"):
                    session.login()
                self._sessions[key] = session
            client = VSphereClient(target, timeout=self._timeout, session=session)
            client.login()
            self._clients[target] = client
            return client

    def __len__(self) -> int:
        return len(self._sessions)

    def close(self) -> None:
        """Log every kept session out; safe to call twice."""
        with self._lock:
            sessions, self._sessions, self._clients = list(self._sessions.values()), {}, {}
        for session in sessions:
            session.close()
