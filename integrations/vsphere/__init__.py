"""vSphere integration: ``VSphereClient`` over pyvmomi, and the records it returns.

Modules, one job each: ``session`` (login, TLS, re-login, call counting), ``faults`` (library
errors → VSphereError), ``collector`` (bulk reads and watches), ``inventory`` (placement and
reads), ``portgroups``, ``vmspec`` + ``macs`` (VM specs, pure), ``vms``, ``preflight``, ``client``.
"""
from integrations.vsphere.client import VSphereClient
from integrations.vsphere.info import (BootDevice, Change, DatastoreInfo, DistributedPortGroupInfo, HostInfo,
                                       NicInfo, StandardPortGroupInfo, VMInfo, VSwitchInfo)
from integrations.vsphere.macs import manual_mac
from integrations.vsphere.preflight import Finding

__all__ = ["VSphereClient", "BootDevice", "Change", "DatastoreInfo", "DistributedPortGroupInfo", "Finding",
           "HostInfo", "NicInfo", "StandardPortGroupInfo", "VMInfo", "VSwitchInfo", "manual_mac"]
