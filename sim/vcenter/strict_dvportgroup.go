// ReconfigureDVPortgroup_Task as vCenter applies it: a delta.
//
// vSphere API reference, DistributedVirtualPortgroup.ReconfigureDVPortgroup_Task and
// DVPortgroupConfigSpec: unset properties of the spec leave the current configuration as it is;
// “configVersion“ "is required in reconfiguring a portgroup and should be set to the same value
// as the DVPortgroupConfigInfo.configVersion", a stale one fails with ConcurrentAccess.
// vcsim instead replaces the whole config with the spec (a spec with only a security policy wipes
// the VLAN, the name and the port count) and never sets configVersion (reference/vcsim.md §3).
//
// VMwareDVSPortSetting.macManagementPolicy exists on switches of version 6.6.0 and later (vSphere
// API 6.7); an older switch refuses it (NotSupported). With LACP configured per LAG
// (VMwareDVSConfigInfo.lacpApiVersion "multipleLag"), the port-group lacpPolicy of the singleLag
// API is refused (InvalidArgument): a client must not echo it back.
package main

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func mergeReconfigureDVPortgroup(method *simulator.Method) verdict {
	req := method.Body.(*types.ReconfigureDVPortgroup_Task)
	pg, ok := simulator.Map.Get(method.This).(*simulator.DistributedVirtualPortgroup)
	if !ok || pg.Config.DistributedVirtualSwitch == nil {
		return verdict{}
	}
	dvs, _ := simulator.Map.Get(*pg.Config.DistributedVirtualSwitch).(*simulator.DistributedVirtualSwitch)
	spec := req.Spec
	var fault types.BaseMethodFault
	simulator.Map.WithLock(pg, func() {
		current := currentConfigVersion(pg)
		switch {
		case spec.ConfigVersion == "":
			fault = &types.InvalidArgument{InvalidProperty: "spec.configVersion"}
		case spec.ConfigVersion != current:
			fault = &types.ConcurrentAccess{}
		default:
			fault = portSettingFault(dvs, spec.DefaultPortConfig)
		}
	})
	if fault != nil {
		return refuse(pg.Self, "reconfigureDvPortgroup", fault)
	}
	task := simulator.CreateTask(pg, "reconfigureDvPortgroup", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		simulator.Map.WithLock(pg, func() { applyDelta(pg, spec) })
		return nil, nil
	})
	ref := task.Run()
	return verdict{task: &ref}
}

func currentConfigVersion(pg *simulator.DistributedVirtualPortgroup) string {
	if pg.Config.ConfigVersion == "" {
		return "0"
	}
	return pg.Config.ConfigVersion
}

func portSettingFault(dvs *simulator.DistributedVirtualSwitch, setting types.BaseDVPortSetting) types.BaseMethodFault {
	port, ok := setting.(*types.VMwareDVSPortSetting)
	if !ok || dvs == nil {
		return nil
	}
	if port.MacManagementPolicy != nil && !switchAtLeast(dvs, 6, 6) {
		return &types.NotSupported{}
	}
	if config, ok := dvs.Config.(*types.VMwareDVSConfigInfo); ok && port.LacpPolicy != nil &&
		config.LacpApiVersion == string(types.VMwareDvsLacpApiVersionMultipleLag) {
		return &types.InvalidArgument{InvalidProperty: "spec.defaultPortConfig.lacpPolicy"}
	}
	return nil
}

func switchAtLeast(dvs *simulator.DistributedVirtualSwitch, major, minor int) bool {
	if dvs.Summary.ProductInfo == nil {
		return false
	}
	parts := strings.Split(dvs.Summary.ProductInfo.Version, ".")
	if len(parts) < 2 {
		return false
	}
	got := [2]int{}
	for i := range got {
		got[i], _ = strconv.Atoi(parts[i])
	}
	return got[0] > major || (got[0] == major && got[1] >= minor)
}

