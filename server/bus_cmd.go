package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"tether/server/hub"
)

// runBus is `tether bus`: the message bus several Tether instances share, an
// embedded NATS server, so that a deployment needs no second program. A
// NATS cluster run on its own (nats-server) works the same; see
// docs/deploy.md.
func runBus(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tether bus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(k, def string) string {
		if v := getenv("TETHER_BUS_" + k); v != "" {
			return v
		}
		return def
	}
	var o hub.BusServerOptions
	var routes string
	fs.StringVar(&o.Listen, "listen", env("LISTEN", ":4222"), "address Tether instances connect to (TETHER_BUS_LISTEN)")
	fs.StringVar(&o.User, "user", env("USER", "tether"), "user instances authenticate as (TETHER_BUS_USER)")
	fs.StringVar(&o.Password, "password", env("PASSWORD", ""), "password instances authenticate with, 16+ characters (TETHER_BUS_PASSWORD)")
	fs.StringVar(&o.ClusterListen, "cluster-listen", env("CLUSTER_LISTEN", ""), "address other bus servers connect to, to form a cluster (TETHER_BUS_CLUSTER_LISTEN)")
	fs.StringVar(&routes, "routes", env("ROUTES", ""), "comma-separated nats-route://user:password@host:port of the other bus servers (TETHER_BUS_ROUTES)")
	fs.StringVar(&o.TLSCert, "tls-cert", env("TLS_CERT", ""), "TLS certificate: instances then connect with tls:// (TETHER_BUS_TLS_CERT)")
	fs.StringVar(&o.TLSKey, "tls-key", env("TLS_KEY", ""), "TLS key (TETHER_BUS_TLS_KEY)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	for _, r := range strings.Split(routes, ",") {
		if r = strings.TrimSpace(r); r != "" {
			o.Routes = append(o.Routes, r)
		}
	}
	srv, err := hub.StartBusServer(o)
	if err != nil {
		fmt.Fprintf(stderr, "tether %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Tether message bus listening on %s\n", srv.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	srv.Shutdown()
	return 0
}
