"""Turn a lab spec file into a ``Lab``, or raise ``SpecError`` carrying every problem at once.

Two passes. Reading (``labspec.reader``) checks each field alone — presence, type, allowed
values, address syntax — and builds a *draft* ``Lab`` in which a field that failed is None (a
list item that failed keeps its place, so its siblings' paths stay right). The rules
(``labspec.roles``, ``labspec.wiring``) then check how fields fit together, skipping the Nones.
A draft never leaves this module: a spec with any problem yields its problems, never a ``Lab``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from yaml.nodes import ScalarNode

from core.errors import SpecError
from labspec import plain_http, roles, vcenter, wiring
from labspec.addressing import vlan_problem
from labspec.composer import compose
from labspec.environment import ENVIRONMENT_FIELDS, read_environment
from labspec.fuel60 import MASTER_MIN_DISK_GB, MASTER_MIN_MEMORY_MB
from labspec.master_setup import SETUP_FIELDS, read_setup
from labspec.reader import Reader
from labspec.section import Section
from labspec import master_setup
from labspec.model import (FUEL_NETWORKS, NIC_TYPES, ROLES, DistributedPortGroup, FuelMaster, Lab, Nic, NodeSpec,
                           StandardPortGroup, VMSpec, VSphereNetworks, draft)
from labspec.problems import ProblemLog
from labspec.sharing import SHARING_FIELDS, read_sharing
from labspec.vcenter import VCENTER_FIELDS, name_problem, read_vcenter, url_problem

TOP_FIELDS = ("name", "channel", "oncall", "vcenter", "vsphere_networks", "fuel", "environment", "nodes",
              *SHARING_FIELDS)
VSPHERE_FIELDS = ("pxe", "distributed", "standard")
DISTRIBUTED_FIELDS = ("name", "switch", "vlan", "promiscuous")
STANDARD_FIELDS = ("name", "vswitch", "uplink", "vlan")
FUEL_FIELDS = ("url", "user", "password", "tenant", "master_vm", "allow_http")
MASTER_FIELDS = ("name", "guest_id", "cpus", "memory_mb", "disk_gb", "nics", "nic_type", "iso") + SETUP_FIELDS
NODE_FIELDS = ("name", "roles", "guest_id", "cpus", "memory_mb", "disk_gb", "nics", "nic_type")
NIC_FIELDS = ("portgroup", "fuel_networks")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def load_lab(path: Path, environ: Mapping[str, str]) -> Lab:
    """Read and validate the lab spec at ``path``; raise ``SpecError`` listing every problem."""
    lab, log = read_lab(path, environ)
    if lab is None:
        raise SpecError(log.sorted())
    return lab


def parse_lab(text: str, *, source: str, environ: Mapping[str, str]) -> Lab:
    """Validate spec ``text`` as if read from ``source``; raise ``SpecError`` listing every problem."""
    log = ProblemLog(source)
    lab = _draft(text, log, environ)
    if lab is None or log.problems:
        raise SpecError(log.sorted())
    return lab


def read_lab(path: Path, environ: Mapping[str, str], *,
             shown_as: str | None = None) -> tuple[Lab | None, ProblemLog]:
    """The valid lab (None if it has problems) and the log, whose lines cross-lab checks use.

    ``shown_as`` names the file in problems and as the lab's ``source`` (default: ``path``).
    """
    log = ProblemLog(shown_as or str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        log.add("", "is not UTF-8 text")
        return None, log
    except OSError as err:
        log.add("", f"cannot be read: {err.strerror or err}")
        return None, log
    lab = _draft(text, log, environ)
    return (None if log.problems else lab), log


def _draft(text: str, log: ProblemLog, environ: Mapping[str, str]) -> Lab | None:
    root = compose(text, log)
    if root is None:
        return None
    reader = Reader(log, environ)
    top = Section(reader, root, path="", fields=TOP_FIELDS)
    name = top.text("name", check=_slug_problem)
    networks = _vsphere_networks(reader, top.section("vsphere_networks", VSPHERE_FIELDS))
    pxe = networks.pxe if networks is not None else None
    target = read_vcenter(top.section("vcenter", VCENTER_FIELDS), name)
    fuel = _fuel(reader, top.section("fuel", FUEL_FIELDS), pxe)
    environment = read_environment(reader, top.section("environment", ENVIRONMENT_FIELDS))
    nodes = _nodes(reader, top, pxe)
    if fuel is not None and fuel.setup is not None:
        setup = master_setup.check(fuel.setup, "fuel.master_vm", log, environment=environment, nodes=nodes)
        fuel = replace(fuel, setup=setup)
    lab = draft(
        Lab,
        name=name,
        source=log.file,
        vcenter=target,
        networks=networks,
        fuel=fuel,
        environment=environment,
        nodes=nodes,
        channel=top.text("channel", required=False),
        oncall=top.text("oncall", required=False),
        **read_sharing(top),
    )
    vcenter.check(lab.vcenter, log)
    roles.check(lab, log)
    wiring.check(lab, log)
    plain_http.check_fuel(lab.fuel, log)
    return lab


def _vsphere_networks(reader: Reader, section: Section | None) -> VSphereNetworks | None:
    if section is None:
        return None
    distributed = tuple(
        draft(DistributedPortGroup, name=s.text("name"), switch=s.text("switch"),
                             vlan=s.integer("vlan", default=0, check=vlan_problem),
                             promiscuous=s.boolean("promiscuous", default=False))
        if s else draft(DistributedPortGroup, name=None, switch=None)
        for s in _sections(reader, section, "distributed", DISTRIBUTED_FIELDS))
    standard = tuple(
        draft(StandardPortGroup, name=s.text("name"),
                          vswitch=s.text("vswitch", required=False) or "vSwitch0",
                          uplink=s.text("uplink", required=False) or "vmnic0",
                          vlan=s.integer("vlan", default=0, check=vlan_problem))
        if s else draft(StandardPortGroup, name=None)
        for s in _sections(reader, section, "standard", STANDARD_FIELDS))
    if not distributed and not standard:
        reader.log.add(section.path, "declares no port groups (distributed or standard)")
    return draft(VSphereNetworks, pxe=section.text("pxe"), distributed=distributed, standard=standard)


def _fuel(reader: Reader, section: Section | None, pxe: str | None) -> FuelMaster | None:
    if section is None:
        return None
    master = section.section("master_vm", MASTER_FIELDS, required=False)
    return draft(
        FuelMaster,
        url=section.text("url", check=url_problem),
        user=section.text("user"),
        password=section.secret("password", variable="FUEL_PASSWORD"),
        tenant=section.text("tenant", required=False) or "admin",
        vm=_vm(reader, master, master=True, pxe=pxe) if master else None,
        setup=read_setup(master) if master else None,
        allow_http=section.boolean("allow_http", default=False),
    )


def _nodes(reader: Reader, top: Section, pxe: str | None) -> tuple[NodeSpec, ...] | None:
    items = top.sequence("nodes")
    if items is None:
        return None
    nodes = []
    for path, node in items:
        section = reader.section(node, path, NODE_FIELDS)
        nodes.append(draft(NodeSpec, vm=_vm(reader, section, master=False, pxe=pxe), roles=_roles(reader, section))
                     if section else draft(NodeSpec, vm=None, roles=None))
    return tuple(nodes)


def _roles(reader: Reader, section: Section) -> tuple[str, ...] | None:
    items = section.sequence("roles")
    if items is None:
        return None
    if not items:
        reader.log.add(section.at("roles"), "a node needs at least one role", allowed=ROLES)
    read = [reader.choice(node, path, ROLES, noun="role") for path, node in items]
    known = tuple(role for role in read if role is not None)
    # one unknown role makes the node's roles unknown, or "contrller" would also bring
    # "the environment has no controller"
    return known if len(known) == len(read) else None


def _vm(reader: Reader, section: Section, *, master: bool, pxe: str | None) -> VMSpec:
    return draft(
        VMSpec,
        name=section.text("name", check=name_problem),
        # the guest OS types the article picks: RHEL 7 for the master, RHEL 6 for nodes
        guest_id=section.text("guest_id", required=False) or ("rhel7_64Guest" if master else "rhel6_64Guest"),
        cpus=section.integer("cpus", check=_count_problem),
        memory_mb=section.integer("memory_mb", check=_master_memory_problem if master else _count_problem),
        disk_gb=section.integer("disk_gb", check=_master_disk_problem if master else _count_problem),
        nics=_nics(reader, section, master=master),
        iso=section.text("iso", required=False) if master else None,
        nic_type=section.choice("nic_type", NIC_TYPES, noun="NIC type", default="vmxnet3"),
        pxe_portgroup=pxe,
    )


def _nics(reader: Reader, section: Section, *, master: bool) -> tuple[Nic, ...] | None:
    """NICs in order; ``- pxe`` is short for ``- {portgroup: pxe}``."""
    node = section.node("nics")
    if node is None:
        return _read_nics(reader, section, master=master)     # says the field is missing
    return reader.once(node, ("nics", master), lambda: _read_nics(reader, section, master=master))


def _read_nics(reader: Reader, section: Section, *, master: bool) -> tuple[Nic, ...] | None:
    items = section.sequence("nics")
    if items is None:
        return None
    nics = []
    for path, node in items:
        if isinstance(node, ScalarNode):
            nics.append(draft(Nic, portgroup=reader.text(node, path)))
            continue
        # the master's networks are set up by its own installer, not mapped by fuelbot
        nic = reader.section(node, path, ("portgroup",) if master else NIC_FIELDS)
        if nic is None:
            nics.append(draft(Nic, portgroup=None))
            continue
        networks = nic.texts("fuel_networks", allowed=FUEL_NETWORKS, noun="Fuel network")
        nics.append(draft(Nic, portgroup=nic.text("portgroup"), fuel_networks=networks or ()))
    return tuple(nics)


def _sections(reader: Reader, parent: Section, key: str, fields: tuple[str, ...]) -> list[Section | None]:
    return [reader.section(node, path, fields) for path, node in parent.sequence(key, required=False) or ()]


def _slug_problem(text: str) -> str | None:
    if _SLUG.fullmatch(text):
        return None
    return "is not a lab name: use up to 40 lower-case letters, digits, - and _ (it is typed in Slack)"


def _count_problem(number: int) -> str | None:
    return None if number >= 1 else f"{number} must be at least 1"


def _master_memory_problem(mb: int) -> str | None:
    if mb >= MASTER_MIN_MEMORY_MB:
        return None
    return (f"{mb} MB is below the article's minimum of {MASTER_MIN_MEMORY_MB} MB for the Fuel "
            "master (unpacking its Docker images fails with less)")


def _master_disk_problem(gb: int) -> str | None:
    if gb >= MASTER_MIN_DISK_GB:
        return None
    return f"{gb} GB is below the article's minimum of {MASTER_MIN_DISK_GB} GB for the Fuel master"
