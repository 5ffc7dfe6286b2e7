// PowerOnVM_Task as ESXi runs it: a VM needs room for its swap file, and its host must be usable.
//
// At power-on ESXi creates the VM's swap file (.vswp, memory size minus the memory reservation)
// in the VM's directory; without room the power-on fails with "Failed to extend swap file from
// 0 KB to N KB" (VMware KB 1004082, "Virtual machine fails to power on: insufficient disk space").
// The task fault is a VmConfigFault: GenericVmConfigFault, as power-on failures are reported
// (e.g. vmware/vic#3183). vcsim powers on anything and never counts swap (reference/vcsim.md §7).
//
// A vcsim-only knob, in the spirit of vcsim's own “SET.guest.ipAddress“: a VM whose
// extraConfig holds “SET.runtime.question“ stops at power-on with that question pending, as a
// VM does when ESXi asks "did you move or copy it?" (the power-on task stays running until an
// answer). fuelbot must show such a question instead of waiting forever.
package main

import (
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const questionKey = "vcsim.powerOn.question"

func checkPowerOn(method *simulator.Method) verdict {
	vm, ok := simulator.Map.Get(method.This).(*simulator.VirtualMachine)
	if !ok || vm.Config == nil || vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
		return verdict{} // vcsim answers (InvalidPowerState, ManagedObjectNotFound...)
	}
	fail := func(fault types.BaseMethodFault) verdict { return refuse(vm.Self, "powerOn", fault) }
	if vm.Runtime.Host != nil {
		if host, ok := simulator.Map.Get(*vm.Runtime.Host).(*simulator.HostSystem); ok {
			if host.Runtime.ConnectionState != types.HostSystemConnectionStateConnected {
				return fail(&types.HostNotConnected{})
			}
			if host.Runtime.InMaintenanceMode {
				return fail(&types.InvalidState{})
			}
		}
	}
	if text := extraConfig(vm, questionKey); text != "" {
		return ask(vm, text)
	}
	need := swapBytes(vm)
	ds := vmDatastore(vm)
	if ds == nil || need == 0 {
		return verdict{}
	}
	free := ds.Summary.FreeSpace - swapInUse(ds, vm)
	if free < need {
		return fail(&types.GenericVmConfigFault{
			VmConfigFault: types.VmConfigFault{VimFault: types.VimFault{MethodFault: types.MethodFault{
				FaultMessage: []types.LocalizableMessage{{Key: "msg.vmk.status.VMK_NO_SPACE",
					Message: "No space left on device"}}}}},
			Reason: fmt.Sprintf("Failed to extend swap file from 0 KB to %d KB (datastore %s has %d KB free).",
				need/1024, ds.Name, maxInt64(free, 0)/1024)})
	}
	return verdict{}
}

// swapBytes is the size of the swap file ESXi creates at power-on: memory minus reservation.
func swapBytes(vm *simulator.VirtualMachine) int64 {
	memory := int64(vm.Config.Hardware.MemoryMB) * 1024 * 1024
	if alloc := vm.Config.MemoryAllocation; alloc != nil && alloc.Reservation != nil {
		memory -= *alloc.Reservation * 1024 * 1024
	}
	return maxInt64(memory, 0)
}

// swapInUse adds up the swap files of the other powered-on VMs living on “ds“.
func swapInUse(ds *simulator.Datastore, except *simulator.VirtualMachine) int64 {
	var total int64
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm, ok := e.(*simulator.VirtualMachine)
		if !ok || vm.Self == except.Self || vm.Config == nil ||
			vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
			continue
		}
		if home := vmDatastore(vm); home != nil && home.Self == ds.Self {
			total += swapBytes(vm)
		}
	}
	return total
}

func vmDatastore(vm *simulator.VirtualMachine) *simulator.Datastore {
	var p object.DatastorePath
	if !p.FromString(vm.Config.Files.VmPathName) {
		return nil
	}
	return datastoreNamed(p.Datastore)
}

func extraConfig(vm *simulator.VirtualMachine, key string) string {
	for _, option := range vm.Config.ExtraConfig {
		if value := option.GetOptionValue(); value.Key == key {
			if text, ok := value.Value.(string); ok {
				return text
			}
		}
	}
	return ""
}

// ask leaves the power-on task running with a question pending on the VM.
func ask(vm *simulator.VirtualMachine, text string) verdict {
	task := simulator.CreateTask(vm.Self, "powerOn", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, nil
	})
	simulator.Map.Update(task, []types.PropertyChange{{Name: "info.state", Val: types.TaskInfoStateRunning}})
	question := &types.VirtualMachineQuestionInfo{
		Id:   "0",
		Text: text,
		Choice: types.ChoiceOption{
			OptionType:   types.OptionType{ValueIsReadonly: types.NewBool(false)},
			ChoiceInfo:   []types.BaseElementDescription{&types.ElementDescription{Key: "0", Description: types.Description{Label: "Cancel"}}},
			DefaultIndex: 0,
		},
	}
	simulator.Map.Update(vm, []types.PropertyChange{{Name: "runtime.question", Val: question}})
	ref := task.Self
	return verdict{task: &ref}
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
