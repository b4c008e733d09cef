//go:build linux

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"tether/server/procstat"
	"tether/server/store"
)

// bench runs the whole benchmark and returns its report, also when it
// stops half-way (the report then says how far it got).
func bench(ctx context.Context, cfg config, log *slog.Logger) (*Report, error) {
	rep := newReport(cfg)
	fds, err := raiseFileLimit()
	if err != nil {
		return nil, fmt.Errorf("file limit: %w", err)
	}
	rep.Machine.FileLimit = fds
	if need := 2*(cfg.Waiting*2+cfg.Active*2+cfg.Engineers) + 200; uint64(need) > fds {
		return nil, fmt.Errorf("RLIMIT_NOFILE is %d, the run needs about %d descriptors per process: raise the hard limit (ulimit -Hn)", fds, need)
	}
	dir, err := os.MkdirTemp("", "tether-load-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if cfg.Keep {
			log.Info("kept the temp folder", "dir", dir)
			return
		}
		os.RemoveAll(dir)
	}()

	// The cluster: PostgreSQL, the bus, the instances.
	db, err := startPostgres(ctx, cfg, dir, log)
	if err != nil {
		return nil, err
	}
	defer db.stop()
	ps := &procSet{db: db}
	busURL := ""
	if cfg.Instances > 1 {
		ps.bus, busURL, err = startBus(ctx, cfg.Tether, dir)
		if err != nil {
			return nil, fmt.Errorf("%w (the bus needs a server built with it; -instances 1 runs without)", err)
		}
		defer ps.bus.stop(syscall.SIGTERM, 10*time.Second)
	}
	secret := randomHex(32)
	for i := range cfg.Instances {
		in, err := startInstance(ctx, cfg.Tether, dir, fmt.Sprintf("load-%c", 'a'+i), secret, db.dsn, busURL)
		if err != nil {
			return nil, err
		}
		ps.instances = append(ps.instances, in)
		defer in.proc.stop(syscall.SIGTERM, 10*time.Second)
	}
	defer func() { rep.Logs = scanLogs(ps.instances) }()
	log.Info("cluster up", "instances", cfg.Instances, "bus", busURL != "")
	time.Sleep(time.Second)
	idle := ps.snap()

	st, err := store.Open(ctx, db.dsn, nil)
	if err != nil {
		return rep, err
	}
	defer st.Close()
	prov, err := seedProvider(ctx, st, cfg.Engineers, ps.engineerInstance)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	invs, err := prov.invite(ctx, cfg.Waiting+cfg.Active, 0)
	if err != nil {
		return rep, err
	}
	rep.SeedSeconds = time.Since(start).Seconds()
	log.Info("seeded", "engineers", cfg.Engineers, "sessions", len(invs), "seconds", rep.SeedSeconds)

	clientCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	sendCtx, stopSending := context.WithCancel(clientCtx)
	defer stopSending()
	l := newLoad(clientCtx, sendCtx, cfg, log)
	waitings := make([]*waiting, cfg.Waiting)
	for i := range waitings {
		waitings[i] = newWaiting(i, invs[i], newPeer(customerAddr(i)), ps.customerInstance(i))
		l.byID[waitings[i].inv.id] = waitings[i]
	}
	var actives []*active
	addActive := func(invs []invitation, first int) []*active {
		var as []*active
		for j, inv := range invs {
			as = append(as, newActive(inv, newPeer(customerAddr(first+j)), ps.customerInstance(first+j)))
		}
		return as
	}

	// Connect: consoles, then each waiting session's page and agent, then
	// each relayed session's viewer and agent.
	start = time.Now()
	pace := newPacer(cfg.Connect)
	defer pace.stop()
	for _, e := range prov.engineers {
		if err := pace.wait(ctx); err != nil {
			return rep, err
		}
		if err := e.openConsole(clientCtx, l, cfg.Waiting); err != nil {
			return rep, fmt.Errorf("console: %w", err)
		}
	}
	connected := make([]bool, cfg.Waiting)
	parallel(cfg.Waiting, func(i int) {
		w := waitings[i]
		if pace.wait(ctx) != nil || pace.wait(ctx) != nil {
			return
		}
		err := w.connectPage(clientCtx, l)
		if err == nil {
			err = w.connectAgent(l)
		}
		if err != nil {
			l.problems.add("setup: waiting session: " + err.Error())
			return
		}
		connected[i] = true
	})
	actives = addActive(invs[cfg.Waiting:], cfg.Waiting)
	started := startActives(ctx, l, pace, actives)
	rep.SetupSeconds = time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	log.Info("connected", "waiting", cfg.Waiting, "active", started, "seconds", rep.SetupSeconds)

	// Waiting agents drop and come back, spread evenly over the period.
	var cycling sync.WaitGroup
	if cfg.Reconnect > 0 {
		for i, w := range waitings {
			if !connected[i] {
				continue
			}
			cycling.Go(func() {
				t := time.NewTimer(cfg.Reconnect * time.Duration(i) / time.Duration(len(waitings)))
				defer t.Stop()
				for {
					select {
					case <-sendCtx.Done():
						return
					case <-t.C:
					}
					w.cycle(l)
					t.Reset(cfg.Reconnect)
				}
			})
		}
	}

	sleep(ctx, cfg.Warmup)
	l.rec.next()
	log.Info("measuring", "duration", cfg.Duration)
	steady := measure(ctx, l, ps, "steady", cfg.Waiting, len(actives), cfg.Duration)
	rep.Steady = &steady
	rep.Memory = memoryPerSession(idle, ps.snap(), cfg.Waiting, len(actives))

	if cfg.Ramp && ctx.Err() == nil {
		rep.RampStop = ramp(ctx, l, ps, prov, cfg, &actives, rep, addActive)
	}

	// Stop sending, let what is in flight arrive, then count.
	stopSending()
	cycling.Wait()
	l.sending.Wait()
	rep.Flows = drain(ctx, l, cfg.CheckTimeout, waitings, actives, prov.engineers, connected)
	rep.Database = checkDatabase(ctx, db.dsn, prov.id, cfg.CheckTimeout, waitings, actives, connected)
	rep.Problems = l.problems.list()
	rep.Interrupted = ctx.Err() != nil
	stopClients()
	return rep, ctx.Err()
}

