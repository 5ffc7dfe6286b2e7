"""Every sentence fuelbot says in reply to snapshot, snapshots, rollback and approve."""
from __future__ import annotations

from typing import Sequence

from commands.echo import echo
from core.buttons import Button, ButtonAction
from core.mrkdwn import channel_ref, moment, who
from core.sizes import say_size
from jobs import approval_notices
from store.enums import SnapshotState
from store.models import Approval


def bad_snapshot_name(value: str) -> str:
    return (f"{echo(value)} is not a snapshot name: up to 40 letters, digits, `.`, `-` and `_`, starting with a "
            "letter or digit, e.g. `before-upgrade`.")


def bad_approval_id(value: str) -> str:
    return f"{echo(value)} is not a request number; it is the number on the request's Approve button, e.g. `4`."


def waiting_for_second_person(approval: Approval) -> str:
    return (f"*{approval.lab}* is shared: your {approval_notices.what(approval)} (request #{approval.id}) waits for "
            f"another person with the *{approval.required_role}* role, asked for in {channel_ref(approval.channel)}. "
            f"It expires {moment(approval.expires_at)}.")


# --- snapshot, snapshots ------------------------------------------------------------------------

def snapshot_exists(*, lab: str, name: str, ago: str, by: str) -> str:
    return (f"*{lab}* already has a snapshot set `{name}` (taken {ago} by {who(by)}). Pick another name, or roll "
            f"back to it with `/fuel rollback {lab} {name}`.")



def snapshot_line(*, name: str, state: SnapshotState, ago: str, by: str, vms: int, master: bool,
                  size_bytes: int | None, trigger: str | None, job_id: int | None, job_ended: bool) -> str:
    what = f"{vms} VM{'s' if vms != 1 else ''}" + (" incl. the Fuel master" if master else "")
    auto = f" · automatic, before {trigger.replace('_', '-')}" if trigger else ""
    status = {SnapshotState.READY: "", SnapshotState.CREATING: f" · ⏳ being taken (job #{job_id})",
              SnapshotState.FAILED: f" · ⚠️ failed (job #{job_id}); cannot be rolled back to"}[state]
    if state is SnapshotState.CREATING and job_ended:
        status = f" · ⚠️ incomplete: job #{job_id} ended before it was finished; cannot be rolled back to"
    size = say_size(size_bytes) if size_bytes is not None else "size unknown"
    return f"• `{name}` · {ago} by {who(by)} · {what} · {size}{auto}{status}"


def snapshots_overview(lab: str, lines: Sequence[str]) -> str:
    if not lines:
        return f"*{lab}* has no snapshot sets yet: `/fuel snapshot {lab} [name]` takes one."
    return "\n".join([f"Snapshot sets of *{lab}*, newest first:", *lines])


# --- rollback ------------------------------------------------------------------------------------

def no_such_snapshot(*, lab: str, name: str, names: Sequence[str]) -> str:
    if not names:
        return f"*{lab}* has no snapshot set {echo(name)}; it has none yet: `/fuel snapshot {lab} [name]` takes one."
    shown = ", ".join(f"`{n}`" for n in names[:10])
    return f"*{lab}* has no snapshot set {echo(name)}. Its sets: {shown} (`/fuel snapshots {lab}`)."


def snapshot_not_ready(*, lab: str, name: str, state: SnapshotState, job_id: int | None, job_ended: bool) -> str:
    if state is SnapshotState.CREATING and not job_ended:
        return f"Snapshot set `{name}` of *{lab}* is still being taken (job #{job_id}); roll back once it is done."
    return (f"Snapshot set `{name}` of *{lab}* was not finished (job #{job_id}), so it cannot be rolled back to. "
            f"`/fuel snapshots {lab}` lists the sets.")


def vms_changed(*, lab: str, name: str, added: Sequence[str], removed: Sequence[str]) -> str:
    parts = ([f"added since: {', '.join(f'`{n}`' for n in added)}"] if added else []) + \
            ([f"gone since: {', '.join(f'`{n}`' for n in removed)}"] if removed else [])
    return (f"*{lab}*'s VMs changed since `{name}` was taken ({'; '.join(parts)}). A rollback would leave the lab half "
            "old and half new, so nothing was reverted: take a new snapshot set, or put the lab back as it was.")


def rollback_prompt(*, approval: Approval, ago: str, by: str, nodes: int, master: str | None) -> str:
    vms = f"{nodes} node VM{'s' if nodes != 1 else ''}" + (f" and the Fuel master `{master}`" if master else "")
    shared = (f" *{approval.lab}* is shared: after you confirm, another person with the *{approval.required_role}* "
              "role must approve it." if approval.second_person else "")
    return (f"Rolling back *{approval.lab}* to `{approval.params['snapshot']}` (taken {ago} by {who(by)}) reverts {vms}, "
            "restores their power states and checks that Fuel sees the environment as it was. Everything changed "
            f"since is lost. Confirm with the button (request #{approval.id}, until {moment(approval.expires_at)}).{shared}")


def rollback_button(approval: Approval) -> Button:
    lab, name = approval.lab, approval.params["snapshot"]
    return Button(ButtonAction.APPROVE_REQUEST, f"Roll back {lab} to {name}", str(approval.id), style="danger",
                  confirm=f"Revert every VM of {lab} and its Fuel master to {name}? What changed since is lost.")


# --- approve -------------------------------------------------------------------------------------

def no_such_request(approval_id: int) -> str:
    return f"There is no request #{approval_id}; it is the number on a request's button."


def already_approved(approval: Approval) -> str:
    return (f"Request #{approval.id} ({approval_notices.what(approval)}) was already approved by "
            f"{who(approval.decided_by or '')}: job #{approval.job_id}.")


def request_expired(approval: Approval) -> str:
    return (f"Request #{approval.id} ({approval_notices.what(approval)}) expired {moment(approval.expires_at)} "
            "unapproved; ask again if it is still wanted.")


def cannot_approve_own(approval: Approval) -> str:
    return (f"You asked for request #{approval.id} ({approval_notices.what(approval)}): *{approval.lab}* is shared, "
            f"so another person with the *{approval.required_role}* role must approve it.")


def not_yours_to_confirm(approval: Approval) -> str:
    return (f"Request #{approval.id} ({approval_notices.what(approval)}) is {who(approval.requester)}'s to confirm; "
            "only a shared lab's requests are approved by someone else, once confirmed.")


def approved(approval: Approval, *, job_id: int, by_requester: bool) -> str:
    how = "Confirmed" if by_requester else f"Approved {who(approval.requester)}'s request"
    return f"{how}: the {approval_notices.what(approval)} is queued as job *#{job_id}*. Follow it in the thread below."
