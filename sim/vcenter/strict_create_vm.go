// CreateVM_Task and CloneVM_Task as vCenter checks them (vcsim checks none of this).
//
// Source: vSphere Web Services API reference, Folder.CreateVM_Task
// (developer.broadcom.com/xapis/virtual-infrastructure-json-api/8.0.2.0/sdk/vim25/release/Folder/moId/CreateVM_Task/post):
//   - host "must specify a host that is a member of the ComputeResource indirectly specified by the
//     pool. For a stand-alone host or a cluster with DRS, host can be omitted, and the system selects
//     a default" (so a non-DRS cluster needs a host: InvalidArgument);
//   - InvalidDatastore "if the operation cannot be performed on the target datastores" (the host
//     does not mount the VM's, a disk's or the ISO's datastore);
//   - DuplicateName "if another virtual machine in the same folder already has the specified
//     name" (vcsim creates a second one, see reference/vcsim.md §7);
//   - InvalidState "if the operation is not allowed in the current state" (a host in maintenance
//     mode); HostNotConnected for a disconnected host.
//
// VirtualMachineConfigSpec.instanceUuid: vCenter assigns it and changes it "when VirtualCenter
// detects an identifier conflict"; vcsim derives it from the .vmx path, so every VM created with
// files.vmPathName "[ds]" gets the same one. The front assigns a fresh one instead.
// A NIC on a distributed port group needs the VM's host to be a member of the switch; vcsim
// demands that every host of the cluster be a member, which is stricter than vCenter, so the
// front checks the VM's host and relaxes vcsim's check for the call (relaxSwitchMembership).
package main

