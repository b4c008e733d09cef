package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"tether/server/config"
	"tether/server/hub"
)

// runBus is `tether bus`: the message bus several Tether instances share, an
// embedded NATS server, so that a deployment needs no second program. A
// NATS cluster run on its own (nats-server) works the same; see
// docs/deploy.md.
func runBus(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c, err := config.ParseBus(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "tether bus: configuration error:\n%v\n", err)
		return 2
	}
	srv, err := hub.StartBusServer(hub.BusServerOptions{
		Listen: c.Listen, User: c.User, Password: c.Password, ClusterListen: c.ClusterListen, Routes: c.Routes,
		TLSCert: c.TLSCert, TLSKey: c.TLSKey,
	})
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
