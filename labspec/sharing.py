"""The shared-lab fields of a spec: ``shared``, ``lease`` and ``snapshots``.

    shared: true                      # destroy and rollback wait for a second person's approval
    lease:
      on_expiry: power_off            # release (default) | power_off: the node VMs are powered off too
    snapshots:
      before: [scale_out, reset]      # take a whole-lab snapshot set first (default: never)
      keep: 3                         # automatic sets kept; the oldest are removed
"""
from __future__ import annotations

from labspec.model import LEASE_ON_EXPIRY, SNAPSHOT_BEFORE, LeasePolicy, SnapshotPolicy, draft
from labspec.section import Section

SHARING_FIELDS = ("shared", "lease", "snapshots")
MAX_KEEP = 30      # vSphere supports 32 snapshots in a chain; manual ones need room too


def read_sharing(top: Section) -> dict[str, object]:
    """The Lab fields these sections fill (None where a value could not be read)."""
    return {"shared": top.boolean("shared", default=False),
            "lease": _lease(top.section("lease", ("on_expiry",), required=False)),
            "snapshots": _snapshots(top.section("snapshots", ("before", "keep"), required=False))}


def _lease(section: Section | None) -> LeasePolicy | None:
    if section is None:
        return LeasePolicy()
    return draft(LeasePolicy, on_expiry=section.choice("on_expiry", LEASE_ON_EXPIRY, noun="expiry policy",
                                                       default="release"))


def _snapshots(section: Section | None) -> SnapshotPolicy | None:
    if section is None:
        return SnapshotPolicy()
    return draft(SnapshotPolicy, before=section.texts("before", allowed=SNAPSHOT_BEFORE, noun="operation") or (),
                 keep=section.integer("keep", default=3, check=_keep_problem))


def _keep_problem(number: int) -> str | None:
    if 1 <= number <= MAX_KEEP:
        return None
    return f"{number} must be between 1 and {MAX_KEEP} (vSphere supports 32 snapshots per VM)"
