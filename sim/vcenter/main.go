// Command vcsim serves govmomi's vCenter simulator with an inventory shaped like fuelbot's labs.
//
// Debian's golang-github-vmware-govmomi-dev ships only the simulator library, not the upstream
// vcsim command, so fuelbot builds this small main (sim/vcenter/build.py). The first line
// on stdout is the SDK URL; diagnostics go to stderr, which callers send to a file.
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
	model.DelayConfig.Delay = *delay
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

	// Print the URL without credentials: callers know them, and stdout may end up in logs.
	u := *server.URL
	u.User = nil
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, u.String())
	out.Flush()

	sig := <-signals
	log.Printf("vcsim: %s received, stopping", sig)
}
