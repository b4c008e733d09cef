//go:build linux

// Command loadgen is Tether's load benchmark (issue 7): it starts a
// throwaway PostgreSQL cluster, the message bus and several Tether
// instances, seeds a provider, engineers and sessions through the store,
// and drives them with fake agents, invitation pages, consoles and viewers
// that speak the real protocol over real websockets. It reports signaling
// latency, relayed throughput, memory per session, CPU per relayed MB and
// whether any signal, relayed message, session record or event was lost.
//
//	go run ./server/loadgen -h
//	go tool task bench:load -- -waiting 100 -active 10 -duration 30s
//
// The generator runs on the same machine as everything it measures; its
// own CPU is in the report so that a saturated generator shows.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	rep, err := bench(ctx, cfg, log)
	if rep != nil {
		md := rep.Markdown()
		fmt.Fprint(stdout, md)
		if werr := rep.write(cfg.Out, md); werr != nil {
			log.Error("write report", "err", werr)
		}
	}
	if err != nil {
		log.Error("load benchmark failed", "err", err)
		return 1
	}
	if !rep.Passed() {
		return 1
	}
	return 0
}
