"""PropertyCollector access: bulk reads through a ContainerView, and deadline-bound watches.

Reading a property as a plain attribute costs one round trip per object and property, and on
vcsim an unset property (``vm.snapshot``...) crashes the connection. Every read in this package
goes through :func:`retrieve` with explicit property paths; unset properties are simply absent
from the returned dict.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyVmomi import vim, vmodl

from core.errors import VSphereError
from core.mrkdwn import inert
from integrations.vsphere.session import Session

PC = vmodl.query.PropertyCollector
_MAX_WAIT_SLICE = 10  # seconds per WaitForUpdatesEx, so deadlines are checked often enough


@dataclass(frozen=True)
class Row:
    """One object and the properties that were set on it."""

    obj: Any
    props: Mapping[str, Any]

    def get(self, path: str, default: Any = None) -> Any:
        return self.props.get(path, default)


def retrieve(session: Session, paths: Mapping[type, Sequence[str]], *, root: Any = None,
             objects: Sequence[Any] = (), recursive: bool = True) -> list[Row]:
    """Read ``paths`` (type → property paths) for every object under ``root`` or for ``objects``.

    With ``root`` (default: the root folder) a ContainerView selects the objects of those types
    (its direct children only when not ``recursive``);
    with ``objects`` the given morefs are read directly. One RetrievePropertiesEx round trip (plus
    continuations on a real vCenter, which pages results).
    """
    prop_set = [PC.PropertySpec(type=t, pathSet=list(p)) for t, p in paths.items()]
    content = session.content
    view = None
    if objects:
        object_set = [PC.ObjectSpec(obj=o, skip=False) for o in objects]
    else:
        view = content.viewManager.CreateContainerView(root or content.rootFolder, list(paths), recursive)
        object_set = [PC.ObjectSpec(obj=view, skip=True,
                                    selectSet=[PC.TraversalSpec(type=vim.view.ContainerView, path="view")])]
    try:
        collector = content.propertyCollector
        result = collector.RetrievePropertiesEx([PC.FilterSpec(objectSet=object_set, propSet=prop_set)],
                                                PC.RetrieveOptions())
        rows: list[Row] = []
        while result is not None:
            # vCenter's names and notes end in Slack messages: none may carry a mrkdwn token
            rows.extend(Row(o.obj, {p.name: inert(p.val) if isinstance(p.val, str) else p.val
                                    for p in o.propSet or ()}) for o in result.objects)
            result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return rows
    finally:
        if view is not None:
            view.Destroy()


def wait_for(session: Session, obj: Any, obj_type: type, paths: Sequence[str],
             done: Callable[[Mapping[str, Any]], bool], *, timeout: float, what: str) -> Mapping[str, Any]:
    """Watch ``paths`` of ``obj`` until ``done(values)`` holds; raise a retryable error at the deadline.

    Uses a private PropertyCollector: the default one is shared by every session, and a
    WaitForUpdatesEx on it loses updates whenever anyone else waits on it at the same time.
    """
    deadline = time.monotonic() + timeout
    collector = session.content.propertyCollector.CreatePropertyCollector()
    try:
        collector.CreateFilter(PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj)],
                                             propSet=[PC.PropertySpec(type=obj_type, pathSet=list(paths))]),
                               partialUpdates=False)
        values: dict[str, Any] = {}
        version = ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise VSphereError(f"gave up after {timeout:.0f} s waiting for {what}", obj=str(obj._moId),
                                   fix="check the vSphere client for a stuck task, then retry", retryable=True)
            update = collector.WaitForUpdatesEx(
                version, PC.WaitOptions(maxWaitSeconds=max(1, min(int(remaining), _MAX_WAIT_SLICE))))
            if update is not None:
                version = update.version
                for filter_update in update.filterSet:
                    for object_update in filter_update.objectSet:
                        for change in object_update.changeSet:
                            values[change.name] = None if change.op == "remove" else change.val
            if done(values):
                return values
    finally:
        collector.Destroy()


def wait_for_task(session: Session, task: vim.Task, *, timeout: float, what: str) -> Any:
    """Wait for ``task`` to finish; return its result or raise its fault (a vmodl.MethodFault)."""
    values = wait_for(session, task, vim.Task, ["info.state", "info.error", "info.result"],
                      lambda v: v.get("info.state") in ("success", "error"), timeout=timeout, what=what)
    if values["info.state"] == "error":
        error = values.get("info.error")
        raise error if isinstance(error, BaseException) else VSphereError(f"{what} failed", obj=str(task._moId))
    return values.get("info.result")


def retrieve_one(session: Session, obj: Any, obj_type: type, path: str) -> Any:
    """One property of one object (None when unset), still through the PropertyCollector."""
    rows = retrieve(session, {obj_type: [path]}, objects=[obj])
    return rows[0].get(path) if rows else None
