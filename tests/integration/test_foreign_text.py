"""Text from Fuel, OSTF and vCenter reaches Slack inert: it can never ping a channel or hide a link.

The hostile texts go in the way an attacker (or an unlucky operator) would put them there: an OSTF
test failing with such a message through the Fuel simulator's ``/_sim/faults`` controls, and a VM
created in vcsim with such a name, which the discovery watch announces. Each carries a forged token too (the private-use characters ``core.mrkdwn`` marks
fuelbot's own mentions with). The channel must show them as text; LocalSlack itself fails the test
on any unescaped ``&``, ``<`` or ``>``.
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import requests
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from core.mrkdwn import TOKEN_CLOSE, TOKEN_OPEN
from integrations.fuel.client import FuelClient
from integrations.vsphere.client import VSphereClient
from sim.slack.channels import ChannelSnapshot
from workflows.watch import watch_labs

HOSTILE = (f"<!channel> see <http://evil.example|http://good.example> & R&D "
           f"{TOKEN_OPEN}!here{TOKEN_CLOSE} {TOKEN_OPEN}http://evil.example|docs{TOKEN_CLOSE}")
INERT = "&lt;!channel&gt; see &lt;http://evil.example|http://good.example&gt; &amp; R&amp;D !here"
# vcsim cannot create a VM whose name holds a "/" (vCenter would store it as %2f): a mailto link then
VM_NAME = f"rogue <!channel> <mailto:it@evil.example|reset your password> & R&D {TOKEN_OPEN}!here{TOKEN_CLOSE}"
VM_INERT = "rogue &lt;!channel&gt; &lt;mailto:it@evil.example|reset your password&gt; &amp; R&amp;D !here"
SEQUENCE = re.compile(r"<[^<>]*>")
BOT_SEQUENCE = re.compile(r"<@U[A-Z0-9]+>|<#C[A-Z0-9]+>|<https?://127\.0\.0\.1[^|<>]*\|[^<>]*>")


def texts_of(view: ChannelSnapshot) -> list[str]:
    """Every mrkdwn text in the channel: messages, replies, their edits and their blocks."""
    found = []
    for parent in view.messages:
        for message in (parent, *parent.replies):
            found += [message.text, *message.history]
            for block in message.blocks:
                text = block.get("text")
                found += [text["text"]] if isinstance(text, dict) else []
                found += [f["text"] for f in block.get("fields", [])]
                found += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return found


def assert_inert(view: ChannelSnapshot) -> list[str]:
    """No sequence in the channel but the bot's own; the texts that carried the hostile one."""
    texts = texts_of(view)
    foreign = [s for t in texts for s in SEQUENCE.findall(t) if not BOT_SEQUENCE.fullmatch(s)]
    assert foreign == [], foreign
    assert not any(TOKEN_OPEN in t or TOKEN_CLOSE in t for t in texts)
    return [t for t in texts if INERT in t or VM_INERT in t]


def _deployed(stack) -> None:
    stack.command("deploy lab1 --skip-health")
    job = stack.wait_job(stack.last_job("deploy").id, timeout=120)
    assert job.state == "succeeded", job.error


def test_an_ostf_message_with_a_mention_and_a_disguised_link_is_shown_as_text(stack) -> None:
    _deployed(stack)
    injected = requests.post(f"{stack.fuel.url}/_sim/faults/ostf", timeout=10,
                             json={"test": "test_001_create_keypairs", "message": HOSTILE, "step": 2})
    assert injected.status_code == 201
    stack.command("health lab1 smoke")
    job = stack.wait_job(stack.last_job("health").id, timeout=60)
    _parent, replies = stack.thread(job.id)
    assert any("Keypair" in r or "keypair" in r for r in replies)
    shown = assert_inert(stack.slack.channel("C0LAB"))
    assert shown, "the OSTF message was not shown at all"


def test_a_vm_name_announced_by_the_discovery_watch_is_shown_as_text(stack) -> None:
    parts = urlsplit(stack.vcsim.url)
    si = SmartConnect(protocol="http", host=parts.hostname, port=parts.port, user=stack.vcsim.user,
                      pwd=stack.vcsim.password)
    try:
        content = si.RetrieveContent()
        dvs, pxe = _pxe_portgroup(content)
        datacenter = _find(content, vim.Datacenter, "DC0")
        pool = _find(content, vim.ClusterComputeResource, "DC0_C0").resourcePool
        nic = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(
            key=-200, addressType="generated",
            backing=vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                port=vim.dvs.PortConnection(portgroupKey=pxe.key, switchUuid=dvs.uuid))))
        config = vim.vm.ConfigSpec(name=VM_NAME, numCPUs=1, memoryMB=1024, guestId="rhel6_64Guest",
                                   files=vim.vm.FileInfo(vmPathName="[LocalDS_0]"), deviceChange=[nic])
        folder = datacenter.vmFolder        # the watch reads the lab's own folder (fuelbot/lab1)
        for part in ("fuelbot", "lab1"):
            folder = next((f for f in folder.childEntity if isinstance(f, vim.Folder) and f.name == part), None) \
                or folder.CreateFolder(part)
        task = folder.CreateVM_Task(config=config, pool=pool)
        WaitForTask(task)
        WaitForTask(task.info.result.PowerOnVM_Task())
    finally:
        Disconnect(si)
    deadline = time.monotonic() + 60
    posted: list[str] = []
    while not posted and time.monotonic() < deadline:
        watch_labs(sessions=stack.runtime.sessions, labs=stack.runtime.services.labs.load,
                   fuel_factory=lambda lab: FuelClient.from_master(lab.fuel),
                   vsphere=lambda lab: VSphereClient.connect(lab.vcenter))
        stack.settle()
        posted = [m.text for m in stack.slack.channel("C0LAB").messages if "New node(s)" in m.text]
        time.sleep(0.5)
    assert posted, "the rogue VM was never announced"
    assert all(f"VM `{VM_INERT}`" in text for text in posted), posted
    assert_inert(stack.slack.channel("C0LAB"))


def _find(content, kind, name: str):
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        return next((o for o in view.view if o.name == name), None)
    finally:
        view.Destroy()


def _pxe_portgroup(content):
    """DVS0 and its ``pxe`` port group (VLAN 3, promiscuous), made the way the article makes it."""
    dvs = _find(content, vim.DistributedVirtualSwitch, "DVS0")
    pxe = _find(content, vim.dvs.DistributedVirtualPortgroup, "pxe")
    if pxe is None:
        policy = vim.dvs.VmwareDistributedVirtualSwitch
        WaitForTask(dvs.AddDVPortgroup_Task([vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
            name="pxe", type="earlyBinding", numPorts=32, defaultPortConfig=policy.VmwarePortConfigPolicy(
                vlan=policy.VlanIdSpec(vlanId=3, inherited=False),
                securityPolicy=policy.SecurityPolicy(inherited=False, allowPromiscuous=vim.BoolPolicy(
                    value=True, inherited=False))))]))
        pxe = _find(content, vim.dvs.DistributedVirtualPortgroup, "pxe")
    return dvs, pxe
