// Command vcsim serves govmomi's vCenter simulator with an inventory shaped like fuelbot's labs,
// made as strict as vCenter where fuelbot depends on it.
//
// Debian's golang-github-vmware-govmomi-dev ships only the simulator library, not the upstream
// vcsim command, so fuelbot builds this small main (sim/vcenter/build.py compiles every Go file of
// this folder). The first line on stdout is the SDK URL; diagnostics go to stderr, which callers
// send to a file. Strictness lives beside this file: strict_front.go (CreateVM, CloneVM, PowerOn,
// ReconfigureDVPortgroup), strict_host_network.go (host port groups); inventory_options.go adds
// the awkward corners of real clusters. -lenient serves plain vcsim, to compare.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	listen := flag.String("l", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	user := flag.String("user", "", "fixed login user (empty: any non-empty user/password is accepted)")
	pass := flag.String("pass", "", "fixed login password")
	dc := flag.Int("dc", 1, "datacenters")
	cluster := flag.Int("cluster", 1, "clusters per datacenter")
	host := flag.Int("host", 3, "ESXi hosts per cluster")
	standalone := flag.Int("standalone-host", 0, "standalone ESXi hosts per datacenter")
	ds := flag.Int("ds", 1, "datastores")
	pg := flag.Int("pg", 1, "distributed port groups per datacenter (on DVS0)")
	vm := flag.Int("vm", 0, "VMs per root resource pool")
	pool := flag.Int("pool", 0, "child resource pools per cluster")
	autostart := flag.Bool("autostart", false, "power on the model's VMs")
	useTLS := flag.Bool("tls", false, "serve https")
	tlsCert := flag.String("tls-cert", "", "PEM certificate for -tls (default: Go's test certificate)")
	tlsKey := flag.String("tls-key", "", "PEM key for -tls-cert")
	idle := flag.Duration("session-idle", 0, "expire sessions idle this long (0: never)")
	delay := flag.Int("delay", 0, "milliseconds of delay added to every SOAP call")
	apiVersion := flag.String("api-version", "", "API version to report (default: the model's, 6.5)")
	lenient := flag.Bool("lenient", false, "serve plain vcsim, without the strict overrides")
	var options inventoryOptions
	flag.BoolVar(&options.singleHostDatastore, "single-host-ds", false,
		"mount the last datastore on the cluster's first host only (needs -ds 2 or more)")
	flag.StringVar(&options.outsideSwitchHost, "outside-dvs-host", "", "this host is no member of the distributed switches")
	flag.StringVar(&options.disconnectedHost, "disconnected-host", "", "this host is disconnected")
	flag.StringVar(&options.maintenanceHost, "maintenance-host", "", "this host is in maintenance mode")
	flag.BoolVar(&options.drs, "drs", true, "DRS is enabled on the clusters")
	flag.IntVar(&options.datastoreGB, "ds-gb", 0, "capacity and free space of every datastore in GiB (0: the filesystem's)")
	flag.BoolVar(&options.vsan, "vsan", false, "the first datastore is a vSAN datastore")
	flag.BoolVar(&options.lag, "lag", false, "DVS0's uplinks form a LACP LAG; its port groups keep standalone uplinks")
	flag.StringVar(&options.esxiVersion, "esxi-version", "", "ESXi version every host reports (default 6.5.0)")
	flag.StringVar(&options.switchVersion, "dvs-version", "", "version the distributed switches report (default 6.5.0)")
	flag.StringVar(&options.opaqueNetwork, "opaque-network", "", "an NSX-T opaque network of this name")
	flag.StringVar(&options.iso, "iso", "", "put an (empty) file at this path of the first datastore, e.g. iso/MirantisOpenStack-6.0.iso")
	flag.Parse()

	// Catch signals before anything exists: a SIGINT that lands right after the URL is printed
	// must still run model.Remove(), or the temporary datastore folder is left behind.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)

	model := simulator.VPX()
	model.Datacenter = *dc
	model.Cluster = *cluster
	model.ClusterHost = *host
	model.Host = *standalone
	model.Datastore = *ds
	model.Portgroup = *pg
	model.Machine = *vm
	model.Pool = *pool
	model.Autostart = *autostart
	if *lenient {
		model.DelayConfig.Delay = *delay // the strict front applies it otherwise, once per call
	}
	if *apiVersion != "" {
		model.ServiceContent.About.ApiVersion = *apiVersion
	}
	simulator.SessionIdleTimeout = *idle

	if err := model.Create(); err != nil {
		model.Remove()
		log.Fatalf("vcsim: creating the model: %v", err)
	}
	// Remove deletes the temporary datastore directories; it must run on every exit path.
	defer model.Remove()
	if err := options.apply(); err != nil {
		model.Remove()
		log.Fatalf("vcsim: inventory options: %v", err)
	}
	if !*lenient {
		installStrictHostNetworks()
		installConfigVersionHook()
	}

	model.Service.Listen = &url.URL{Host: *listen}
	if *user != "" {
		model.Service.Listen.User = url.UserPassword(*user, *pass)
	}
	if *useTLS {
		model.Service.TLS = new(tls.Config)
		if *tlsCert != "" {
			cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
			if err != nil {
				model.Remove()
				log.Fatalf("vcsim: loading -tls-cert/-tls-key: %v", err)
			}
			model.Service.TLS.Certificates = []tls.Certificate{cert}
		}
	}

	server := model.Service.NewServer()
	defer server.Close()
	if !*lenient {
		// Set before the URL is printed: no client can have connected yet.
		server.Config.Handler = newStrictFront(server.Config.Handler, time.Duration(*delay)*time.Millisecond)
	}

	// Print the URL without credentials: callers know them, and stdout may end up in logs.
	u := *server.URL
	u.User = nil
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, u.String())
	out.Flush()

	sig := <-signals
	log.Printf("vcsim: %s received, stopping", sig)
}
