// Host port groups as ESXi keeps them: per host, updatable in place, not removable while in use.
//
// vcsim keeps one host port group name per datacenter (a second host gets DuplicateName),
// implements no UpdatePortGroup (MethodNotFound) and removes a port group that VMs use
// (reference/vcsim.md §2). ESXi, per the vSphere API reference (HostNetworkSystem):
//   - AddPortGroup: each host has its own port groups; the same name on several hosts is one
//     vim.Network in vCenter; AlreadyExists "if the port group already exists" on that host;
//   - UpdatePortGroup "Reconfigures a port group on the virtual switch": NotFound "if the port
//     group or virtual switch does not exist", InvalidArgument "if the PortGroup vlanId is invalid.
//     Valid vlanIds range from [0,4095]";
//   - RemovePortGroup: ResourceInUse "if the port group can not be removed because there are
//     virtual network adapters associated with it".
//
// HostNetworkSystem objects are wrapped in vcsim's registry (as govmomi's example_extend_test.go
// does): vcsim never type-asserts them. The wrapper embeds the native value, not a pointer, so
// vcsim's property collector still finds the mo.HostNetworkSystem inside.
package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type strictNetworkSystem struct {
	simulator.HostNetworkSystem
}

// installStrictHostNetworks replaces every host's network system by its strict wrapper.
func installStrictHostNetworks() {
	for _, e := range simulator.Map.All("HostSystem") {
		host := e.(*simulator.HostSystem)
		if host.ConfigManager.NetworkSystem == nil {
			continue
		}
		if native, ok := simulator.Map.Get(*host.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem); ok {
			wrapper := &strictNetworkSystem{HostNetworkSystem: *native}
			wrapper.Host = &host.HostSystem
			simulator.Map.Put(wrapper)
			if network := standardNetwork(host, "VM Network"); network != nil {
				addHostTo(network, host)
			}
		}
	}
}

// networkSystemOf digs the native network system out of a registry object.
func networkSystemOf(obj mo.Reference) *simulator.HostNetworkSystem {
	switch system := obj.(type) {
	case *strictNetworkSystem:
		return &system.HostNetworkSystem
	case *simulator.HostNetworkSystem:
		return system
	}
	return nil
}

func (s *strictNetworkSystem) host() *simulator.HostSystem {
	host, _ := simulator.Map.Get(s.Host.Self).(*simulator.HostSystem)
	return host
}

func (s *strictNetworkSystem) portgroupIndex(name string) int {
	for i, pg := range s.NetworkInfo.Portgroup {
		if pg.Spec.Name == name {
			return i
		}
	}
	return -1
}

func (s *strictNetworkSystem) vswitch(name string) *types.HostVirtualSwitch {
	for i := range s.NetworkInfo.Vswitch {
		if s.NetworkInfo.Vswitch[i].Name == name {
			return &s.NetworkInfo.Vswitch[i]
		}
	}
	return nil
}

func (s *strictNetworkSystem) AddPortGroup(ctx *simulator.Context, req *types.AddPortGroup) soap.HasFault {
	body := &methods.AddPortGroupBody{}
	name := req.Portgrp.Name
	switch {
	case name == "":
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "name"})
	case s.portgroupIndex(name) >= 0:
		body.Fault_ = simulator.Fault("", &types.AlreadyExists{Name: name})
	case s.vswitch(req.Portgrp.VswitchName) == nil:
		body.Fault_ = simulator.Fault("", &types.NotFound{})
	case req.Portgrp.VlanId < 0 || req.Portgrp.VlanId > 4095:
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "portgrp.vlanId"})
	}
	if body.Fault_ != nil {
		return body
	}
	host := s.host()
	network := standardNetwork(host, name)
	if network == nil {
		// The first host with this name: vcsim creates the vim.Network in the network folder.
		if res := s.HostNetworkSystem.AddPortGroup(ctx, req); res.Fault() != nil {
			return res
		}
		if network = standardNetwork(host, name); network != nil {
			addHostTo(network, host)
		}
		s.publish()
		return &methods.AddPortGroupBody{Res: &types.AddPortGroupResponse{}}
	}
	vswitch := s.vswitch(req.Portgrp.VswitchName)
	vswitch.Portgroup = append(vswitch.Portgroup, name)
	s.NetworkInfo.Portgroup = append(s.NetworkInfo.Portgroup, types.HostPortGroup{
		Key: "key-vim.host.PortGroup-" + name, Spec: req.Portgrp})
	addHostTo(network, host)
	s.publish()
	body.Res = &types.AddPortGroupResponse{}
	return body
}

