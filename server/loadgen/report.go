//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"tether/server/procstat"
)

// Report is everything a run found; the JSON file holds it whole.
type Report struct {
	Date    string  `json:"date"`
	Commit  string  `json:"commit"`
	Config  config  `json:"config"`
	Machine Machine `json:"machine"`

	// Interrupted: the run was stopped (Ctrl-C) and covers part of it.
	Interrupted  bool     `json:"interrupted,omitempty"`
	SeedSeconds  float64  `json:"seed_seconds"`
	SetupSeconds float64  `json:"setup_seconds"`
	Steady       *Phase   `json:"steady,omitempty"`
	Memory       *Memory  `json:"memory,omitempty"`
	Ramp         []Phase  `json:"ramp,omitempty"`
	RampStop     string   `json:"ramp_stop,omitempty"`
	Flows        Flows    `json:"flows"`
	Database     DBCheck  `json:"database"`
	Problems     []string `json:"problems"`
	// Logs counts each instance's warnings and errors.
	Logs map[string]LogCounts `json:"logs"`
}

// Machine is where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	MemoryMB  int64  `json:"memory_mb"`
	GoVersion string `json:"go"`
	FileLimit uint64 `json:"file_limit"`
}

func newReport(cfg config) *Report {
	commit := "unknown"
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(out))
	}
	r := &Report{Date: time.Now().Format("2006-01-02"), Commit: commit, Config: cfg,
		Machine: Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}}
	if mem, err := procstat.MemTotal(); err == nil {
		r.Machine.MemoryMB = mem >> 20
	}
	return r
}

// Phase is one measured window: the steady phase or a ramp step.
type Phase struct {
	Name    string  `json:"name"`
	Waiting int     `json:"waiting"`
	Active  int     `json:"active"`
	Seconds float64 `json:"seconds"`

	SigToViewer latency `json:"signal_agent_to_viewer"`
	SigToAgent  latency `json:"signal_viewer_to_agent"`
	ConsoleLost latency `json:"console_agent_lost"`
	ConsoleBack latency `json:"console_agent_back"`
	PageBack    latency `json:"page_agent_back"`
	Frame       latency `json:"frame_age"`
	Ping        latency `json:"relay_ping_rtt"`
	// SignalingP99 is the highest p99 of the four signaling measures.
	SignalingP99 float64 `json:"signaling_p99_ms"`

	TargetKBps    float64 `json:"target_kbps_per_session"`
	DeliveredKBps float64 `json:"delivered_kbps_per_session"`
	Delivery      float64 `json:"delivery"` // delivered ÷ target
	FramesSent    int64   `json:"frames_sent"`
	FramesHeld    int64   `json:"frames_held"` // ticks skipped: two frames unacknowledged
	MBRelayed     float64 `json:"mb_relayed"`  // received by viewers, 10^6 bytes

	// CPU is each process's share of one core over the window, in %.
	CPU map[string]float64 `json:"cpu_percent"`
	// CPUPerMB is the CPU time of the Tether instances (and of the bus)
	// per MB the viewers received, in ms.
	CPUPerMB    float64            `json:"tether_cpu_ms_per_mb"`
	BusCPUPerMB float64            `json:"bus_cpu_ms_per_mb"`
	RSSMB       map[string]float64 `json:"rss_mb"`
	MachineBusy float64            `json:"machine_busy_percent"` // of all cores
}

func summarise(name string, w *window, before, after snapshot, waitingN, activeN int, cfg config) Phase {
	secs := after.at.Sub(before.at).Seconds()
	p := Phase{Name: name, Waiting: waitingN, Active: activeN, Seconds: round(secs, 1),
		SigToViewer: w.sigToViewer.summary(), SigToAgent: w.sigToAgent.summary(),
		ConsoleLost: w.consoleLost.summary(), ConsoleBack: w.consoleBack.summary(), PageBack: w.pageBack.summary(),
		Frame: w.frame.summary(), Ping: w.ping.summary(),
		TargetKBps: float64(cfg.Rate) / 1000, FramesSent: w.framesSent.Load(), FramesHeld: w.framesHeld.Load(),
		CPU: map[string]float64{}, RSSMB: map[string]float64{}}
	for _, l := range []latency{p.SigToViewer, p.SigToAgent, p.ConsoleLost, p.ConsoleBack} {
		p.SignalingP99 = max(p.SignalingP99, l.P99)
	}
	recv := float64(w.bytesRecv.Load())
	p.MBRelayed = round(recv/1e6, 2)
	if activeN > 0 && secs > 0 {
		p.DeliveredKBps = round(recv/1000/secs/float64(activeN), 1)
		p.Delivery = round(p.DeliveredKBps/p.TargetKBps, 3)
	}
	var tether, bus float64
	for k, v := range after.cpu {
		s := float64(v-before.cpu[k]) / procstat.ClockTicks
		p.CPU[k] = round(100*s/secs, 1)
		switch {
		case strings.HasPrefix(k, "load-"):
			tether += s
		case k == "bus":
			bus += s
		}
	}
	for k, v := range after.rss {
		p.RSSMB[k] = round(float64(v)/(1<<20), 1)
	}
	if p.MBRelayed > 0 {
		p.CPUPerMB = round(1000*tether/p.MBRelayed, 2)
		p.BusCPUPerMB = round(1000*bus/p.MBRelayed, 2)
	}
	if dt := after.total - before.total; dt > 0 {
		p.MachineBusy = round(100*float64(after.busy-before.busy)/float64(dt), 1)
	}
	return p
}

