"""The one place where pyvmomi, socket, TLS and HTTP exceptions become :class:`VSphereError`.

Every public :class:`~integrations.vsphere.client.VSphereClient` method runs under
:func:`guarded`, so nothing but ``VSphereError`` (and genuine programming errors) leaves the
package. A ``VSphereError`` raised inside passes through unchanged.
"""
from __future__ import annotations

import functools
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.client import HTTPException
from typing import Any, Protocol, TypeVar
from xml.parsers.expat import ExpatError

from pyVmomi import vim, vmodl

from core.errors import VSphereError
from integrations.vsphere.transport import PIN_FIX, ThumbprintMismatch

LOGIN_FIX = "check VCENTER_USER / VCENTER_PASSWORD"
TLS_FIX = ("set vcenter.ca_file to the CA bundle that signed the vCenter certificate, "
           "or vcenter.insecure: true for a lab vCenter you trust")
REACH_FIX = "check VCENTER_URL and that vCenter is up and reachable from fuelbot"


class _HasEndpoint(Protocol):
    url: str
    user: str


def fault_name(fault: BaseException) -> str:
    """``vim.fault.DuplicateName`` for pyvmomi faults (their class names are dotted), else the class name."""
    return type(fault).__name__


def translate(exc: BaseException, *, url: str, user: str, action: str) -> VSphereError:
    """Turn a library exception raised while doing ``action`` against ``url`` into a VSphereError."""
    if isinstance(exc, VSphereError):
        return exc
    if isinstance(exc, vim.fault.InvalidLogin):
        return VSphereError(f"vCenter at {url} refused the login for user {user}", obj=url, fix=LOGIN_FIX)
    if isinstance(exc, vim.fault.NotAuthenticated):
        return VSphereError(f"vCenter at {url} dropped the session of {user} and refused a new login "
                            f"while {action}", obj=url, fix=LOGIN_FIX, retryable=True)
    if isinstance(exc, ThumbprintMismatch):
        return VSphereError(f"vCenter at {url} presented a certificate that is not the pinned one: {exc}",
                            obj=url, fix=PIN_FIX)
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = getattr(exc, "verify_message", None) or exc
        return VSphereError(f"TLS verification of vCenter at {url} failed: {reason}",
                            obj=url, fix=TLS_FIX)
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or exc
        return VSphereError(f"TLS handshake with vCenter at {url} failed ({reason}); "
                            f"is the URL's scheme (http/https) right?", obj=url, fix=TLS_FIX)
    if isinstance(exc, vmodl.MethodFault):
        message = getattr(exc, "msg", None) or ""
        return VSphereError(f"vCenter at {url} refused {action}: {fault_name(exc)} {message}".rstrip(),
                            obj=_fault_object(exc) or url)
    if isinstance(exc, (OSError, HTTPException, ExpatError)):
        return VSphereError(f"vCenter at {url} is unreachable while {action}: {type(exc).__name__}: {exc}",
                            obj=url, fix=REACH_FIX, retryable=True)
    raise exc


def _fault_object(fault: vmodl.MethodFault) -> str | None:
    for attr in ("name", "obj", "object"):
        value = getattr(fault, attr, None)
        if isinstance(value, str) and value:
            return value
    return None


@contextmanager
def translated(endpoint: _HasEndpoint, action: str) -> Iterator[None]:
    """Run a block, converting library exceptions into VSphereError."""
    try:
        yield
    except VSphereError:
        raise
    except (vmodl.MethodFault, OSError, HTTPException, ExpatError) as exc:
        raise translate(exc, url=endpoint.url, user=endpoint.user, action=action) from exc


F = TypeVar("F", bound=Callable[..., Any])


def guarded(action: str) -> Callable[[F], F]:
    """Decorate a method of an object with ``url``/``user`` so it raises only VSphereError."""
    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: _HasEndpoint, *args: Any, **kwargs: Any) -> Any:
            with translated(self, action):
                return method(self, *args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate
