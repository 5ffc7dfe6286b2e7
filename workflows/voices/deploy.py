"""The deploy's voice: what each step found or did (typed facts), the outcome, and the cancel.

The thread of ``/fuel deploy lab1`` is written here and nowhere else; the steps in
``workflows/deploy_*.py`` only say what happened, in the dataclasses of ``deploy_facts``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from jobs.states import JobState
from jobs.voice import Ending, JobHeader, Message, mark
from labspec.model import Environment
from workflows.voices.base import KindVoice, Line
from workflows.voices.deploy_facts import (DeployFact, HostsSkipped, PreflightChecked, VSphereReady, MasterVmCreated,
                                            MasterReachable, VmsCreated, NodesDiscovered, StrangerNode,
                                            DiscoveryWaiting, AllDiscovered, EnvironmentCreated, EnvironmentExists,
                                            SettingsMatch, SettingsLocked, SettingsApplied, NetworksMatch,
                                            NetworksLocked, NetworksConfigured, RolesAssigned, InterfacesMapped,
                                            VerificationSkipped, VerificationPassed, DeployAdopted, NothingToDeploy,
                                            NodesOffline, NodesOnline,
                                            DeployStarted, DeployProgress, FuelSilent, DeployFailed, Deployed,
                                            HealthSkipped, DeployHealthChecked)
from workflows.voices.diagnosis import FuelDiagnosed, diagnosis_reply, stage_failed
from workflows.voices.health import HealthFinished, HealthRunning, deploy_health_line, progress_line, rerun_button
from workflows.voices.master import SETUP as MASTER_SETUP, master_line
from workflows.voices.master_facts import (BootByHand, BootMenuMissed, BootTyped, IsoDetached, MasterSetupProgress,
                                           MasterStarting, MasterUp)
from workflows.voices.words import deploy_progress, duration, format_findings

# Lines that belong together are one message each, edited as each step adds its line (issue #16):
VSPHERE = "vsphere"          # preflight, then vSphere ready
# (MASTER_SETUP: the master's setup, ``voices.master``, then Fuel reachable, kept under it)
NODES = "discover"           # VMs created, discovery (its wait the live line)
ENVIRONMENT = "environment"  # environment, settings, networks, roles, interfaces, network verification
DEPLOY = "deploy"            # deploy started, its progress (the live line), deployed or failed, health skipped


@dataclass(frozen=True)
class DeployOutcome:
    """What the parent says when the deploy ends: the environment's shape, health, whether it deployed."""

    environment: Environment | None
    health: str | None
    deployed: bool
    failed_at: str | None = None    # what Fuel says failed ("provisioning"), where the step's title says less
    horizon_url: str | None = None  # where the cloud is, once deployed
    fuel_ui_url: str | None = None

    @property
    def where(self) -> str | None:
        """``Horizon: http://… · Fuel UI: http://…/#cluster/3/nodes`` once deployed."""
        if not self.deployed:
            return None
        parts = [f"{label}: {url}" for label, url in (("Horizon", self.horizon_url), ("Fuel UI", self.fuel_ui_url))
                 if url]
        return " · ".join(parts) or None


def _listing(networks: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{name} {cidr}" for name, cidr in networks)


def _settings(provisioning: str, syslog_host: str | None) -> str:
    return f"provisioning: {provisioning}" + (f", syslog {syslog_host}" if syslog_host else "")


def vsphere_line(fact: PreflightChecked | VSphereReady | MasterVmCreated | MasterReachable | VmsCreated
                 | HostsSkipped) -> str:
    match fact:
        case PreflightChecked(findings=findings, will_create=will_create):
            creatable = [f for f in findings if f.level == "fail" and f.obj in will_create]
            counts = {level: sum(1 for f in findings if f.level == level and f not in creatable)
                      for level in ("ok", "warn", "fail")}
            summary = f"🔎 Preflight: {counts['ok']} ok · {counts['warn']} warning(s) · {counts['fail']} failing"
            if will_create:
                summary += f" · {len(will_create)} port group(s) to create"
            return "\n".join([summary, *format_findings(findings, will_create=will_create)])
        case VSphereReady(pxe=pxe, standard=standard, changes=changes):
            head = "🧰 vSphere ready"
            if pxe is not None:
                head += f": port group `{pxe.name}` (VLAN {pxe.vlan}, promiscuous {'✓' if pxe.promiscuous else 'off'})"
            for spec in standard:
                head += f", `{spec.name}` on {spec.vswitch} (uplink {spec.uplink} ✓)"
            return "\n".join([head] + [f"   • {c.describe()}" for c in changes if c.changed])
        case MasterVmCreated(spec=m):
            return (f"💿 Fuel master VM `{m.name}` created: {m.cpus} vCPU · {m.memory_mb} MB · {m.disk_gb} GB · "
                    f"booting `{m.iso}`")
        case MasterReachable(release=release, url=url, user=user):
            return f"🔐 Fuel {release} master at {url} reachable; logged in as `{user}`."
        case VmsCreated(lab=lab, pxe=pxe, created=created, total=total, folder=folder):
            if not created:
                return f"🖥️ All {total} VM(s) of {lab} already exist and are powered on."
            where = f" in `{folder}`" if folder else ""
            return f"🖥️ VMs created and powered on{where} (network boot first):\n" + "\n".join(
                f"   • `{vm.spec.name}` {vm.spec.cpus} vCPU · {vm.spec.memory_mb} MB · {vm.spec.disk_gb} GB · "
                f"{len(vm.spec.nics)} NICs ({pxe} {vm.pxe_mac})" for vm in created)
        case HostsSkipped(hosts=hosts):
            return (f"⚠️ Host(s) skipped, the VMs went to the others: {'; '.join(hosts)}. Reconnect a host, or take "
                    "it out of maintenance mode, to use it again.")


def discovery_line(fact: NodesDiscovered | StrangerNode | DiscoveryWaiting | AllDiscovered) -> Line:
    match fact:
        case NodesDiscovered(nodes=nodes, after=after):
            # one line per poll, not per node: a 100-node lab must not flood its thread
            fresh = [f"node-{n.node_id} ⇐ `{n.vm}` ({n.mac})" for n in nodes]
            shown = fresh if len(fresh) <= 10 else fresh[:8] + [f"… and {len(fresh) - 8} more"]
            return Line.kept(f"📡 Discovered by Fuel after {duration(after)}: "
                             + ("\n   • ".join([""] + shown) if len(fresh) > 1 else shown[0]), NODES)
        case StrangerNode(node_id=node_id, mac=mac, lab=lab):
            return Line(f"👽 Unknown node on the PXE network: node-{node_id} ({mac}) matches none of "
                        f"{lab}'s VMs; it is left alone.")
        case DiscoveryWaiting(missing=missing, waited=waited):
            return Line(f"⏳ Waiting for Fuel to discover {', '.join(f'`{m}`' for m in missing)} "
                        f"({duration(waited)})", phase=NODES)
        case AllDiscovered(count=count, after=after):
            return Line.kept(f"📡 All {count} node(s) discovered ({duration(after)})", NODES)


def online_line(fact: NodesOffline | NodesOnline) -> Line:
    match fact:
        case NodesOffline(nodes=nodes, waited=waited):
            shown = ", ".join(nodes[:8]) + (f" and {len(nodes) - 8} more" if len(nodes) > 8 else "")
            return Line(f"⏳ Waiting for {shown} to come back online before verifying networks (Fuel lists them "
                        f"offline, as after a reset while they reboot) ({duration(waited)})", phase="online")
        case NodesOnline(count=count, after=after):
            return Line(f"🔌 All {count} node(s) online ({duration(after)})", phase="online", force=True)


def environment_line(fact: EnvironmentCreated | EnvironmentExists | SettingsMatch | SettingsLocked
                     | SettingsApplied | NetworksMatch | NetworksLocked | NetworksConfigured) -> str:
    match fact:
        case EnvironmentCreated(environment=env, cluster_id=cluster_id, vcenter_host=host):
            compute = f"vCenter {host}" if env.compute == "vcenter" else env.compute
            return (f"🏗️ Environment `{env.name}` created (id {cluster_id}): release {env.release}, "
                    f"{env.mode}, {compute}, {env.network_provider} {env.network_manager}")
        case EnvironmentExists(name=name, cluster_id=cluster_id, status=status):
            return f"🏗️ Environment `{name}` exists (id {cluster_id}, {status})."
        case SettingsMatch(provisioning=provisioning, syslog_host=syslog):
            return f"⚙️ Settings already match the spec ({_settings(provisioning, syslog)})."
        case SettingsLocked(changed=changed):
            return (f"⚠️ Settings differ from the spec ({', '.join(changed[:6])}) but Fuel 6.0 locks them once "
                    "an environment is deployed; left as they are.")
        case SettingsApplied(provisioning=provisioning, syslog_host=syslog, changed=count):
            return f"⚙️ Settings applied ({_settings(provisioning, syslog)}; {count} field(s) changed)."
        case NetworksMatch(networks=networks):
            return f"🌐 Networks already match the spec ({_listing(networks)})."
        case NetworksLocked():
            return "⚠️ Networks differ from the spec but Fuel 6.0 locks them once deployed; left as they are."
        case NetworksConfigured(networks=networks, manager=manager):
            return f"🌐 Networks configured: {_listing(networks)}; {manager}."


def nodes_line(fact: RolesAssigned | InterfacesMapped | VerificationSkipped | VerificationPassed) -> str:
    match fact:
        case RolesAssigned(assignments=assignments):
            return "🎭 Roles assigned: " + ", ".join(
                f"node-{node_id} `{vm}` → {'+'.join(roles)}" for node_id, vm, roles in assignments)
        case InterfacesMapped(nodes=nodes):
            return "🔌 Interfaces mapped by MAC:\n" + "\n".join(
                f"   • node-{node_id}: " + "; ".join(f"{i.name} ({i.mac}) {'+'.join(i.networks) or '—'}"
                                                    for i in interfaces)
                for node_id, interfaces in nodes)
        case VerificationSkipped(nodes=None):
            return "🔬 Network verification skipped: no new node to verify."
        case VerificationSkipped(nodes=count, environment=env):
            return ("🔬 Network verification skipped: Fuel 6.0 verifies networks only with two nodes or more "
                    f"({count} in `{env}`).")
        case VerificationPassed(networks=networks):
            return f"🔬 Network verification passed ({_listing(networks)})."


def deploy_line(fact: DeployAdopted | NothingToDeploy | DeployStarted | DeployProgress | FuelSilent
                | Deployed) -> Line:
    match fact:
        case DeployAdopted(task_id=task_id):
            return Line.kept(f"🚀 Following the deploy already running in Fuel (task #{task_id}).", DEPLOY)
        case NothingToDeploy(environment=env):
            return Line.kept(f"✅ Nothing to deploy: `{env}` is operational and matches the spec.", DEPLOY)
        case DeployStarted(task_id=task_id, nodes=nodes):
            return Line.kept(f"🚀 Deploy changes: Fuel task #{task_id} started for {nodes} node(s).", DEPLOY)
        case DeployProgress(percent=percent, subtasks=subtasks, nodes=nodes, elapsed=elapsed):
            return Line(deploy_progress(percent=percent, subtasks=subtasks, nodes=nodes, elapsed=elapsed),
                        phase=DEPLOY)
        case FuelSilent(error=error):
            return Line(f"⚠️ Fuel is not answering ({error}); still following the deploy, which goes on "
                        "on the master without us.", phase=DEPLOY, force=True)
        case Deployed(elapsed=elapsed):
            return Line.kept(f"✅ Deployed — 100% · {duration(elapsed)}", DEPLOY)


class DeployVoice(KindVoice[DeployFact]):
    """``/fuel deploy``: a line per step, one progress message per wait, the outcome as the parent."""

    def lines(self, fact: DeployFact) -> Sequence[Line]:
        match fact:
            case PreflightChecked() | VSphereReady():
                return [Line.kept(vsphere_line(fact), VSPHERE)]
            case MasterReachable():
                return [Line.kept(vsphere_line(fact), MASTER_SETUP)]
            case VmsCreated():
                return [Line.kept(vsphere_line(fact), NODES)]
            case MasterVmCreated() | HostsSkipped():
                return [Line(vsphere_line(fact))]
            case NodesDiscovered() | StrangerNode() | DiscoveryWaiting() | AllDiscovered():
                return [discovery_line(fact)]
            case NodesOffline() | NodesOnline():
                return [online_line(fact)]
            case (EnvironmentCreated() | EnvironmentExists() | SettingsMatch() | SettingsLocked() | SettingsApplied()
                  | NetworksMatch() | NetworksLocked() | NetworksConfigured()):
                return [Line.kept(environment_line(fact), ENVIRONMENT)]
            case RolesAssigned() | InterfacesMapped() | VerificationSkipped() | VerificationPassed():
                return [Line.kept(nodes_line(fact), ENVIRONMENT)]
            case HealthSkipped():
                return [Line.kept("🩺 Health check skipped (`--skip-health`).", DEPLOY)]
            case DeployHealthChecked(outcome=outcome, job_id=job_id):
                return [Line(deploy_health_line(outcome, job_id=job_id))]
            case HealthRunning() | HealthFinished():
                return [progress_line(fact)]
            case DeployFailed(diagnosis=diagnosis, job_id=job_id):
                return [Line.kept(f"❌ {stage_failed(diagnosis)}", DEPLOY),
                        Line(diagnosis_reply(FuelDiagnosed(diagnosis=diagnosis, job_id=job_id)))]
            case (BootTyped() | BootByHand() | BootMenuMissed() | MasterStarting() | MasterUp() | IsoDetached()
                  | MasterSetupProgress()):
                return [master_line(fact)]
            case _:
                return [deploy_line(fact)]

    def ended(self, job: JobHeader, ending: Ending, outcome: DeployOutcome) -> list[Line]:
        by = f"{job.byline} · {duration(ending.elapsed)}"
        if ending.state is JobState.SUCCEEDED:
            env = outcome.environment
            facts = (f" · {env.release} · {env.mode} · {'vCenter' if env.compute == 'vcenter' else env.compute} · "
                     f"{env.network_provider.replace('_', '-')}") if env else ""
            text = f"✅ *{job.lab}* deployed — {by}{facts}"
            if outcome.where:
                text += f"\n{outcome.where}"
            if outcome.health:
                text += f"\nHealth: {outcome.health}"
            return [Line.of_parent(Message(text, (rerun_button(job.lab),)))]
        verb = "cancelled" if ending.state is JobState.CANCELLED else "failed"
        where = outcome.failed_at if ending.state is JobState.FAILED and outcome.failed_at else ending.step_title.lower()
        parent = Message(f"{mark(ending.state)} *{job.lab}* {verb} at *{where}* — {by}"
                         + (f"\n{outcome.where}" if outcome.where else ""),
                         (rerun_button(job.lab),) if outcome.deployed else ())
        return [Line.of_parent(parent), *([Line(self.failure(ending.error))] if ending.error is not None else [])]

    def stopped(self, stop_task: int | None) -> str:
        """The cancel line: Fuel asked to stop a running deployment, or stopped at a safe point."""
        if stop_task is not None:
            return (f"🛑 Cancel: asked Fuel to stop the deployment (Fuel stop_deployment task #{stop_task}). "
                    "Nodes go back to discover; nothing was deleted.")
        return "🛑 Cancelled at a safe point; what was created so far is kept (see the thread)."
