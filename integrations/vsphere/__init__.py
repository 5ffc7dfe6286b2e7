"""vSphere integration: ``VSphereClient`` over pyvmomi, and the records it returns.

Modules, one job each: ``transport`` (endpoint, TLS, pinning, http policy), ``session`` (login,
re-login, call counting), ``pool`` (sessions kept per vCenter), ``faults`` (library errors →
VSphereError), ``collector`` (bulk reads and watches), ``tasks`` (a bounded window of tasks on one
collector), ``inventory`` (placement and reads), ``folders``, ``placement``, ``networks``,
``portgroups``, ``vmspec`` + ``macs`` (VM specs, pure), ``provision`` (create, boot order and
power on in bulk), ``ownership`` (plans, records, destroy), ``adoption`` (an older fuelbot's VMs
taken over on request), ``vms``, ``preflight`` + ``cluster_checks``, ``client``.
"""
from integrations.vsphere.adoption import Adoption
from integrations.vsphere.client import VSphereClient
from integrations.vsphere.finding import Finding
from integrations.vsphere.info import (BootDevice, Change, DatastoreInfo, DistributedPortGroupInfo, HostInfo,
                                       NicInfo, StandardPortGroupInfo, VMInfo, VSwitchInfo)
from integrations.vsphere.macs import manual_mac
from integrations.vsphere.ownership import DestroyOutcome, OwnedVM, VMPlan
from integrations.vsphere.pool import VSphereSessions
from integrations.vsphere.provision import ProvisionReport, VMFailure

__all__ = ["VSphereClient", "VSphereSessions", "Adoption", "BootDevice", "Change", "DatastoreInfo", "DestroyOutcome",
           "DistributedPortGroupInfo", "Finding", "HostInfo", "NicInfo", "OwnedVM", "ProvisionReport",
           "StandardPortGroupInfo", "VMFailure", "VMInfo", "VMPlan", "VSwitchInfo", "manual_mac"]
