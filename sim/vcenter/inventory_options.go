// Inventory options beyond vcsim's counts: the awkward corners of real clusters that fuelbot's
// placement and preflight must handle (a datastore only one host mounts, a host outside the
// distributed switch, a disconnected or maintenance host, DRS off, a small or vSAN datastore,
// a switch whose uplinks sit on a LAG, newer ESXi and switch versions).
package main

import (
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"sort"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type inventoryOptions struct {
	singleHostDatastore bool   // the last datastore is mounted on the first cluster host only
	outsideSwitchHost   string // this host is not a member of the distributed switches
	disconnectedHost    string
	maintenanceHost     string
	drs                 bool
	datastoreGB         int    // capacity (and free space) of every datastore; 0: the real filesystem's
	vsan                bool   // the first datastore is a vSAN datastore
	lag                 bool   // DVS0's uplinks form a LAG while its port groups use standalone uplinks
	esxiVersion         string // version every host reports
	switchVersion       string // version the distributed switches report
	iso                 string // a file to put on the first datastore, e.g. iso/MirantisOpenStack-6.0.iso
	opaqueNetwork       string // an NSX-T opaque network of this name in every datacenter
}

func (o inventoryOptions) apply() error {
	steps := []func() error{o.datastores, o.hostStates, o.cluster, o.switches, o.opaque}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func hostsByName() []*simulator.HostSystem {
	var hosts []*simulator.HostSystem
	for _, e := range simulator.Map.All("HostSystem") {
		hosts = append(hosts, e.(*simulator.HostSystem))
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].Name < hosts[j].Name })
	return hosts
}

func hostNamed(name string) (*simulator.HostSystem, error) {
	for _, host := range hostsByName() {
		if host.Name == name {
			return host, nil
		}
	}
	return nil, fmt.Errorf("no host named %q", name)
}

func (o inventoryOptions) datastores() error {
	var stores []*simulator.Datastore
	for _, e := range simulator.Map.All("Datastore") {
		stores = append(stores, e.(*simulator.Datastore))
	}
	sort.Slice(stores, func(i, j int) bool { return stores[i].Name < stores[j].Name })
	for i, ds := range stores {
		if o.datastoreGB > 0 {
			size := int64(o.datastoreGB) << 30
			ds.Summary.Capacity, ds.Summary.FreeSpace = size, size
			ds.Info.GetDatastoreInfo().FreeSpace = size
		}
		if o.vsan && i == 0 {
			ds.Summary.Type = "vsan"
		}
	}
	if o.iso != "" && len(stores) > 0 {
		// An empty file stands for the ISO: the datastore browser finds it, nothing reads it.
		file := filepath.Join(stores[0].Info.GetDatastoreInfo().Url, filepath.FromSlash(o.iso))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := ioutil.WriteFile(file, nil, 0o644); err != nil {
			return err
		}
	}
	if !o.singleHostDatastore {
		return nil
	}
	if len(stores) < 2 {
		return fmt.Errorf("-single-host-ds needs -ds 2 or more")
	}
	last := stores[len(stores)-1]
	var clustered []*simulator.HostSystem
	for _, host := range hostsByName() {
		if _, ok := simulator.Map.Get(*host.Parent).(*simulator.ClusterComputeResource); ok {
			clustered = append(clustered, host)
		}
	}
	for _, host := range clustered[1:] {
		simulator.Map.RemoveReference(host, &host.Datastore, last.Self)
		var mounts []types.DatastoreHostMount
		for _, mount := range last.Host {
			if mount.Key != host.Self {
				mounts = append(mounts, mount)
			}
		}
		last.Host = mounts
	}
	return nil
}

func (o inventoryOptions) hostStates() error {
	if o.disconnectedHost != "" {
		host, err := hostNamed(o.disconnectedHost)
		if err != nil {
			return err
		}
		simulator.Map.Update(host, []types.PropertyChange{
			{Name: "runtime.connectionState", Val: types.HostSystemConnectionStateDisconnected}})
	}
	if o.maintenanceHost != "" {
		host, err := hostNamed(o.maintenanceHost)
		if err != nil {
			return err
		}
		simulator.Map.Update(host, []types.PropertyChange{{Name: "runtime.inMaintenanceMode", Val: true}})
	}
	if o.esxiVersion != "" {
		for _, host := range hostsByName() {
			product := host.Config.Product
			product.Version = o.esxiVersion
			product.FullName = "VMware ESXi " + o.esxiVersion
			config := *host.Config
			config.Product = product
			host.Config = &config
			summary := product
			host.Summary.Config.Product = &summary
		}
	}
	return nil
}

