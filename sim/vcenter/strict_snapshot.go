// Snapshots as vCenter takes and reverts them: the power state a snapshot holds, and the power
// state a revert leaves the VM in.
//
// vSphere API reference, VirtualMachine.CreateSnapshot_Task, “memory“: "If TRUE, a dump of the
// internal state of the virtual machine (basically a memory dump) is included in the snapshot.
// ... When set to FALSE, the power state of the snapshot is set to powered off." vcsim records the
// VM's power state whatever “memory“ says (simulator/virtual_machine.go CreateSnapshotTask).
//
// VirtualMachineSnapshot.RevertToSnapshot_Task: "Change the execution state of the virtual
// machine to the state of this snapshot"; “host“: "If a snapshot was taken while a virtual
// machine was powered on, and this operation is invoked after the virtual machine was powered
// off, the operation causes the virtual machine to power on to reach the snapshot state";
// “suppressPowerOn“: "the virtual machine will not be powered on regardless of the power state
// when the snapshot was created". So a VM reverted to a snapshot without memory is powered off,
// to a memory snapshot of a running VM is running (or, with suppressPowerOn, suspended: its
// memory is restored but not resumed), to a suspended one is suspended. vcsim's revert only
// moves “snapshot.currentSnapshot“ (simulator/snapshot.go RevertToSnapshotTask) and leaves the
// VM running or off as it was.
//
// vcsim files its revert task under the snapshot, as TaskInfo.entity, which is declared a
// ManagedEntity: pyVmomi cannot read such a task's info. Ours files it under the VM.
package main

import (
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// snapshotHoldsMemory lets vcsim take the snapshot, then records the power state vCenter does.
func snapshotHoldsMemory(method *simulator.Method) verdict {
	req := method.Body.(*types.CreateSnapshot_Task)
	vm, ok := simulator.Map.Get(method.This).(*simulator.VirtualMachine)
	if !ok || req.Memory {
		return verdict{}
	}
	return verdict{around: func(pass func()) {
		pass()
		simulator.Map.WithLock(vm, func() {
			if vm.Snapshot == nil || vm.Snapshot.CurrentSnapshot == nil {
				return
			}
			tree := findTree(vm.Snapshot.RootSnapshotList, *vm.Snapshot.CurrentSnapshot)
			if tree != nil && tree.State == types.VirtualMachinePowerStatePoweredOn {
				tree.State = types.VirtualMachinePowerStatePoweredOff
				simulator.Map.Update(vm, []types.PropertyChange{
					{Name: "snapshot.rootSnapshotList", Val: vm.Snapshot.RootSnapshotList}})
			}
		})
	}}
}

// revertWithPowerState reverts as vcsim does and brings the VM to the snapshot's power state.
func revertWithPowerState(method *simulator.Method) verdict {
	req := method.Body.(*types.RevertToSnapshot_Task)
	snapshot, ok := simulator.Map.Get(method.This).(*simulator.VirtualMachineSnapshot)
	if !ok {
		return verdict{} // vcsim answers ManagedObjectNotFound
	}
	vm, ok := simulator.Map.Get(snapshot.Vm).(*simulator.VirtualMachine)
	if !ok {
		return verdict{}
	}
	suppress := req.SuppressPowerOn != nil && *req.SuppressPowerOn
	task := simulator.CreateTask(snapshot, "revertToSnapshot", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		simulator.Map.WithLock(vm, func() {
			changes := []types.PropertyChange{{Name: "snapshot.currentSnapshot", Val: snapshot.Self}}
			if vm.Snapshot != nil {
				if tree := findTree(vm.Snapshot.RootSnapshotList, snapshot.Self); tree != nil {
					changes = append(changes, powerChanges(vm, revertedState(tree.State, suppress))...)
				}
			}
			simulator.Map.Update(vm, changes)
		})
		return nil, nil
	})
	// vcsim files the task under the snapshot, which no client can read back (TaskInfo.entity is
	// a ManagedEntity; pyVmomi refuses a VirtualMachineSnapshot there). vCenter files it under the VM.
	task.Info.Entity = &vm.Self
	task.Info.EntityName = vm.Name
	ref := task.Run()
	return verdict{task: &ref}
}

// revertedState is the power state a revert to a snapshot taken in “held“ leaves the VM in.
func revertedState(held types.VirtualMachinePowerState, suppressPowerOn bool) types.VirtualMachinePowerState {
	if held == types.VirtualMachinePowerStatePoweredOn && suppressPowerOn {
		return types.VirtualMachinePowerStateSuspended
	}
	return held
}

// powerChanges are the property changes vcsim's own power tasks make, when the state changes.
func powerChanges(vm *simulator.VirtualMachine, state types.VirtualMachinePowerState) []types.PropertyChange {
	if vm.Runtime.PowerState == state {
		return nil
	}
	var boot types.AnyType
	if state == types.VirtualMachinePowerStatePoweredOn {
		boot = time.Now()
	}
	return []types.PropertyChange{
		{Name: "runtime.powerState", Val: state},
		{Name: "summary.runtime.powerState", Val: state},
		{Name: "summary.runtime.bootTime", Val: boot},
	}
}

func findTree(trees []types.VirtualMachineSnapshotTree, ref types.ManagedObjectReference) *types.VirtualMachineSnapshotTree {
	for i := range trees {
		if trees[i].Snapshot == ref {
			return &trees[i]
		}
		if found := findTree(trees[i].ChildSnapshotList, ref); found != nil {
			return found
		}
	}
	return nil
}