// Memory is the instances' resident memory per session: RSS at the end of
// the steady phase less RSS before seeding, over the sessions they hold.
type Memory struct {
	IdleMB       map[string]float64 `json:"idle_mb"`
	SteadyMB     map[string]float64 `json:"steady_mb"`
	Sessions     int                `json:"sessions"`
	KBPerSession float64            `json:"kb_per_session"`
}

func memoryPerSession(idle, steady snapshot, waitingN, activeN int) *Memory {
	m := &Memory{IdleMB: map[string]float64{}, SteadyMB: map[string]float64{}, Sessions: waitingN + activeN}
	var grew int64
	for k, v := range steady.rss {
		if !strings.HasPrefix(k, "load-") {
			continue
		}
		m.IdleMB[k] = round(float64(idle.rss[k])/(1<<20), 1)
		m.SteadyMB[k] = round(float64(v)/(1<<20), 1)
		grew += v - idle.rss[k]
	}
	if m.Sessions > 0 {
		m.KBPerSession = round(float64(grew)/1024/float64(m.Sessions), 1)
	}
	return m
}

// Flows are the numbered streams, summed over sessions, at the end.
type Flows struct {
	Messages     flow  `json:"relayed_messages"`     // agent → viewer
	Acks         flow  `json:"frame_acks"`           // viewer → agent
	Inputs       flow  `json:"inputs"`               // viewer → agent
	SigToViewer  flow  `json:"signals_to_viewer"`    // candidate envelopes
	SigToAgent   flow  `json:"signals_to_agent"`     // candidate envelopes
	Pings        flow  `json:"pings"`                // viewer → agent → viewer
	ConsoleState flow  `json:"console_agent_states"` // per console, per waiting session
	PageState    flow  `json:"page_agent_states"`    // per waiting session
	Reconnects   int64 `json:"waiting_reconnects"`
}

func (f Flows) all() []flow {
	return []flow{f.Messages, f.Acks, f.Inputs, f.SigToViewer, f.SigToAgent, f.Pings, f.ConsoleState, f.PageState}
}

func (f Flows) complete() bool {
	for _, x := range f.all() {
		if !x.ok() {
			return false
		}
	}
	return true
}

func countFlows(ws []*waiting, as []*active, engs []*engineer, connected []bool) Flows {
	var f Flows
	for _, a := range as {
		f.Messages.add(&a.msgs)
		f.Acks.add(&a.acks)
		f.Inputs.add(&a.inputs)
		f.SigToViewer.add(&a.sigToV)
		f.SigToAgent.add(&a.sigToA)
		f.Pings.Sent += a.pings.Load()
		f.Pings.Recv += a.pongs.Load()
	}
	f.Pings.Missing = f.Pings.Sent - f.Pings.Recv
	// Every console hears every change of the provider's sessions: the
	// agent there at first and after each return, gone after each drop.
	// The page heard the agent absent when it opened, before the agent.
	expect := func(f *flow, want, got int64) {
		f.Sent += want
		f.Recv += min(got, want)
		f.Dup += max(got-want, 0)
		f.Missing = f.Sent - f.Recv
	}
	for i, w := range ws {
		if !connected[i] {
			continue
		}
		c := w.cycles.Load()
		f.Reconnects += c
		for _, e := range engs {
			expect(&f.ConsoleState, 1+c, e.cons.back[i].Load())
			expect(&f.ConsoleState, c, e.cons.lost[i].Load())
		}
		expect(&f.PageState, 1+c, w.pageBack.Load())
		expect(&f.PageState, 1+c, w.pageLost.Load())
	}
	return f
}

// LogCounts are the warnings and errors an instance logged, with the most
// frequent messages.
type LogCounts struct {
	Warn  int      `json:"warn"`
	Error int      `json:"error"`
	Top   []string `json:"top,omitempty"`
}

func countLog(path string) LogCounts {
	var c LogCounts
	f, err := os.Open(path)
	if err != nil {
		return c
	}
	defer f.Close()
	msgs := map[string]int{}
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := s.Text()
		switch {
		case strings.Contains(line, "level=WARN"):
			c.Warn++
		case strings.Contains(line, "level=ERROR"):
			c.Error++
		default:
			continue
		}
		if _, msg, ok := strings.Cut(line, "msg="); ok {
			if strings.HasPrefix(msg, `"`) {
				if end := strings.Index(msg[1:], `"`); end >= 0 {
					msg = msg[:end+2]
				}
			} else {
				msg, _, _ = strings.Cut(msg, " ")
			}
			msgs[msg]++
		}
	}
	for m, n := range msgs {
		c.Top = append(c.Top, fmt.Sprintf("%d× %s", n, m))
	}
	sort.Slice(c.Top, func(i, j int) bool { return c.Top[i] > c.Top[j] })
	if len(c.Top) > 5 {
		c.Top = c.Top[:5]
	}
	return c
}

// Passed reports whether nothing was lost and nothing went wrong.
func (r *Report) Passed() bool {
	return r.Steady != nil && !r.Interrupted && r.Flows.complete() && r.Database.OK && len(r.Problems) == 0
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// write saves the report as bench-results/load-<date>-<commit>.md and .json.
func (r *Report) write(dir, md string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, fmt.Sprintf("load-%s-%s", r.Date, r.Commit))
	j, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", append(j, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(base+".md", []byte(md), 0o644)
}