func (o inventoryOptions) cluster() error {
	if o.drs {
		return nil
	}
	for _, e := range simulator.Map.All("ClusterComputeResource") {
		cluster := e.(*simulator.ClusterComputeResource)
		if config, ok := cluster.ConfigurationEx.(*types.ClusterConfigInfoEx); ok {
			config.DrsConfig.Enabled = types.NewBool(false)
		}
	}
	return nil
}

func switchesByName() []*simulator.DistributedVirtualSwitch {
	var switches []*simulator.DistributedVirtualSwitch
	for _, kind := range []string{"VmwareDistributedVirtualSwitch", "DistributedVirtualSwitch"} {
		for _, e := range simulator.Map.All(kind) {
			switches = append(switches, e.(*simulator.DistributedVirtualSwitch))
		}
	}
	sort.Slice(switches, func(i, j int) bool { return switches[i].Name < switches[j].Name })
	return switches
}

func (o inventoryOptions) switches() error {
	if o.outsideSwitchHost != "" {
		host, err := hostNamed(o.outsideSwitchHost)
		if err != nil {
			return err
		}
		for _, dvs := range switchesByName() {
			leaveSwitch(dvs, host)
		}
	}
	for _, dvs := range switchesByName() {
		if o.switchVersion != "" && dvs.Summary.ProductInfo != nil {
			product := *dvs.Summary.ProductInfo
			product.Version = o.switchVersion
			dvs.Summary.ProductInfo = &product
			dvs.Config.GetDVSConfigInfo().ProductInfo = product
		}
		if o.lag && dvs.Name == "DVS0" {
			if err := withLAG(dvs); err != nil {
				return err
			}
		}
	}
	return nil
}

func leaveSwitch(dvs *simulator.DistributedVirtualSwitch, host *simulator.HostSystem) {
	members := append([]types.ManagedObjectReference(nil), dvs.Summary.HostMember...)
	simulator.RemoveReference(&members, host.Self)
	simulator.Map.Update(dvs, []types.PropertyChange{{Name: "summary.hostMember", Val: members}})
	for _, ref := range dvs.Portgroup {
		if pg, ok := simulator.Map.Get(ref).(*simulator.DistributedVirtualPortgroup); ok {
			simulator.Map.RemoveReference(pg, &pg.Host, host.Self)
		}
		simulator.Map.RemoveReference(host, &host.Network, ref)
	}
}

// withLAG gives the switch one LACP LAG of two uplinks (enhanced LACP, as vSphere 5.5+ configures
// it) while the switch's default teaming keeps the standalone uplinks active: the article's
// physical switch bundles the host's pNICs, so such a port group has no working path.
func withLAG(dvs *simulator.DistributedVirtualSwitch) error {
	config, ok := dvs.Config.(*types.VMwareDVSConfigInfo)
	if !ok {
		return fmt.Errorf("switch %s has no VMware configuration", dvs.Name)
	}
	config.LacpApiVersion = string(types.VMwareDvsLacpApiVersionMultipleLag)
	config.LacpGroupConfig = []types.VMwareDvsLacpGroupConfig{{
		Key: "lag1-key", Name: "lag1", Mode: "active", UplinkNum: 2,
		UplinkName: []string{"lag1-0", "lag1-1"}, LoadbalanceAlgorithm: "srcDestIpTcpUdpPortVlan",
	}}
	uplinks := []string{"uplink1", "uplink2"}
	if policy, ok := config.UplinkPortPolicy.(*types.DVSNameArrayUplinkPortPolicy); ok && len(policy.UplinkPortName) > 0 {
		uplinks = policy.UplinkPortName
	} else {
		config.UplinkPortPolicy = &types.DVSNameArrayUplinkPortPolicy{UplinkPortName: uplinks}
	}
	setting, _ := config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
	if setting == nil {
		setting = &types.VMwareDVSPortSetting{}
	}
	setting.UplinkTeamingPolicy = &types.VmwareUplinkPortTeamingPolicy{
		Policy: &types.StringPolicy{Value: "loadbalance_srcid"},
		UplinkPortOrder: &types.VMwareUplinkPortOrderPolicy{
			ActiveUplinkPort: append([]string(nil), uplinks...),
		},
	}
	config.DefaultPortConfig = setting
	return nil
}

func (o inventoryOptions) opaque() error {
	if o.opaqueNetwork == "" {
		return nil
	}
	for _, e := range simulator.Map.All("Datacenter") {
		dc := e.(*simulator.Datacenter)
		if folder, ok := simulator.Map.Get(dc.NetworkFolder).(*simulator.Folder); ok {
			if err := folder.AddOpaqueNetwork(types.OpaqueNetworkSummary{
				NetworkSummary: types.NetworkSummary{Name: o.opaqueNetwork}}); err != nil {
				return err
			}
		}
	}
	return nil
}
