package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
)

// Bus is the configuration of `tether bus`, the embedded NATS server
// several instances share.
type Bus struct {
	// Listen is host:port for the instances.
	Listen string
	// User and Password are what instances authenticate with.
	User, Password string
	// ClusterListen and Routes join several bus servers into one cluster.
	ClusterListen string
	Routes        []string
	// TLSCert and TLSKey make instances connect with tls://.
	TLSCert, TLSKey string
}

// ParseBus reads the bus's flags and TETHER_BUS_* variables, like Parse.
func ParseBus(args []string, getenv func(string) string, out io.Writer) (Bus, error) {
	var b Bus
	fs := flag.NewFlagSet("tether bus", flag.ContinueOnError)
	fs.SetOutput(out)
	env := envLookup(getenv, "TETHER_BUS_")
	var routes string
	fs.StringVar(&b.Listen, "listen", env("LISTEN", ":4222"), "address Tether instances connect to (TETHER_BUS_LISTEN)")
	fs.StringVar(&b.User, "user", env("USER", "tether"), "user instances authenticate as (TETHER_BUS_USER)")
	fs.StringVar(&b.Password, "password", env("PASSWORD", ""), "password instances authenticate with, 16+ characters (TETHER_BUS_PASSWORD)")
	fs.StringVar(&b.ClusterListen, "cluster-listen", env("CLUSTER_LISTEN", ""), "address other bus servers connect to, to form a cluster (TETHER_BUS_CLUSTER_LISTEN)")
	fs.StringVar(&routes, "routes", env("ROUTES", ""), "comma-separated nats-route://user:password@host:port of the other bus servers (TETHER_BUS_ROUTES)")
	fs.StringVar(&b.TLSCert, "tls-cert", env("TLS_CERT", ""), "TLS certificate: instances then connect with tls:// (TETHER_BUS_TLS_CERT)")
	fs.StringVar(&b.TLSKey, "tls-key", env("TLS_KEY", ""), "TLS key (TETHER_BUS_TLS_KEY)")
	if err := fs.Parse(args); err != nil {
		return b, err
	}
	if fs.NArg() > 0 {
		return b, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var errs []error
	for _, r := range strings.Split(routes, ",") {
		if r = strings.TrimSpace(r); r != "" {
			b.Routes = append(b.Routes, r)
		}
	}
	if _, _, err := net.SplitHostPort(b.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen %q: want host:port, e.g. :4222", b.Listen))
	}
	if b.ClusterListen != "" {
		if _, _, err := net.SplitHostPort(b.ClusterListen); err != nil {
			errs = append(errs, fmt.Errorf("cluster-listen %q: want host:port, e.g. :6222", b.ClusterListen))
		}
	}
	if b.User == "" || len(b.Password) < 16 {
		errs = append(errs, errors.New("password: instances must authenticate: give -password (or TETHER_BUS_PASSWORD) of at least 16 characters"))
	}
	if (b.TLSCert == "") != (b.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key must be given together"))
	}
	return b, errors.Join(errs...)
}

// envLookup reads prefix+name through getenv, or def when it is empty.
func envLookup(getenv func(string) string, prefix string) func(name, def string) string {
	return func(name, def string) string {
		if v := getenv(prefix + name); v != "" {
			return v
		}
		return def
	}
}
