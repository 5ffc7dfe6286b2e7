// MoveIntoFolder_Task as vCenter answers it (vSphere API reference, Folder.MoveIntoFolder_Task):
// DuplicateName "if this folder already contains an object with the specified name". vcsim moves
// the entity regardless, leaving two VMs of one name in a folder, which vCenter never allows
// (CreateVM_Task and CloneVM_Task refuse the same, see strict_create_vm.go).
package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func checkMoveIntoFolder(method *simulator.Method) verdict {
	req := method.Body.(*types.MoveIntoFolder_Task)
	folder, ok := simulator.Map.Get(method.This).(*simulator.Folder)
	if !ok {
		return verdict{}
	}
	for _, ref := range req.List {
		entity, isEntity := simulator.Map.Get(ref).(mo.Entity)
		if !isEntity {
			continue
		}
		name := entity.Entity().Name
		if dup := childNamed(folder, name); dup != nil && *dup != ref {
			return refuse(method.This, "moveIntoFolder", &types.DuplicateName{Name: name, Object: *dup})
		}
	}
	return verdict{}
}
