//go:build linux

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// config is the benchmark's whole configuration, from flags.
type config struct {
	Tether    string // the server binary
	Instances int
	Postgres  string `json:"-"` // an admin DSN to use instead of a cluster of our own; may hold a password
	PGBin     string
	PGMaxConn int

	Waiting   int
	Active    int
	Engineers int
	Rate      int // bytes a second per relayed session, agent → viewer
	FPS       int
	InputRate int // mouse moves a second per viewer
	Signal    time.Duration
	Stats     time.Duration
	Reconnect time.Duration // how often each waiting agent reconnects
	Connect   int           // new websocket connections a second while setting up

	Warmup   time.Duration
	Duration time.Duration

	Ramp         bool
	RampStep     int
	RampEvery    time.Duration
	RampMax      int
	P99Limit     time.Duration
	MinDelivery  float64
	CheckTimeout time.Duration

	Out  string
	Keep bool
	// Args are the flags as given, for the report.
	Args []string
}

func parseConfig(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: go run ./server/loadgen [flags]\n\nTether's load benchmark: PostgreSQL, the bus and N instances on loopback, fake agents and viewers speaking the real protocol.\n\n")
		fs.PrintDefaults()
	}
	rate := "100KB"
	fs.StringVar(&c.Tether, "tether", "bin/tether", "the server binary (go tool task build)")
	fs.IntVar(&c.Instances, "instances", 2, "Tether instances; with 2 or more they join a message bus, customers use the first ones and engineers the last")
	fs.StringVar(&c.Postgres, "postgres", "", "admin DSN of a PostgreSQL server to create a throwaway database in; empty starts a cluster of our own in a temp folder")
	fs.StringVar(&c.PGBin, "pgbin", "/usr/lib/postgresql/15/bin", "PostgreSQL binaries (initdb, postgres) for a cluster of our own")
	fs.IntVar(&c.PGMaxConn, "pg-max-connections", 300, "max_connections of our own cluster")
	fs.IntVar(&c.Waiting, "waiting", 2000, "waiting sessions: agent joined without consent and invitation page on a customer instance, console on an engineer instance")
	fs.IntVar(&c.Active, "active", 200, "relayed active sessions: agent on a customer instance, viewer on an engineer instance")
	fs.IntVar(&c.Engineers, "engineers", 50, "engineers of the provider; each has one console open, sessions are shared out among them")
	fs.StringVar(&rate, "rate", rate, "relayed bytes a second per active session, agent to viewer (KB = 1000 bytes, MB = 1000 KB)")
	fs.IntVar(&c.FPS, "fps", 20, "frames a second per active session; a frame averages rate/fps bytes")
	fs.IntVar(&c.InputRate, "input-rate", 10, "mouse moves a second each viewer sends")
	fs.DurationVar(&c.Signal, "signal-every", time.Second, "how often each end of an active session sends a timestamped candidate signal")
	fs.DurationVar(&c.Stats, "stats-every", 5*time.Second, "how often agents report byte counters (stats), as the real agent does")
	fs.DurationVar(&c.Reconnect, "reconnect-every", time.Minute, "how often each waiting agent drops its connection and comes back (0: never)")
	fs.IntVar(&c.Connect, "connect-rate", 200, "new websocket connections a second while setting up")
	fs.DurationVar(&c.Warmup, "warmup", 10*time.Second, "time after setup before measuring")
	fs.DurationVar(&c.Duration, "duration", 10*time.Minute, "length of the steady phase")
	fs.BoolVar(&c.Ramp, "ramp", false, "after the steady phase, add relayed sessions in steps until signaling p99 passes -p99-limit")
	fs.IntVar(&c.RampStep, "ramp-step", 25, "relayed sessions added per ramp step")
	fs.DurationVar(&c.RampEvery, "ramp-every", 30*time.Second, "measured length of each ramp step")
	fs.IntVar(&c.RampMax, "ramp-max", 3000, "stop the ramp at this many relayed sessions")
	fs.DurationVar(&c.P99Limit, "p99-limit", 200*time.Millisecond, "signaling p99 that ends the ramp")
	fs.Float64Var(&c.MinDelivery, "min-delivery", 0.9, "delivered share of the target rate below which the ramp ends")
	fs.DurationVar(&c.CheckTimeout, "drain", 5*time.Second, "how long to wait for messages in flight before counting losses")
	fs.StringVar(&c.Out, "out", "bench-results", "folder for load-<date>-<commit>.md and .json (empty: none)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the temp folder (instance logs, PostgreSQL data) and print its path")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "postgres" {
			c.Args = append(c.Args, "-"+f.Name+"="+f.Value.String())
		}
	})
	var errs []error
	var err error
	if c.Rate, err = parseRate(rate); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []struct {
		name string
		v    int
		min  int
	}{{"instances", c.Instances, 1}, {"waiting", c.Waiting, 0}, {"active", c.Active, 0}, {"engineers", c.Engineers, 1},
		{"fps", c.FPS, 1}, {"input-rate", c.InputRate, 0}, {"connect-rate", c.Connect, 1}, {"ramp-step", c.RampStep, 1}} {
		if f.v < f.min {
			errs = append(errs, fmt.Errorf("-%s %d: want at least %d", f.name, f.v, f.min))
		}
	}
	if c.Signal <= 0 || c.Stats <= 0 || c.Duration <= 0 || c.RampEvery <= 0 {
		errs = append(errs, errors.New("-signal-every, -stats-every, -duration and -ramp-every must be positive"))
	}
	if c.Engineers > 60000 || c.Waiting+c.Active+c.RampMax > 60000*4 {
		errs = append(errs, errors.New("too many engineers or customers for the loopback addresses this generator hands out"))
	}
	return c, errors.Join(errs...)
}

// parseRate reads "100KB", "1.5MB", "2000" (bytes) as bytes a second.
func parseRate(s string) (int, error) {
	t := strings.ToUpper(strings.TrimSuffix(strings.TrimSpace(s), "/s"))
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "MB"):
		mult, t = 1e6, strings.TrimSuffix(t, "MB")
	case strings.HasSuffix(t, "KB"):
		mult, t = 1e3, strings.TrimSuffix(t, "KB")
	case strings.HasSuffix(t, "B"):
		t = strings.TrimSuffix(t, "B")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*mult > 100e6 {
		return 0, fmt.Errorf("-rate %q: want bytes a second such as 100KB or 1MB", s)
	}
	return int(v * mult), nil
}
