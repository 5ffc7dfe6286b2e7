"""One logged-in vCenter session: TLS, login, transparent re-login, SOAP call counting, logout.

Managed-object references are bound to :class:`_SessionStub`, an outer stub that stays the same
for the life of the session while the pyvmomi stub underneath may be replaced by a re-login.
So morefs held by callers keep working after vCenter drops the session or restarts: there is
nothing to rebuild. The outer stub also counts every SOAP request, which benches and workflows
report as "vSphere calls".
"""
from __future__ import annotations

import ssl
import threading
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from xml.etree import ElementTree
from xml.parsers.expat import ExpatError
from typing import Any

from pyVmomi import SoapStubAdapter, vim, vmodl
from pyVmomi.SoapAdapter import StubAdapterBase
from pyVmomi.VmomiSupport import GetServiceVersions, versionIdMap

from core.errors import VSphereError
from core.redact import register_secret
from integrations.vsphere.transport import Endpoint, parse_endpoint, require_safe_scheme, ssl_context
from labspec.model import VCenterTarget

__all__ = ["Endpoint", "Session", "negotiate_version", "parse_endpoint", "ssl_context"]

# Methods that only read (or create session-private, disposable objects): repeating one after a
# dropped connection cannot change vCenter twice. A CreateVM_Task cut off mid-flight may have run.
_SAFE_TO_REPEAT = frozenset({
    "Fetch", "RetrieveServiceContent", "RetrievePropertiesEx", "ContinueRetrievePropertiesEx",
    "RetrieveProperties", "RetrieveContents", "CurrentTime", "CreateContainerView", "DestroyView",
    "CreatePropertyCollector", "DestroyPropertyCollector", "CreateFilter", "WaitForUpdatesEx",
    "QueryOptions", "FindByInventoryPath", "FindChild", "SessionIsActive",
})
_NO_RELOGIN = frozenset({"Login", "Logout", "RetrieveServiceContent"})
_PLACEHOLDER_VERSION = "vim.version.version11"   # replaced by the negotiated one at login


class Session:
    """A logged-in session; thread-safe; use :meth:`close` to log out."""

    def __init__(self, target: VCenterTarget, *, timeout: float = 60.0) -> None:
        register_secret(target.password)
        self.target = target
        self.endpoint = parse_endpoint(target.url)
        require_safe_scheme(target)
        self.url = target.url
        self.user = target.user
        self._timeout = timeout
        self._context = ssl_context(target) if self.endpoint.scheme == "https" else None
        self._login_lock = threading.Lock()
        self._count_lock = threading.Lock()  # separate: a re-login counts its own calls
        self._calls = 0
        self._generation = 0
        self._inner: Any = None
        self._stub = _SessionStub(self)
        self.content: Any = None
        self.service_instance = vim.ServiceInstance("ServiceInstance", self._stub)

    @property
    def calls(self) -> int:
        """SOAP requests sent so far, logins included."""
        return self._calls

    @property
    def logged_in(self) -> bool:
        """True between :meth:`login` and :meth:`close`."""
        return self._inner is not None

    @property
    def vcenter_uuid(self) -> str:
        """The vCenter's instance UUID (``about.instanceUuid``), the same for every session to it."""
        return str(self.content.about.instanceUuid or "") if self.content is not None else ""

    @property
    def generation(self) -> int:
        """Incremented by every (re-)login; caches keyed on it go stale after a re-login."""
        return self._generation

    def login(self) -> None:
        """Open a fresh connection and log in (also used to re-login)."""
        self._inner = self._new_inner_stub()
        self._stub.adopt(self._inner)
        if self.content is None:
            self.content = self.service_instance.RetrieveContent()
        self.content.sessionManager.Login(self.target.user, self.target.password)
        self._generation += 1

    def relogin(self, seen_generation: int) -> None:
        """Log in again unless another thread already did since ``seen_generation``."""
        with self._login_lock:
            if self._generation == seen_generation:
                self.login()

    def close(self) -> None:
        """Log out (best effort: the session may already be gone) and drop pooled connections."""
        if self._inner is None:
            return
        try:
            self.content.sessionManager.Logout()
        except (vmodl.MethodFault, OSError, HTTPException, ExpatError):
            pass  # the session or the server is already gone: nothing left to log out of
        finally:
            inner, self._inner = self._inner, None
            inner.DropConnections()

    def count_call(self) -> None:
        with self._count_lock:
            self._calls += 1

    def inner_stub(self) -> Any:
        if self._inner is None:
            raise VSphereError(f"the session to vCenter at {self.url} is closed", obj=self.url,
                               fix="open a new VSphereClient")
        return self._inner

    def _new_inner_stub(self) -> Any:
        version = negotiate_version(self.endpoint, self._context, timeout=self._timeout)
        # pyvmomi's convention: a negative port means plain http.
        port = self.endpoint.port if self.endpoint.scheme == "https" else -self.endpoint.port
        return SoapStubAdapter(host=self.endpoint.host, port=port, path=self.endpoint.path, version=version,
                               sslContext=self._context, httpConnectionTimeout=self._timeout)


