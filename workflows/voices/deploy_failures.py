"""How a deploy says it gave up: each failure a step can end in, worded once (the job's error and its
thread's last line), with the step it names and the fix it suggests."""
from __future__ import annotations

from typing import Any, Sequence

from core.errors import FuelError, StepFailed
from integrations.fuel.diagnosis import Diagnosis, NodeCause
from integrations.vsphere.preflight import Finding
from workflows.voices.diagnosis import cause_sentence, node_name
from workflows.voices.words import duration

PROMISCUOUS_HINT = ("Likely cause: port group `{pxe}` does not allow promiscuous mode (or a NIC sits on a port "
                    "group with the wrong VLAN). Fix: `/fuel preflight {lab} --fix`, then `/fuel deploy {lab}` "
                    "(it resumes; nothing is recreated).")
FUEL_MESSAGE_LIMIT = 600      # Fuel's messages can name every node; keep a reply readable


def preflight_blocked(blocking: Sequence[Finding]) -> StepFailed:
    first = blocking[0]
    return StepFailed(f"preflight found {len(blocking)} problem(s): {first}", step="preflight", hint=first.fix)


def master_too_small(name: str, memory_mb: int, minimum: int) -> StepFailed:
    return StepFailed(f"Fuel master VM `{name}` has {memory_mb} MB; the Fuel 6.0 installer needs at least "
                      f"{minimum} MB (the docker images fail to unpack below that). Give it more memory in vCenter.")


def master_silent(url: str, last_error: FuelError | None) -> FuelError:
    """The Fuel master never answered in time: its last error, as it was."""
    return last_error or FuelError(f"Fuel master at {url} did not answer in time", retryable=True)


def discovery_timed_out(missing: Sequence[str], *, within: float, pxe: str) -> StepFailed:
    return StepFailed(f"Fuel did not discover {', '.join(missing)} within {duration(within)}. Check in the VM "
                      f"console that it PXE-boots from `{pxe}` and that nothing else answers DHCP there.")


def no_environment_recorded() -> StepFailed:
    return StepFailed("No Fuel environment is recorded for this deploy; its environment step has not run.")


def networks_refused(message: str | None, source: str) -> StepFailed:
    return StepFailed(f"Fuel refused the network configuration: {message}. Fix the networks in {source}.")


def node_disappeared(node_id: int, vm: str) -> StepFailed:
    return StepFailed(f"node-{node_id} (`{vm}`) disappeared from Fuel.")


def node_elsewhere(node_id: int, vm: str, cluster_id: int) -> StepFailed:
    return StepFailed(f"node-{node_id} (`{vm}`) belongs to another environment (id {cluster_id}); "
                      "remove it there first.")


SILENT_NODES = "didn't return data"     # Nailgun 6.0's verify_networks_resp for nodes that sent nothing


def nodes_stayed_offline(nodes: Sequence[str], *, within: float, lab: str) -> StepFailed:
    return StepFailed(f"{', '.join(nodes)} stayed offline for {duration(within)}, so networks cannot be verified. "
                      f"Check in the VM console that they boot into Fuel's bootstrap from the PXE network, then "
                      f"`/fuel deploy {lab}` again (it resumes).", step="verify_networks")


def verification_failed(message: str | None, result: Any, *, pxe: str, lab: str,
                        nodes: Sequence[NodeCause] = (), offline: Sequence[str] = ()) -> StepFailed:
    """Fuel's message, each node's missing VLANs (by our VM name and Fuel's, as ``nodes`` know them), the fix.

    Promiscuous mode is blamed only when nodes answered without the VLANs, never for nodes that
    were offline or sent nothing.
    """
    if offline or SILENT_NODES in (message or ""):
        who = ", ".join(offline) if offline else "some nodes"
        hint = (f"Likely cause: {who} did not answer (offline or still booting), which says nothing about the "
                f"networks. Wait until `/fuel nodes {lab}` shows them online, then `/fuel deploy {lab}` (it resumes).")
        return StepFailed(f"Network verification failed: {message or 'no message'}\n{hint}", step="verify_networks",
                          hint=hint)
    hint = PROMISCUOUS_HINT.format(pxe=pxe, lab=lab)
    rows = result if isinstance(result, list) else []
    known = {str(n.id): node_name(n) for n in nodes}

    def name(row: dict[str, Any]) -> str:
        return known.get(str(row.get("uid")), f"node {row.get('name') or row.get('uid')}")

    parts = [f"{name(r)} {r.get('interface')} missing VLAN(s) "
             f"{', '.join(str(v) for v in r.get('absent_vlans', []))}" for r in rows[:5] if isinstance(r, dict)]
    details = (" (" + "; ".join(parts) + ")") if parts else ""
    return StepFailed(f"Network verification failed: {message or 'no message'}{details}\n{hint}",
                      step="verify_networks", hint=hint)


def deploy_refused(error: FuelError) -> StepFailed:
    return StepFailed(f"Fuel refused to deploy changes: {error}")


def prechecks_failed(message: str | None) -> StepFailed:
    return StepFailed(f"Fuel's pre-deployment checks failed: {message}", step="deploy_changes")


def deploy_failed(diagnosis: Diagnosis) -> StepFailed:
    """What Fuel says failed, on which node (our VM name and Fuel's), and why; Fuel's message capped."""
    text = cause_sentence(diagnosis)
    if len(text) > FUEL_MESSAGE_LIMIT:
        text = text[:FUEL_MESSAGE_LIMIT] + f"… ({len(text) - FUEL_MESSAGE_LIMIT} more characters on the job page)"
    return StepFailed(text, step="follow_deploy")
