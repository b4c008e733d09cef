//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// The systems compared, in the table's column order.
const (
	sysTetherP2P     = "tether-p2p"
	sysTetherRelay   = "tether-relay"
	sysNoVNCDefault  = "novnc-default"
	sysNoVNCLossless = "novnc-lossless"
)

var allSystems = []string{sysTetherP2P, sysTetherRelay, sysNoVNCDefault, sysNoVNCLossless}

func isTether(system string) bool { return strings.HasPrefix(system, "tether-") }

// cpu is CPU time over a measured window, in % of one core.
type cpu struct {
	Capture  float64 `json:"capture"`  // the Tether agent, or x11vnc
	Xvfb     float64 `json:"xvfb"`     // the X server
	Renderer float64 `json:"renderer"` // the engineer page's renderer processes
	Browser  float64 `json:"browser"`  // the whole engineer browser
	Server   float64 `json:"server"`   // the Tether server, or websockify
	Machine  float64 `json:"machine"`  // everything on the machine, the benchmark's other programs and anyone else's included
}

// sbsRun is one system on one workload: every raw figure.
type sbsRun struct {
	System   string  `json:"system"`
	Workload string  `json:"workload"`
	Seconds  float64 `json:"seconds"`
	// Payload bytes received by the engineer's page: websocket frames
	// (signaling, relay, noVNC) plus WebRTC data channels.
	Bytes          int64   `json:"bytes"`
	BytesPerSec    float64 `json:"bytes_per_sec"`
	WSBytes        int64   `json:"ws_bytes"`
	ChannelBytes   int64   `json:"channel_bytes,omitempty"`
	TransportBytes int64   `json:"transport_bytes,omitempty"` // ICE transport, with DTLS/SCTP overhead
	// Probe frames the canvas showed (distinct barcodes), per second.
	ProbeFrames int     `json:"probe_frames"`
	FPS         float64 `json:"fps"`
	// Tether's own painted-frame count and per-frame decode+paint time.
	Paints        int     `json:"paints,omitempty"`
	PaintsPerSec  float64 `json:"paints_per_sec,omitempty"`
	DecodeMs      *dist   `json:"decode_ms,omitempty"`
	EncodeMs      *dist   `json:"encode_ms,omitempty"` // the agent's capture+encode, from FrameEnd
	CPU           cpu     `json:"cpu"`
	Latency       dist    `json:"latency_ms"`
	InputToPhoton dist    `json:"input_to_photon_ms"`
	InputLeg      dist    `json:"input_leg_ms"` // key in the page → press seen by the X client
	KeysSent      int     `json:"keys_sent"`
	KeysLost      int     `json:"keys_lost"`
	// Settled picture against the X screen.
	Exact             float64 `json:"exact"`
	ExactOutsideVideo float64 `json:"exact_outside_video,omitempty"`
	SSIM              float64 `json:"ssim"`
	// Video region during playback, canvas snapshots against the screen
	// grab of the same probe frame.
	VideoSSIM []float64 `json:"video_ssim,omitempty"`
	// Seconds waited before the run for the machine to be quiet.
	QuietWait float64  `json:"quiet_wait_s,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// sbsReport is the whole run, as written to bench-results/.
type sbsReport struct {
	Date      string    `json:"date"`
	Commit    string    `json:"commit"`
	Mode      string    `json:"mode"`
	Seconds   float64   `json:"seconds_per_workload"`
	Machine   string    `json:"machine"`
	LoadEnd   string    `json:"load_at_end"` // /proc/loadavg's 1, 5, 15 minutes
	Systems   []string  `json:"systems"`
	Workloads []string  `json:"workloads"`
	Runs      []*sbsRun `json:"runs"`
	Targets   []target  `json:"targets"`
}

func (rep *sbsReport) run(system, workload string) *sbsRun {
	for _, r := range rep.Runs {
		if r.System == system && r.Workload == workload {
			return r
		}
	}
	return nil
}

// target is one claim of issue 6 checked on one workload and one path.
type target struct {
	What     string  `json:"what"`
	Workload string  `json:"workload"`
	System   string  `json:"system"`
	Value    float64 `json:"value"`
	Limit    float64 `json:"limit"`
	Unit     string  `json:"unit"`
	Holds    bool    `json:"holds"`
}

// show formats a target's value or limit in its unit.
func (tg target) show(v float64) string {
	switch tg.Unit {
	case "B/s":
		if v >= 1000 {
			return fmt.Sprintf("%.1f KB/s", v/1000)
		}
		return fmt.Sprintf("%.0f B/s", v)
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case "%":
		return fmt.Sprintf("%.2f %%", v)
	case "fps":
		return fmt.Sprintf("%.1f fps", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// checkTargets compares each Tether path with the peer.
func (rep *sbsReport) checkTargets() {
	rep.Targets = nil
	add := func(what, unit, wl, sys string, v, limit float64, holds bool) {
		if math.IsNaN(v) || math.IsNaN(limit) {
			return
		}
		rep.Targets = append(rep.Targets, target{what, wl, sys, v, limit, unit, holds})
	}
	peer := func(wl string, f func(*sbsRun) float64, pick func(a, b float64) float64) float64 {
		v := math.NaN()
		for _, s := range []string{sysNoVNCDefault, sysNoVNCLossless} {
			if r := rep.run(s, wl); r != nil && len(r.Errors) == 0 {
				if x := f(r); !math.IsNaN(x) {
					if math.IsNaN(v) {
						v = x
					} else {
						v = pick(v, x)
					}
				}
			}
		}
		return v
	}
	bps := func(r *sbsRun) float64 { return r.BytesPerSec }
	for _, sys := range []string{sysTetherP2P, sysTetherRelay} {
		for _, wl := range rep.Workloads {
			r := rep.run(sys, wl)
			if r == nil || len(r.Errors) > 0 {
				continue
			}
			switch wl {
			case "idle":
				add("bytes/s ≤ 100", "B/s", wl, sys, r.BytesPerSec, 100, r.BytesPerSec <= 100)
				continue
			case "page", "video":
				if d := rep.run(sysNoVNCDefault, wl); d != nil && len(d.Errors) == 0 {
					add("bytes/s ≤ 0.5 × noVNC defaults", "B/s", wl, sys, r.BytesPerSec, d.BytesPerSec/2, r.BytesPerSec <= d.BytesPerSec/2)
				}
				if wl == "video" {
					m := median(r.VideoSSIM)
					add("video SSIM during playback ≥ 0.95", "", wl, sys, m, 0.95, m >= 0.95)
					add("pixel-exact once still, outside the video", "%", wl, sys, r.ExactOutsideVideo*100, 100, r.ExactOutsideVideo == 1)
				} else {
					add("pixel-exact once still", "%", wl, sys, r.Exact*100, 100, r.Exact == 1)
				}
			default:
				lim := peer(wl, bps, math.Min) / 2
				add("bytes/s ≤ 0.5 × lowest peer setting", "B/s", wl, sys, r.BytesPerSec, lim, r.BytesPerSec <= lim)
			}
			fpsLim := math.Min(30, peer(wl, func(r *sbsRun) float64 { return r.FPS }, math.Max))
			add("fps ≥ min(30, peer)", "fps", wl, sys, r.FPS, fpsLim, r.FPS >= fpsLim)
			add("agent CPU ≤ 25% of a core", "%", wl, sys, r.CPU.Capture, 25, r.CPU.Capture <= 25)
			if r.InputToPhoton.N > 0 {
				add("input-to-photon p50 ≤ 20 ms", "ms", wl, sys, r.InputToPhoton.P50, 20, r.InputToPhoton.P50 <= 20)
				pl := peer(wl, func(r *sbsRun) float64 {
					if r.InputToPhoton.N == 0 {
						return math.NaN()
					}
					return r.InputToPhoton.P50
				}, math.Min)
				add("input-to-photon p50 below the peer's", "ms", wl, sys, r.InputToPhoton.P50, pl, r.InputToPhoton.P50 < pl)
			}
		}
	}
}

// markdown renders the report: one table per figure, a row per workload
// and a column per system, then the targets.
func (rep *sbsReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Side-by-side: Tether and x11vnc + noVNC\n\n")
	fmt.Fprintf(&b, "%s, commit %s, %s run, %g s per workload, %s, load %s at the end.\n\n", rep.Date, rep.Commit, rep.Mode, rep.Seconds, rep.Machine, rep.LoadEnd)
	table := func(title string, cell func(*sbsRun) string, ratio func(wl string) string) {
		fmt.Fprintf(&b, "### %s\n\n| workload |", title)
		for _, s := range rep.Systems {
			fmt.Fprintf(&b, " %s |", s)
		}
		if ratio != nil {
			b.WriteString(" Tether ÷ peer |")
		}
		b.WriteString("\n|---|")
		for range rep.Systems {
			b.WriteString("---:|")
		}
		if ratio != nil {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for _, wl := range rep.Workloads {
			fmt.Fprintf(&b, "| %s |", wl)
			for _, s := range rep.Systems {
				r := rep.run(s, wl)
				switch {
				case r == nil:
					b.WriteString(" |")
				case len(r.Errors) > 0:
					b.WriteString(" error |")
				default:
					fmt.Fprintf(&b, " %s |", cell(r))
				}
			}
			if ratio != nil {
				fmt.Fprintf(&b, " %s |", ratio(wl))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	pair := func(d dist) string {
		if d.N == 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f / %.0f", d.P50, d.P95)
	}
	table("Received KB/s (payload bytes on the engineer's side)", func(r *sbsRun) string { return fmt.Sprintf("%.2f", r.BytesPerSec/1000) },
		func(wl string) string { return rep.ratio(wl, func(r *sbsRun) float64 { return r.BytesPerSec }) })
	table("Frames per second: probe frames the canvas showed (Tether: and frames it painted)", func(r *sbsRun) string {
		if isTether(r.System) {
			return fmt.Sprintf("%.1f (%.1f)", r.FPS, r.PaintsPerSec)
		}
		return fmt.Sprintf("%.1f", r.FPS)
	}, nil)
	table("CPU % of one core: capture (agent / x11vnc) · Xvfb · renderer", func(r *sbsRun) string {
		return fmt.Sprintf("%.1f · %.1f · %.1f", r.CPU.Capture, r.CPU.Xvfb, r.CPU.Renderer)
	}, nil)
	table(fmt.Sprintf("Whole machine busy, %% of one core (of %d; the workload's programs, the harness and anything else running count here)", 100*runtime.NumCPU()),
		func(r *sbsRun) string { return fmt.Sprintf("%.0f", r.CPU.Machine) }, nil)
	table("Display latency ms, p50 / p95 (barcode drawn → shown in the canvas)", func(r *sbsRun) string { return pair(r.Latency) }, nil)
	table("Input-to-photon ms, p50 / p95 (key in the page → square changed in the canvas)", func(r *sbsRun) string {
		s := pair(r.InputToPhoton)
		if r.KeysLost > 0 {
			s += fmt.Sprintf(" (%d lost)", r.KeysLost)
		}
		return s
	}, func(wl string) string {
		return rep.ratio(wl, func(r *sbsRun) float64 {
			if r.InputToPhoton.N == 0 {
				return math.NaN()
			}
			return r.InputToPhoton.P50
		})
	})
	table("Viewer decode+paint ms per frame, p50 / p95 (Tether's data-decode-ms; noVNC exposes none)", func(r *sbsRun) string {
		if r.DecodeMs == nil || r.DecodeMs.N == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f / %.1f", r.DecodeMs.P50, r.DecodeMs.P95)
	}, nil)
	table("Settled picture: pixel-exact % · SSIM", func(r *sbsRun) string {
		return fmt.Sprintf("%s · %.4f", exactPct(r.Exact), r.SSIM)
	}, nil)
	table("Video region SSIM during playback (median of snapshots)", func(r *sbsRun) string {
		if len(r.VideoSSIM) == 0 {
			return "–"
		}
		return fmt.Sprintf("%.4f (%d)", median(r.VideoSSIM), len(r.VideoSSIM))
	}, nil)
	table("Agent capture+encode ms per frame, p50 / p95 (FrameEnd's time, as Tether's viewer shows it; x11vnc reports none)", func(r *sbsRun) string {
		if r.EncodeMs == nil || r.EncodeMs.N == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f / %.1f", r.EncodeMs.P50, r.EncodeMs.P95)
	}, nil)
	if len(rep.Targets) > 0 {
		b.WriteString("### Targets\n\n")
		for _, sys := range []string{sysTetherP2P, sysTetherRelay} {
			n, held := 0, 0
			for _, tg := range rep.Targets {
				if tg.System == sys {
					n++
					if tg.Holds {
						held++
					}
				}
			}
			if n > 0 {
				fmt.Fprintf(&b, "%s: %d of %d hold. ", sys, held, n)
			}
		}
		b.WriteString("\n\n| target | workload | path | value | limit | holds |\n|---|---|---|---:|---:|---|\n")
		for _, tg := range rep.Targets {
			mark := "no"
			if tg.Holds {
				mark = "yes"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", tg.What, tg.Workload, tg.System, tg.show(tg.Value), tg.show(tg.Limit), mark)
		}
		b.WriteString("\n")
	}
	for _, r := range rep.Runs {
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s / %s: %s\n", r.System, r.Workload, e)
		}
	}
	return b.String()
}

func exactPct(v float64) string {
	if v == 1 {
		return "100"
	}
	return fmt.Sprintf("%.2f", math.Min(v*100, 99.99))
}

// ratio shows each Tether path's figure over the lowest of the peer's.
func (rep *sbsReport) ratio(wl string, f func(*sbsRun) float64) string {
	best := math.NaN()
	for _, s := range []string{sysNoVNCDefault, sysNoVNCLossless} {
		if r := rep.run(s, wl); r != nil && len(r.Errors) == 0 {
			if v := f(r); !math.IsNaN(v) && (math.IsNaN(best) || v < best) {
				best = v
			}
		}
	}
	var parts []string
	for _, s := range []string{sysTetherP2P, sysTetherRelay} {
		if r := rep.run(s, wl); r != nil && len(r.Errors) == 0 && !math.IsNaN(best) && best > 0 {
			if v := f(r); !math.IsNaN(v) {
				parts = append(parts, fmt.Sprintf("%s %.2f", strings.TrimPrefix(s, "tether-"), v/best))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// write saves the report as JSON and Markdown in dir, named by date and
// commit, and returns the Markdown file's path.
func (rep *sbsReport) write(dir, stem string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	j, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, stem+".json"), append(j, '\n'), 0o644); err != nil {
		return "", err
	}
	md := filepath.Join(dir, stem+".md")
	return md, os.WriteFile(md, []byte(rep.markdown()), 0o644)
}

// workloadNames lists names in the order of workloads().
func workloadNames(ws []workload) []string {
	var n []string
	for _, w := range ws {
		n = append(n, w.name)
	}
	return slices.Clip(n)
}
