"""What workflows ask of vSphere and of a Fuel master: only the calls their steps make.

``VSphereClient``, ``FuelClient`` and ``FuelMasterSetup`` are the real implementations;
``tests/fakes/`` holds in-memory ones, and ``tests/integration/test_ports_contract.py`` runs the
same tests against both so the fakes stay honest. Every method raises nothing but
``VSphereError`` / ``FuelError`` / ``MasterError`` (``retryable`` says whether trying again can help).
"""
from __future__ import annotations

from typing import Any, BinaryIO, Callable, Collection, Literal, Mapping, Protocol, Sequence

from core.host_key_trust import Fingerprint, KeyTrust, RecordedHostKey
from integrations.fuel.enums import Mode, NetProvider
from integrations.fuel.install_watch import InstallStage
from integrations.fuel.logs import LogPage, LogSource
from integrations.fuel.master_backup import MasterBackup
from integrations.fuel.master_ntp import NtpState
from integrations.fuel.master_overview import DefaultLogins, FeatureGroups, MasterOverview
from integrations.fuel.master_outcome import Outcome
from integrations.fuel.models import Cluster, FuelVersion, Interface, Node, Notification, Release, Task
from integrations.fuel.testruns import TestRun, TestSet
from integrations.vsphere.adoption import Adoption
from integrations.vsphere.info import Change, DistributedPortGroupInfo, StandardPortGroupInfo, VMInfo
from integrations.vsphere.master_vm import MasterBoot
from integrations.vsphere.ownership import DestroyOutcome, OwnedVM, VMPlan
from integrations.vsphere.preflight import Finding
from integrations.vsphere.provision import ProvisionReport
from integrations.vsphere.snapshots import Reverted, SnapshotInfo
from labspec.model import Lab, VMSpec


class VSpherePort(Protocol):
    """A vCenter, seen from one lab's datacenter, cluster and datastore."""

    @property
    def vcenter_uuid(self) -> str:
        """The vCenter's own instance UUID (part of every MAC fuelbot assigns there)."""

    def preflight(self, lab: Lab) -> list[Finding]:
        """Every pitfall of the article checked for ``lab`` (levels ok, warn, fail)."""

    def distributed_portgroups(self) -> list[DistributedPortGroupInfo]: ...

    def standard_portgroups(self) -> list[StandardPortGroupInfo]: ...

    def fix_portgroups(self, lab: Lab) -> list[Change]:
        """Create or repair every port group ``lab`` declares; one ``Change`` each."""

    def vms(self) -> list[VMInfo]:
        """Every VM of the datacenter (whoever's)."""

    def lab_folder(self, lab: str) -> str:
        """The lab's VM folder path: the spec's ``vcenter.folder``, else ``fuelbot/<lab>``."""

    def lab_vms(self, lab: str) -> list[VMInfo]:
        """The VMs inside the lab's folder only (none before its first VM)."""

    def vm(self, name: str) -> VMInfo | None: ...

    def ensure_vm(self, spec: VMSpec, *, lab: str) -> VMInfo:
        """Create the VM (marked as ``lab``'s) unless ``lab`` already owns one by that name."""

    def plan_vms(self, specs: Sequence[VMSpec]) -> list[VMPlan]:
        """A fresh instance UUID per VM about to be created: record them, then ``provision``."""

    def provision(self, lab: Lab, plans: Mapping[str, VMPlan], *,
                  on_created: Callable[[OwnedVM], None] | None = None,
                  checkpoint: Callable[[], None] | None = None) -> ProvisionReport:
        """Make the lab's node VMs exist in its folder, boot-ordered (the pxe NIC first) and powered on.

        A VM of the folder counts as the lab's only with its planned instance UUID (another is
        refused); one the lab's owner marker names outside the folder is refused too. ``on_created``
        hears of each VM as soon as vCenter made it; ``checkpoint`` is called while tasks run. Hosts
        that cannot take the VMs are skipped and named; per-VM failures (a duplicate MAC, a refused
        power-on) are in the report, not raised.
        """

    def destroy_owned(self, lab: str, records: Sequence[OwnedVM]) -> list[DestroyOutcome]:
        """Delete each recorded VM that still matches its record (moref, name, instance UUID, owner
        marker) inside the lab's folder; one outcome per record: deleted, gone or refused (why)."""

    def adopt_vms(self, lab: str, names: Sequence[str], *, recorded: Collection[str]) -> list[Adoption]:
        """Move into the lab's folder the one VM per name that carries the lab's owner marker and whose
        moref is not in ``recorded``; one outcome per name that had a candidate."""

    def power_on(self, name: str) -> VMInfo: ...

    def power_off(self, name: str) -> VMInfo:
        """Power the VM off (already off is fine)."""

    def snapshots(self, vm: str) -> list[SnapshotInfo]:
        """Every snapshot of VM ``vm``, with the bytes each takes."""

    def create_snapshot(self, vm: str, *, name: str, description: str, memory: bool) -> SnapshotInfo:
        """Snapshot ``vm``; with ``memory`` a revert resumes it running."""

    def revert_snapshot(self, vm: str, snapshot: str, *, power_state: str) -> Reverted:
        """Revert ``vm`` to ``snapshot`` (a moref); vCenter leaves it in the snapshot's power state (off
        for one taken without memory); then bring it to ``power_state``, as it was when the set was taken."""

    def remove_snapshot(self, vm: str, snapshot: str) -> bool:
        """Delete ``snapshot`` of ``vm``; False when it is already gone."""

    def master_boot(self, name: str) -> MasterBoot:
        """The Fuel master VM's ISO and boot order; ``problems()`` says what a power-on would do wrong."""

    def detach_master_iso(self, name: str) -> bool:
        """ISO disconnected (now and at power-on), disk first; False when it already was."""

    def console_typing_supported(self) -> bool:
        """Whether this vCenter types at a VM's console (API 6.5+)."""

    def type_at_console(self, name: str, text: str) -> int:
        """Type ``text`` (``\\t`` Tab, ``\\n`` Enter) at a powered-on VM's console; the keys taken."""

    def close(self) -> None: ...


