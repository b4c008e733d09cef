//go:build linux

package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Markdown renders the report for people: the tables docs/performance.md
// quotes from.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	c := r.Config
	p("# Load benchmark, %s, commit %s\n\n", r.Date, r.Commit)
	p("`go run ./server/loadgen %s`\n\n", strings.Join(c.Args, " "))
	p("%d waiting and %d relayed sessions at %.0f KB/s (%d frames/s) over %d instance(s)", c.Waiting, c.Active, float64(c.Rate)/1000, c.FPS, c.Instances)
	if c.Instances > 1 {
		p(" joined by the bus; customers on the first, engineers (%d consoles, the viewers) on the last, so every signal crosses instances", c.Engineers)
	} else {
		p(" (no bus: everything on one instance, %d consoles)", c.Engineers)
	}
	p(". Waiting agents drop and return every %s. Machine: %d CPUs, %d MB, %s; **the generator runs on the same cores** as the servers, the bus and PostgreSQL (its CPU is in the tables). Seeded in %.1f s, connected in %.1f s.\n\n",
		c.Reconnect, r.Machine.CPUs, r.Machine.MemoryMB, r.Machine.GoVersion, r.SeedSeconds, r.SetupSeconds)
	verdict := "**Nothing lost**: every relayed message, acknowledgement, input, signal and state change arrived once and in order, and PostgreSQL holds every session and event as expected."
	if r.Interrupted {
		verdict = "**Interrupted**: the figures cover only the part that ran, and the loss and database checks could not finish."
	} else if !r.Passed() {
		verdict = "**Not clean**: see losses, the database check and problems below."
	}
	p("%s\n\n", verdict)

	phases := []Phase{}
	if r.Steady != nil {
		phases = append(phases, *r.Steady)
	}
	phases = append(phases, r.Ramp...)
	if len(phases) > 0 {
		p("## Signaling latency (ms: p50 / p95 / p99 / max)\n\n")
		p("| phase | relayed | candidate agent→viewer | candidate viewer→agent | agent gone → console | agent back → console | agent back → page | frame age | relay ping RTT |\n|---|---:|---|---|---|---|---|---|---|\n")
		for _, ph := range phases {
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", ph.Name, ph.Active, lat(ph.SigToViewer), lat(ph.SigToAgent),
				lat(ph.ConsoleLost), lat(ph.ConsoleBack), lat(ph.PageBack), lat(ph.Frame), lat(ph.Ping))
		}
		p("\n## Throughput and CPU\n\n")
		p("| phase | relayed | s | KB/s per session (target) | delivered | frames held | MB relayed | Tether CPU ms/MB | bus CPU ms/MB | CPU %% of a core | machine busy %% |\n|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|\n")
		for _, ph := range phases {
			p("| %s | %d | %.0f | %.1f (%.0f) | %.0f %% | %d | %.1f | %.2f | %.2f | %s | %.0f |\n", ph.Name, ph.Active, ph.Seconds,
				ph.DeliveredKBps, ph.TargetKBps, 100*ph.Delivery, ph.FramesHeld, ph.MBRelayed, ph.CPUPerMB, ph.BusCPUPerMB, kv(ph.CPU, "%.0f"), ph.MachineBusy)
		}
		p("\nCPU ms/MB: CPU time of all Tether instances (or of the bus) over the window per MB (10⁶ bytes) the viewers received; it includes the waiting sessions' signaling. Frames held: frame ticks an agent skipped because two frames were unacknowledged (the real agent's flow control).\n\n")
	}
	if m := r.Memory; m != nil {
		p("## Memory\n\n")
		p("RSS before seeding → at the end of the steady phase: %s → %s MB; **%.1f KB per session** (%d sessions).", kv(m.IdleMB, "%.0f"), kv(m.SteadyMB, "%.0f"), m.KBPerSession, m.Sessions)
		if len(r.Ramp) > 0 {
			p(" RSS per ramp step is in the JSON (`rss_mb`).")
		}
		p("\n\n")
	}
	if len(r.Ramp) > 0 {
		p("## Ramp\n\nStopped: %s.", r.RampStop)
		best := -1
		for i, ph := range r.Ramp {
			if ph.SignalingP99 <= float64(c.P99Limit)/float64(time.Millisecond) && ph.Delivery >= c.MinDelivery {
				best = i
			}
		}
		if best >= 0 {
			p(" **Most relayed sessions with signaling p99 ≤ %s and delivery ≥ %.0f %%: %d** (p99 %.1f ms, %.0f %% delivered).",
				c.P99Limit, 100*c.MinDelivery, r.Ramp[best].Active, r.Ramp[best].SignalingP99, 100*r.Ramp[best].Delivery)
		}
		p("\n\n")
	}

	p("## Loss\n\n| stream | sent | received | skipped | duplicated or reordered | missing |\n|---|---:|---:|---:|---:|---:|\n")
	for _, s := range []struct {
		name string
		f    flow
	}{{"relayed messages agent → viewer", r.Flows.Messages}, {"frame acks viewer → agent", r.Flows.Acks},
		{"input viewer → agent", r.Flows.Inputs}, {"candidate signals agent → viewer", r.Flows.SigToViewer},
		{"candidate signals viewer → agent", r.Flows.SigToAgent}, {"pings answered", r.Flows.Pings},
		{"console states (each console × waiting session)", r.Flows.ConsoleState}, {"invitation page states", r.Flows.PageState}} {
		p("| %s | %d | %d | %d | %d | %d |\n", s.name, s.f.Sent, s.f.Recv, s.f.Skipped, s.f.Dup, s.f.Missing)
	}
	p("\nWaiting agents reconnected %d times.\n\n", r.Flows.Reconnects)

	d := r.Database
	p("## PostgreSQL\n\nSessions by state: %s. Events: %s (expected %s). bytes_to_viewer %d, reported by the agents %d. ",
		kv(intMap(d.States), "%.0f"), kv(intMap(d.Events), "%.0f"), kv(intMap(d.Expected), "%.0f"), d.Bytes[0], d.Bytes[1])
	if d.OK {
		p("**All as expected.**\n\n")
	} else {
		p("**Differences:** %s\n\n", strings.Join(d.Notes, "; "))
	}
	if len(r.Problems) > 0 {
		p("## Problems\n\n")
		for _, pr := range r.Problems {
			p("- %s\n", pr)
		}
		p("\n")
	}
	if len(r.Logs) > 0 {
		p("## Instance logs\n\n")
		names := make([]string, 0, len(r.Logs))
		for n := range r.Logs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			lc := r.Logs[n]
			p("- %s: %d warnings, %d errors", n, lc.Warn, lc.Error)
			if len(lc.Top) > 0 {
				p(" (%s)", strings.Join(lc.Top, "; "))
			}
			p("\n")
		}
		p("\n")
	}
	return b.String()
}

func lat(l latency) string {
	if l.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f / %.1f / %.1f / %.1f", l.P50, l.P95, l.P99, l.Max)
}

// kv renders a map as "a 1, b 2", sorted by key.
func kv(m map[string]float64, format string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + fmt.Sprintf(format, m[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func intMap(m map[string]int) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}