// applyDelta sets what the spec sets and keeps the rest, then bumps configVersion.
func applyDelta(pg *simulator.DistributedVirtualPortgroup, spec types.DVPortgroupConfigSpec) {
	config := pg.Config
	if spec.Name != "" {
		config.Name = spec.Name
	}
	if spec.NumPorts != 0 {
		config.NumPorts = spec.NumPorts
	}
	if spec.Type != "" {
		config.Type = spec.Type
	}
	if spec.Description != "" {
		config.Description = spec.Description
	}
	if spec.PortNameFormat != "" {
		config.PortNameFormat = spec.PortNameFormat
	}
	if spec.AutoExpand != nil {
		config.AutoExpand = spec.AutoExpand
	}
	if spec.Policy != nil {
		config.Policy = spec.Policy
	}
	if spec.VmVnicNetworkResourcePoolKey != "" {
		config.VmVnicNetworkResourcePoolKey = spec.VmVnicNetworkResourcePoolKey
	}
	if spec.DefaultPortConfig != nil {
		if config.DefaultPortConfig == nil {
			config.DefaultPortConfig = spec.DefaultPortConfig
		} else {
			merge(reflect.ValueOf(&config.DefaultPortConfig).Elem(), reflect.ValueOf(&spec.DefaultPortConfig).Elem())
		}
	}
	version, _ := strconv.Atoi(currentConfigVersion(pg))
	config.ConfigVersion = strconv.Itoa(version + 1)
	changes := []types.PropertyChange{{Name: "config", Val: config}}
	if spec.Name != "" && spec.Name != pg.Name {
		changes = append(changes, types.PropertyChange{Name: "name", Val: spec.Name})
	}
	simulator.Map.Update(pg, changes)
}

// merge copies what “src“ sets into “dst“: nil pointers, nil interfaces and empty lists are
// "unset" and keep dst's value; structs merge field by field; scalars inside a set struct are
// taken as sent (they are required on the wire, e.g. InheritablePolicy.inherited).
func merge(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Ptr:
		if src.IsNil() {
			return
		}
		if dst.IsNil() || src.Elem().Kind() != reflect.Struct {
			dst.Set(src)
			return
		}
		merged := reflect.New(dst.Elem().Type())
		merged.Elem().Set(dst.Elem())
		merge(merged.Elem(), src.Elem())
		dst.Set(merged)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		if dst.IsNil() || dst.Elem().Type() != src.Elem().Type() {
			dst.Set(src)
			return
		}
		holder := reflect.New(dst.Elem().Type()).Elem()
		holder.Set(dst.Elem())
		merge(holder, src.Elem())
		dst.Set(holder)
	case reflect.Struct:
		for i := 0; i < src.NumField(); i++ {
			if dst.Field(i).CanSet() {
				merge(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if src.Len() > 0 {
			dst.Set(src)
		}
	default:
		dst.Set(src)
	}
}

// configVersionHook gives every distributed port group a configVersion ("0" when created), as
// vCenter does; vcsim leaves it unset, and a reconfigure must quote it.
type configVersionHook struct{}

func (configVersionHook) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "StrictFront", Value: "config-version-hook"}
}

func (configVersionHook) PutObject(mo.Reference) {}

// UpdateObject sees AddDVPortgroup_Task publish the switch's new port group list (vcsim fills a
// new port group's config after putting it in the registry, so PutObject is too early).
func (configVersionHook) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	dvs, ok := obj.(*mo.DistributedVirtualSwitch)
	if !ok {
		return
	}
	for _, change := range changes {
		if change.Name == "portgroup" {
			stampConfigVersions(dvs.Portgroup)
		}
	}
}

func (configVersionHook) RemoveObject(types.ManagedObjectReference) {}

func stampConfigVersions(refs []types.ManagedObjectReference) {
	for _, ref := range refs {
		if pg, ok := simulator.Map.Get(ref).(*simulator.DistributedVirtualPortgroup); ok && pg.Config.ConfigVersion == "" {
			pg.Config.ConfigVersion = "0"
		}
	}
}

func installConfigVersionHook() {
	for _, dvs := range switchesByName() {
		stampConfigVersions(dvs.Portgroup)
	}
	simulator.Map.AddHandler(configVersionHook{})
}