// startActives starts relayed sessions, paced, and returns how many stream.
func startActives(ctx context.Context, l *load, pace *pacer, as []*active) int {
	var ok sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for _, a := range as {
		ok.Go(func() {
			if pace.wait(ctx) != nil || pace.wait(ctx) != nil {
				return
			}
			if err := a.start(l.ctx, l); err != nil {
				l.problems.add("setup: relayed session: " + err.Error())
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
		})
	}
	ok.Wait()
	return n
}

// ramp adds relayed sessions step by step until signaling p99 passes the
// limit, delivery falls short, or a cap is reached; it says which.
func ramp(ctx context.Context, l *load, ps *procSet, prov *provider, cfg config, actives *[]*active, rep *Report,
	add func([]invitation, int) []*active) string {
	pace := newPacer(cfg.Connect)
	defer pace.stop()
	for step := 1; ; step++ {
		n := len(*actives)
		switch {
		case ctx.Err() != nil:
			return "interrupted"
		case n+cfg.RampStep > cfg.RampMax:
			return fmt.Sprintf("reached -ramp-max %d", cfg.RampMax)
		case uint64(openFiles()+4*cfg.RampStep+100) > rep.Machine.FileLimit:
			return "the generator is out of file descriptors"
		}
		invs, err := prov.invite(ctx, cfg.RampStep, cfg.Waiting+n)
		if err != nil {
			return "seeding failed: " + err.Error()
		}
		more := add(invs, cfg.Waiting+n)
		*actives = append(*actives, more...)
		if got := startActives(ctx, l, pace, more); got < len(more) {
			return fmt.Sprintf("only %d of %d new relayed sessions started", got, len(more))
		}
		l.rec.next()
		name := fmt.Sprintf("ramp %d", step)
		l.log.Info("ramp step", "step", step, "active", len(*actives))
		p := measure(ctx, l, ps, name, cfg.Waiting, len(*actives), cfg.RampEvery)
		rep.Ramp = append(rep.Ramp, p)
		if p.SignalingP99 > float64(cfg.P99Limit)/float64(time.Millisecond) {
			return fmt.Sprintf("signaling p99 %.1f ms passed %s at %d relayed sessions", p.SignalingP99, cfg.P99Limit, p.Active)
		}
		if p.Delivery < cfg.MinDelivery {
			return fmt.Sprintf("delivery %.0f %% of the target fell below %.0f %% at %d relayed sessions", 100*p.Delivery, 100*cfg.MinDelivery, p.Active)
		}
		if ps.anyExited() {
			return "a process of the cluster exited"
		}
	}
}

// pacer releases one waiter per tick: connections are opened at a set
// rate, as customers and engineers arrive, not all in the same instant.
type pacer struct{ t *time.Ticker }

func newPacer(perSecond int) *pacer {
	return &pacer{t: time.NewTicker(time.Second / time.Duration(perSecond))}
}

func (p *pacer) wait(ctx context.Context) error {
	select {
	case <-p.t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pacer) stop() { p.t.Stop() }

// openFiles counts the descriptors this process holds.
func openFiles() int {
	d, _ := os.ReadDir("/proc/self/fd")
	return len(d)
}

// parallel runs fn(0..n-1), each in its own goroutine, and waits.
func parallel(n int, fn func(int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// procSet is the processes a window measures.
type procSet struct {
	instances []*instance
	bus       *proc
	db        *database
}

// customerInstance is where customer i's agent and page connect: the
// instances but the last, in turn (the only one when there is one).
func (ps *procSet) customerInstance(i int) *instance {
	if len(ps.instances) == 1 {
		return ps.instances[0]
	}
	return ps.instances[i%(len(ps.instances)-1)]
}

// engineerInstance is where engineers' consoles and viewers connect: the
// last instance, so that every signal crosses between instances.
func (ps *procSet) engineerInstance(int) *instance { return ps.instances[len(ps.instances)-1] }

func (ps *procSet) anyExited() bool {
	for _, in := range ps.instances {
		if in.proc.exited() {
			return true
		}
	}
	return ps.bus != nil && ps.bus.exited()
}

// snapshot is the processes' CPU ticks and memory at one moment.
type snapshot struct {
	at          time.Time
	cpu         map[string]int64 // clock ticks by process name
	rss         map[string]int64 // bytes
	busy, total int64            // the whole machine
}

func (ps *procSet) snap() snapshot {
	s := snapshot{at: time.Now(), cpu: map[string]int64{}, rss: map[string]int64{}}
	add := func(name string, pid int) {
		if st, err := procstat.Read(pid); err == nil {
			s.cpu[name] = st.CPU
		}
		if r, err := procstat.RSS(pid); err == nil {
			s.rss[name] = r
		}
	}
	for _, in := range ps.instances {
		add(in.name, in.proc.pid())
	}
	if ps.bus != nil {
		add("bus", ps.bus.pid())
	}
	if ps.db.proc != nil {
		if t, err := procstat.TreeCPU(ps.db.proc.pid()); err == nil {
			s.cpu["postgres"] = t
		}
	}
	add("generator", os.Getpid())
	s.busy, s.total = procstat.Machine()
	return s
}

// measure runs one window of d and summarises it.
func measure(ctx context.Context, l *load, ps *procSet, name string, waitingN, activeN int, d time.Duration) Phase {
	before := ps.snap()
	sleep(ctx, d)
	after := ps.snap()
	w := l.rec.next()
	return summarise(name, w, before, after, waitingN, activeN, l.cfg)
}

// drain waits until every numbered stream has arrived complete, or the
// timeout passes, and returns the flows as they are then.
func drain(ctx context.Context, l *load, timeout time.Duration, ws []*waiting, as []*active, engs []*engineer, connected []bool) Flows {
	deadline := time.Now().Add(timeout)
	for {
		f := countFlows(ws, as, engs, connected)
		if f.complete() || time.Now().After(deadline) || ctx.Err() != nil {
			return f
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scanLogs counts the warnings and errors each instance logged.
func scanLogs(ins []*instance) map[string]LogCounts {
	out := map[string]LogCounts{}
	for _, in := range ins {
		out[in.name] = countLog(in.log)
	}
	return out
}
