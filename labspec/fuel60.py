"""What Fuel 6.0 and the article accept: the allowed values and limits the checks enforce.

Sources: Nailgun's 6.0 release metadata as summarised in ``shared/reference/fuel-api.md``
(roles and their conflicts, releases), Fuel 6.0's role restrictions documentation (one
controller in multinode mode, no compute role with vCenter), and the article's minimums for
the Fuel master VM. Roles, releases and Fuel network names themselves live in
``labspec.model`` because other packages need them too.
"""
from __future__ import annotations

from labspec.model import ROLES

MODES = ("multinode", "ha_compact")
COMPUTES = ("vcenter", "kvm", "qemu")
# The model speaks nova-network (its Fuel networks include ``fixed``); neutron with vCenter
# needs NSX-mh, which the article leaves out.
NETWORK_PROVIDERS = ("nova_network",)
NETWORK_MANAGERS = ("FlatDHCPManager", "VlanManager")
VOLUME_BACKENDS = ("lvm", "vmdk", "ceph", "none")
IMAGE_BACKENDS = ("vcenter", "ceph", "file")
SERVICES = ("sahara", "murano", "ceilometer", "heat")
PROVISIONING = ("image", "cobbler")
SYSLOG_TRANSPORTS = ("tcp", "udp")
ENV_NETWORKS = ("public", "management", "storage", "fixed")  # configurable ones
ADMIN_NETWORK = "fuelweb_admin"

# Symmetric: each pair is listed from both sides so a lookup by either role finds it.
ROLE_CONFLICTS: dict[str, tuple[str, ...]] = {
    "controller": ("compute", "zabbix-server"),
    "compute": ("controller", "mongo", "zabbix-server"),
    "cinder": ("zabbix-server",),
    "ceph-osd": ("mongo", "zabbix-server"),
    "mongo": ("compute", "ceph-osd", "zabbix-server"),
    "zabbix-server": tuple(r for r in ROLES if r != "zabbix-server"),
}

MASTER_MIN_MEMORY_MB = 2048        # the article: "Make sure you have at least 2GB of RAM"
MASTER_MIN_DISK_GB = 50            # the article's Fuel master profile
VLAN_MAX = 4094
MAX_NICS = 10                      # vSphere's limit of virtual NICs per VM
NOVA_BRIDGE = "br100"              # nova-network with vCenter only uses this vSwitch port group
NOVA_UPLINK = "vmnic0"             # "you absolutely need to have vmnic0 ... as the uplink"