func (s *strictNetworkSystem) UpdatePortGroup(ctx *simulator.Context, req *types.UpdatePortGroup) soap.HasFault {
	body := &methods.UpdatePortGroupBody{}
	index := s.portgroupIndex(req.PgName)
	target := s.vswitch(req.Portgrp.VswitchName)
	switch {
	case index < 0 || target == nil:
		body.Fault_ = simulator.Fault("", &types.NotFound{})
	case req.Portgrp.VlanId < 0 || req.Portgrp.VlanId > 4095:
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "portgrp.vlanId"})
	case req.Portgrp.Name != req.PgName:
		// Renaming would rename the vim.Network of every host; not modelled here.
		body.Fault_ = simulator.Fault("renaming a host port group is not simulated", &types.NotSupported{})
	}
	if body.Fault_ != nil {
		return body
	}
	current := &s.NetworkInfo.Portgroup[index]
	if current.Spec.VswitchName != req.Portgrp.VswitchName {
		if old := s.vswitch(current.Spec.VswitchName); old != nil {
			old.Portgroup = without(old.Portgroup, req.PgName)
		}
		target.Portgroup = append(target.Portgroup, req.PgName)
	}
	current.Spec = req.Portgrp
	s.publish()
	body.Res = &types.UpdatePortGroupResponse{}
	return body
}

func (s *strictNetworkSystem) RemovePortGroup(ctx *simulator.Context, req *types.RemovePortGroup) soap.HasFault {
	body := &methods.RemovePortGroupBody{}
	index := s.portgroupIndex(req.PgName)
	host := s.host()
	if index < 0 {
		body.Fault_ = simulator.Fault("", &types.NotFound{})
		return body
	}
	if vm := vmOnPortGroup(host, req.PgName); vm != "" {
		body.Fault_ = simulator.Fault("", &types.ResourceInUse{Type: "VirtualMachine", Name: vm})
		return body
	}
	network := standardNetwork(host, req.PgName)
	if network == nil || len(network.Host) <= 1 {
		// The last host: vcsim removes the vim.Network from the network folder.
		if res := s.HostNetworkSystem.RemovePortGroup(ctx, req); res.Fault() != nil {
			return res
		}
		if network != nil {
			simulator.Map.RemoveReference(host, &host.Network, network.Self)
		}
	} else {
		for i := range s.NetworkInfo.Vswitch {
			s.NetworkInfo.Vswitch[i].Portgroup = without(s.NetworkInfo.Vswitch[i].Portgroup, req.PgName)
		}
		s.NetworkInfo.Portgroup = append(s.NetworkInfo.Portgroup[:index], s.NetworkInfo.Portgroup[index+1:]...)
		simulator.Map.RemoveReference(network, &network.Host, host.Self)
		simulator.Map.RemoveReference(host, &host.Network, network.Self)
	}
	s.publish()
	body.Res = &types.RemovePortGroupResponse{}
	return body
}

// publish tells property collectors that networkInfo changed.
func (s *strictNetworkSystem) publish() {
	simulator.Map.Update(s, []types.PropertyChange{{Name: "networkInfo", Val: s.NetworkInfo}})
}

// standardNetwork is the vim.Network (not a distributed port group) called “name“ in the host's datacenter.
func standardNetwork(host *simulator.HostSystem, name string) *mo.Network {
	dc := datacenterOf(host)
	if dc == nil {
		return nil
	}
	folder, ok := simulator.Map.Get(dc.NetworkFolder).(*simulator.Folder)
	if !ok {
		return nil
	}
	for _, ref := range folder.ChildEntity {
		if network, ok := simulator.Map.Get(ref).(*mo.Network); ok && network.Name == name {
			return network
		}
	}
	return nil
}

func addHostTo(network *mo.Network, host *simulator.HostSystem) {
	if simulator.FindReference(network.Host, host.Self) == nil {
		simulator.Map.AppendReference(network, &network.Host, host.Self)
	}
	if simulator.FindReference(host.Network, network.Self) == nil {
		simulator.Map.AppendReference(host, &host.Network, network.Self)
	}
}

func datacenterOf(entity mo.Entity) *simulator.Datacenter {
	for entity != nil && entity.Entity().Parent != nil {
		parent, ok := simulator.Map.Get(*entity.Entity().Parent).(mo.Entity)
		if !ok {
			return nil
		}
		if dc, ok := parent.(*simulator.Datacenter); ok {
			return dc
		}
		entity = parent
	}
	return nil
}

// vmOnPortGroup names a VM of the host with a NIC on the standard port group “name“.
func vmOnPortGroup(host *simulator.HostSystem, name string) string {
	for _, ref := range host.Vm {
		vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
		if !ok || vm.Config == nil {
			continue
		}
		for _, device := range vm.Config.Hardware.Device {
			if nic, ok := device.(types.BaseVirtualEthernetCard); ok {
				backing, ok := nic.GetVirtualEthernetCard().Backing.(*types.VirtualEthernetCardNetworkBackingInfo)
				if ok && backing.DeviceName == name {
					return vm.Name
				}
			}
		}
	}
	return ""
}

func without(names []string, name string) []string {
	kept := names[:0:0]
	for _, n := range names {
		if n != name {
			kept = append(kept, n)
		}
	}
	return kept
}