def negotiate_version(endpoint: Endpoint, context: ssl.SSLContext | None, *, timeout: float) -> str:
    """The newest pyvmomi API version the server lists in ``vimServiceVersions.xml``.

    pyVim's SmartStubAdapter cannot probe plain-http servers (it hands a negative port to
    http.client), so fuelbot reads the document itself.
    """
    if endpoint.scheme == "https":
        conn: HTTPConnection = HTTPSConnection(endpoint.host, endpoint.port, timeout=timeout, context=context)
    else:
        conn = HTTPConnection(endpoint.host, endpoint.port, timeout=timeout)
    try:
        conn.request("GET", endpoint.path + "/vimServiceVersions.xml")
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    offered: set[str] = set()
    if response.status == 200:
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            root = None
        for namespace in root.iter("namespace") if root is not None else ():
            if (namespace.findtext("name") or "") == "urn:vim25":
                offered.update(v.text or "" for v in namespace.iter("version"))
    for version in GetServiceVersions("vim25"):
        if versionIdMap.get(version) in offered:
            return version
    raise VSphereError(f"{endpoint.url} is down or is not a vCenter SDK endpoint (HTTP {response.status}, "
                       f"API versions offered: {sorted(offered) or 'none'})", obj=endpoint.url,
                       fix="check VCENTER_URL (it ends in /sdk)", retryable=response.status >= 500)


class _SessionStub(StubAdapterBase):
    """The stub every moref of a session is bound to: counts calls, re-logins once, retries reads."""

    def __init__(self, session: Session) -> None:
        StubAdapterBase.__init__(self, version=_PLACEHOLDER_VERSION)
        self._session = session

    def adopt(self, inner: Any) -> None:
        """Speak the API version ``inner`` negotiated; responses are deserialized with it."""
        # Assigned directly: ComputeVersionInfo refuses to step down from the placeholder.
        self.version = inner.version
        self.versionId = inner.versionId

    def InvokeMethod(self, mo: Any, info: Any, args: Any) -> Any:  # noqa: N802 (pyvmomi's interface)
        for attempt in (1, 2):
            inner = self._session.inner_stub()
            generation = self._session.generation
            self._session.count_call()
            try:
                status, result = inner.InvokeMethod(mo, info, args, self)
            except (OSError, HTTPException):
                # pyvmomi already dropped its pooled connections; a read is safe to send once more.
                if attempt == 1 and info.wsdlName in _SAFE_TO_REPEAT:
                    continue
                raise
            if status == 200:
                return result
            if (attempt == 1 and isinstance(result, vim.fault.NotAuthenticated)
                    and info.wsdlName not in _NO_RELOGIN):
                self._session.relogin(generation)
                continue
            raise result
        raise AssertionError("unreachable: the second attempt returns or raises")