class MasterPort(Protocol):
    """A Fuel master's own host: its install seen from outside, root over SSH, admin through Keystone.

    Each ``ensure_…`` looks first and changes only what differs; ``Outcome.summary`` is safe to post.
    """

    @property
    def address(self) -> str:
        """``host:port`` of its sshd."""

    def install_stage(self) -> InstallStage:
        """How far an install (or a boot) has come; never raises."""

    def forget_host_key(self) -> bool:
        """Forget the recorded SSH host key (fuelbot is reinstalling the master); False when none."""

    def host_key(self) -> RecordedHostKey | None:
        """The SSH host key recorded for the master's sshd and when; None before the first contact."""

    def trust_host_key(self, typed: Fingerprint) -> KeyTrust:
        """Judge the key the master presents now (read without logging in) against ``typed`` and the record;
        replace the record when ``typed`` is the presented key's fingerprint (``core.host_key_trust``)."""

    def check_release(self) -> Outcome: ...

    def ensure_root_password(self) -> Outcome: ...

    def ensure_admin_password(self) -> Outcome: ...

    def feature_groups(self) -> FeatureGroups: ...

    def ensure_feature_groups(self) -> Outcome: ...

    def ntp_servers(self) -> NtpState: ...

    def ensure_ntp(self) -> Outcome: ...

    def sync_cobbler(self) -> Outcome: ...

    def default_logins(self) -> DefaultLogins: ...

    def overview(self) -> MasterOverview: ...

    def back_up(self) -> MasterBackup:
        """Run ``dockerctl backup`` as root; ``MasterError`` when it refuses (running tasks) or fails."""

    def backups(self) -> list[MasterBackup]:
        """The backup archives on the master, newest first."""

    def close(self) -> None: ...


class FuelPort(Protocol):
    """A Fuel 6.0 master's Nailgun and OSTF APIs, as one user."""

    @property
    def url(self) -> str: ...

    def version(self) -> FuelVersion: ...

    def releases(self) -> list[Release]: ...

    def find_release(self, name: str, version: str | None = None) -> Release: ...

    def find_cluster(self, name: str) -> Cluster | None: ...

    def cluster(self, cluster_id: int) -> Cluster: ...

    def create_cluster(self, *, name: str, release_id: int, mode: Mode | str,
                       net_provider: NetProvider | str = NetProvider.NOVA_NETWORK) -> Cluster: ...

    def delete_cluster(self, cluster_id: int) -> Task | None:
        """Start deleting the environment; it disappears when Fuel's task ends."""

    def attributes(self, cluster_id: int) -> dict[str, Any]: ...

    def update_attributes(self, cluster_id: int, editable: dict[str, Any]) -> dict[str, Any]: ...

    def network_configuration(self, cluster_id: int, provider: NetProvider | str) -> dict[str, Any]: ...

    def update_network_configuration(self, cluster_id: int, provider: NetProvider | str,
                                     config: dict[str, Any]) -> Task: ...

    def verify_networks(self, cluster_id: int, provider: NetProvider | str, config: dict[str, Any]) -> Task: ...

    def deploy_changes(self, cluster_id: int) -> Task: ...

    def stop_deployment(self, cluster_id: int) -> Task: ...

    def reset(self, cluster_id: int) -> Task: ...

    def nodes(self, cluster_id: int | None | Literal["unallocated"] = None) -> list[Node]: ...

    def assign_roles(self, cluster_id: int, roles: Mapping[int, Sequence[str]]) -> None: ...

    def assign_networks_by_mac(self, node_id: int,
                               networks_by_mac: Mapping[str, Sequence[str]]) -> list[Interface]: ...

    def tasks(self, cluster_id: int | None = None) -> list[Task]: ...

    def task(self, task_id: int) -> Task: ...

    def ostf_testsets(self, cluster_id: int) -> list[TestSet]: ...

    def start_testruns(self, cluster_id: int, testsets: list[str]) -> list[TestRun]: ...

    def last_testruns(self, cluster_id: int) -> list[TestRun]: ...

    def testrun(self, testrun_id: int) -> TestRun: ...

    def stop_testrun(self, testrun_id: int) -> TestRun | None: ...

    # -- what Fuel says: notifications, logs, the diagnostic snapshot ---------------------------
    def notifications(self) -> list[Notification]: ...

    def log_sources(self) -> list[LogSource]: ...

    def node_log_sources(self, node_id: int) -> list[LogSource]:
        """The node's log sources that have a file (FuelError 404 for an unknown node)."""

    def logs(self, source: str, *, node: int | None = None, level: str | None = None,
             max_entries: int | None = None, from_byte: int | None = None, to_byte: int | None = None,
             fetch_older: bool = False) -> LogPage:
        """Entries of one log, newest first (``level``: the source's own word)."""

    def start_snapshot(self) -> Task:
        """Start the diagnostic snapshot (``dump`` task; 400 while one runs)."""

    def download_snapshot(self, task: Task, dest: BinaryIO, *, max_bytes: int) -> int:
        """Stream the finished snapshot into ``dest``; its size (``SnapshotTooLarge`` past ``max_bytes``)."""

    def close(self) -> None: ...