import (
	"github.com/google/uuid"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// vmNeeds is what a VM's spec asks of the host it lands on.
type vmNeeds struct {
	datastores []string         // names
	switches   map[string]int32 // DVS uuid -> device index
	standard   map[string]int32 // host port group name -> device index
}

func needsOf(spec *types.VirtualMachineConfigSpec) vmNeeds {
	needs := vmNeeds{switches: map[string]int32{}, standard: map[string]int32{}}
	seen := map[string]bool{}
	addPath := func(path string) {
		var p object.DatastorePath
		if p.FromString(path) && p.Datastore != "" && !seen[p.Datastore] {
			seen[p.Datastore] = true
			needs.datastores = append(needs.datastores, p.Datastore)
		}
	}
	if spec.Files != nil {
		addPath(spec.Files.VmPathName)
	}
	for i, change := range spec.DeviceChange {
		device := change.GetVirtualDeviceConfigSpec().Device
		if device == nil {
			continue
		}
		switch backing := device.GetVirtualDevice().Backing.(type) {
		case *types.VirtualDiskFlatVer2BackingInfo:
			addPath(backing.FileName)
		case *types.VirtualCdromIsoBackingInfo:
			addPath(backing.FileName)
		case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
			needs.switches[backing.Port.SwitchUuid] = int32(i)
		case *types.VirtualEthernetCardNetworkBackingInfo:
			needs.standard[backing.DeviceName] = int32(i)
		}
	}
	return needs
}

// hostFault says why “host“ cannot run a VM with “needs“, or nil.
func hostFault(host *simulator.HostSystem, needs vmNeeds) types.BaseMethodFault {
	if host.Runtime.ConnectionState != types.HostSystemConnectionStateConnected {
		return &types.HostNotConnected{}
	}
	if host.Runtime.InMaintenanceMode {
		return &types.InvalidState{}
	}
	for _, name := range needs.datastores {
		if simulator.Map.FindByName(name, host.Datastore) == nil {
			fault := &types.InvalidDatastore{Name: name}
			if ds := datastoreNamed(name); ds != nil {
				fault.Datastore = &ds.Self
			}
			return fault
		}
	}
	for id := range needs.switches {
		if dvs := switchWithUUID(id); dvs != nil && simulator.FindReference(dvs.Summary.HostMember, host.Self) == nil {
			return &types.InvalidArgument{InvalidProperty: "spec.deviceChange.device.port.switchUuid"}
		}
	}
	groups := hostPortGroups(host)
	for name, index := range needs.standard {
		if !groups[name] {
			return &types.InvalidDeviceBacking{InvalidDeviceSpec: types.InvalidDeviceSpec{
				InvalidVmConfig: types.InvalidVmConfig{Property: "spec.deviceChange.device.backing.deviceName"},
				DeviceIndex:     index}}
		}
	}
	return nil
}

func checkCreateVM(method *simulator.Method) verdict {
	req := method.Body.(*types.CreateVM_Task)
	fail := func(fault types.BaseMethodFault) verdict { return refuse(method.This, "createVm", fault) }
	folder, ok := simulator.Map.Get(method.This).(*simulator.Folder)
	if !ok {
		return verdict{}
	}
	if dup := childNamed(folder, req.Config.Name); dup != nil {
		return fail(&types.DuplicateName{Name: req.Config.Name, Object: *dup})
	}
	hosts, drs := computeHosts(req.Pool)
	if hosts == nil {
		return verdict{} // not a pool vcsim knows: let vcsim answer
	}
	needs := needsOf(&req.Config)
	if req.Host != nil {
		host, ok := simulator.Map.Get(*req.Host).(*simulator.HostSystem)
		if !ok || simulator.FindReference(hosts, *req.Host) == nil {
			return fail(&types.InvalidArgument{InvalidProperty: "host"})
		}
		if fault := hostFault(host, needs); fault != nil {
			return fail(fault)
		}
	} else {
		if !drs {
			return fail(&types.InvalidArgument{InvalidProperty: "host"})
		}
		chosen, reasons := placeLikeDRS(hosts, needs)
		if chosen == nil {
			return fail(&types.NoCompatibleHost{Host: hosts, Error: reasons})
		}
		req.Host = &chosen.Self
	}
	if req.Config.InstanceUuid == "" || instanceUUIDInUse(req.Config.InstanceUuid) {
		req.Config.InstanceUuid = uuid.New().String()
	}
	return verdict{request: createVMBody(req), around: relaxSwitchMembership(*req.Host, needs)}
}

// checkCloneVM refuses a clone named like a VM of its target folder (DuplicateName, as for
// CreateVM), and gives the clone its source's notes: vCenter copies the annotation (a clone of a
// lab VM carries its owner marker, which is why ownership cannot rest on the notes), vcsim does not.
func checkCloneVM(method *simulator.Method) verdict {
	req := method.Body.(*types.CloneVM_Task)
	folder, ok := simulator.Map.Get(req.Folder).(*simulator.Folder)
	source, isVM := simulator.Map.Get(method.This).(*simulator.VirtualMachine)
	if !ok || !isVM {
		return verdict{}
	}
	if dup := childNamed(folder, req.Name); dup != nil {
		return refuse(method.This, "cloneVm", &types.DuplicateName{Name: req.Name, Object: *dup})
	}
	notes := source.Config.Annotation
	return verdict{around: func(pass func()) {
		pass()
		if ref := childNamed(folder, req.Name); ref != nil && notes != "" {
			if clone, ok := simulator.Map.Get(*ref).(*simulator.VirtualMachine); ok && clone.Config.Annotation == "" {
				simulator.Map.Update(clone, []types.PropertyChange{{Name: "config.annotation", Val: notes}})
			}
		}
	}}
}

// placeLikeDRS picks the compatible host running the fewest VMs, or says why each host is not.
func placeLikeDRS(hosts []types.ManagedObjectReference, needs vmNeeds) (*simulator.HostSystem, []types.LocalizedMethodFault) {
	var best *simulator.HostSystem
	var reasons []types.LocalizedMethodFault
	for _, ref := range hosts {
		host, ok := simulator.Map.Get(ref).(*simulator.HostSystem)
		if !ok {
			continue
		}
		if fault := hostFault(host, needs); fault != nil {
			reasons = append(reasons, types.LocalizedMethodFault{Fault: fault, LocalizedMessage: host.Name})
			continue
		}
		if best == nil || len(host.Vm) < len(best.Vm) {
			best = host
		}
	}
	return best, reasons
}

// relaxSwitchMembership lets vcsim's cluster-wide membership check pass for a VM whose own host is
// a member of every switch its NICs use (checked by hostFault), for the duration of the call.
func relaxSwitchMembership(hostRef types.ManagedObjectReference, needs vmNeeds) func(func()) {
	host, ok := simulator.Map.Get(hostRef).(*simulator.HostSystem)
	if !ok || len(needs.switches) == 0 {
		return nil
	}
	parent := computeResourceOf(host)
	if parent == nil {
		return nil
	}
	return func(pass func()) {
		var restore []func()
		for id := range needs.switches {
			dvs := switchWithUUID(id)
			if dvs == nil {
				continue
			}
			members := dvs.Summary.HostMember
			relaxed := append([]types.ManagedObjectReference(nil), members...)
			for _, h := range parent.Host {
				if simulator.FindReference(relaxed, h) == nil {
					relaxed = append(relaxed, h)
				}
			}
			dvs.Summary.HostMember = relaxed
			restore = append(restore, func() { dvs.Summary.HostMember = members })
		}
		defer func() {
			for _, undo := range restore {
				undo()
			}
		}()
		pass()
	}
}

// computeHosts gives the hosts of the pool's compute resource and whether DRS places VMs there.
func computeHosts(poolRef types.ManagedObjectReference) ([]types.ManagedObjectReference, bool) {
	pool, ok := simulator.Map.Get(poolRef).(*simulator.ResourcePool)
	if !ok {
		return nil, false
	}
	switch owner := simulator.Map.Get(pool.Owner).(type) {
	case *simulator.ClusterComputeResource:
		config, _ := owner.ConfigurationEx.(*types.ClusterConfigInfoEx)
		drs := config != nil && config.DrsConfig.Enabled != nil && *config.DrsConfig.Enabled
		return owner.Host, drs
	case *mo.ComputeResource:
		return owner.Host, true // a stand-alone host: "host can be omitted"
	}
	return nil, false
}

func computeResourceOf(host *simulator.HostSystem) *mo.ComputeResource {
	switch parent := simulator.Map.Get(*host.Parent).(type) {
	case *simulator.ClusterComputeResource:
		return &parent.ComputeResource
	case *mo.ComputeResource:
		return parent
	}
	return nil
}

func childNamed(folder *simulator.Folder, name string) *types.ManagedObjectReference {
	var found *types.ManagedObjectReference
	simulator.Map.WithLock(folder, func() {
		if e := simulator.Map.FindByName(name, folder.ChildEntity); e != nil {
			ref := e.Reference()
			found = &ref
		}
	})
	return found
}

func datastoreNamed(name string) *simulator.Datastore {
	for _, e := range simulator.Map.All("Datastore") {
		if ds, ok := e.(*simulator.Datastore); ok && ds.Name == name {
			return ds
		}
	}
	return nil
}

func switchWithUUID(id string) *simulator.DistributedVirtualSwitch {
	for _, kind := range []string{"VmwareDistributedVirtualSwitch", "DistributedVirtualSwitch"} {
		for _, e := range simulator.Map.All(kind) {
			if dvs, ok := e.(*simulator.DistributedVirtualSwitch); ok && dvs.Uuid == id {
				return dvs
			}
		}
	}
	return nil
}

func instanceUUIDInUse(id string) bool {
	for _, e := range simulator.Map.All("VirtualMachine") {
		if vm, ok := e.(*simulator.VirtualMachine); ok && vm.Config != nil && vm.Config.InstanceUuid == id {
			return true
		}
	}
	return false
}

// hostPortGroups is the set of standard port group names on the host's vSwitches.
func hostPortGroups(host *simulator.HostSystem) map[string]bool {
	names := map[string]bool{}
	if host.ConfigManager.NetworkSystem == nil {
		return names
	}
	if system := networkSystemOf(simulator.Map.Get(*host.ConfigManager.NetworkSystem)); system != nil {
		for _, pg := range system.NetworkInfo.Portgroup {
			names[pg.Spec.Name] = true
		}
	}
	return names
}
