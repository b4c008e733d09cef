//go:build linux

package e2e

import (
	"context"
	"fmt"
	"image"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/agent/capture/xvfbtest"
	"tether/server/e2e/sbsprobe/barcode"
	"tether/server/procstat"
)

// sbsConfig is how much of the side-by-side benchmark to run, from the
// environment:
//
//	TETHER_SBS=full          the full run (go tool task bench:sbs): every system on every workload;
//	                         else the smoke run: every workload once, spread over the systems (smokePlan)
//	TETHER_SBS_SECONDS=n     seconds per measured workload (full 20, smoke 2)
//	TETHER_SBS_OUT=dir       where the JSON and Markdown go (full: bench-results/ at the top)
//	TETHER_SBS_SYSTEMS=a,b   systems to run, each on every selected workload (default all four)
//	TETHER_SBS_WORKLOADS=a,b workloads to run (default all)
//	TETHER_SBS_SHOTS=1       also save the settled canvas and X screen as PNG (on in full runs)
//
// A full run waits (at most 5 minutes) before each workload until the
// machine is quiet, and reports how long it waited.
type sbsConfig struct {
	mode         string
	seconds      float64
	settle       time.Duration // at least this long after a workload stops before the picture is compared
	videoSamples int
	out          string
	shots        bool
	quiet        time.Duration // how long to wait for a quiet machine before each run (0: not at all)
	systems      []string
	workloads    []workload
	// smoke: each system runs only its share of the workloads (smokePlan),
	// so that the smoke run covers every workload and every system within
	// CI's budget.
	smoke bool
}

// smokePlan spreads the workloads over the systems for the smoke run:
// every workload once, every system measured with the probe and keys.
var smokePlan = map[string][]string{
	sysTetherP2P:     {"idle", "typing", "video"},
	sysTetherRelay:   {"scroll-viewer", "mixed"},
	sysNoVNCDefault:  {"scroll-x", "page"},
	sysNoVNCLossless: {"drag", "typing"},
}

// runs returns the workloads system runs, in the table's order.
func (c sbsConfig) runs(system string) []workload {
	if !c.smoke {
		return c.workloads
	}
	return slices.DeleteFunc(slices.Clone(c.workloads), func(w workload) bool { return !slices.Contains(smokePlan[system], w.name) })
}

func sbsConfigFromEnv(t testing.TB) sbsConfig {
	c := sbsConfig{mode: "smoke", seconds: 2, settle: 300 * time.Millisecond, videoSamples: 3, systems: allSystems, workloads: workloads(), smoke: true}
	if os.Getenv("TETHER_SBS") == "full" {
		c.mode, c.seconds, c.settle, c.videoSamples, c.shots, c.smoke = "full", 20, time.Second, 15, true, false
		c.quiet = 5 * time.Minute
		root, err := filepath.Abs("../..")
		if err != nil {
			t.Fatal(err)
		}
		c.out = filepath.Join(root, "bench-results")
	}
	if s := os.Getenv("TETHER_SBS_SECONDS"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 {
			t.Fatalf("TETHER_SBS_SECONDS=%q", s)
		}
		c.seconds = v
	}
	if s := os.Getenv("TETHER_SBS_OUT"); s != "" {
		c.out = s
	}
	if s := os.Getenv("TETHER_SBS_SHOTS"); s != "" {
		c.shots = s != "0"
	}
	if s := os.Getenv("TETHER_SBS_SYSTEMS"); s != "" {
		c.smoke = false
		c.systems = strings.Split(s, ",")
		for _, sys := range c.systems {
			if !slices.Contains(allSystems, sys) {
				t.Fatalf("TETHER_SBS_SYSTEMS: unknown %q (have %v)", sys, allSystems)
			}
		}
	}
	if s := os.Getenv("TETHER_SBS_WORKLOADS"); s != "" {
		c.smoke = false
		var ws []workload
		for _, name := range strings.Split(s, ",") {
			i := slices.IndexFunc(c.workloads, func(w workload) bool { return w.name == name })
			if i < 0 {
				t.Fatalf("TETHER_SBS_WORKLOADS: unknown %q (have %v)", name, workloadNames(c.workloads))
			}
			ws = append(ws, c.workloads[i])
		}
		c.workloads = ws
	}
	return c
}

// sbsEnv is what all systems share: one X display with the probe, the
// page server, the text.
type sbsEnv struct {
	cfg     sbsConfig
	a       artifacts
	display string
	x       *xscreen
	xvfb    cpuSet
	probe   *probe
	pages   *httptest.Server
	rig     rig
	shots   string
}

// TestSideBySideBenchmarkSmoke runs Tether (peer-to-peer and relay) and
// x11vnc + websockify + noVNC (default and lossless settings) on the same
// 1920×1080 Xvfb screen through the same workloads, and reports bytes,
// frame rate, CPU, display latency, input-to-photon time and picture
// quality side by side (docs/performance.md, "Side-by-side"). By default a
// short smoke run that checks every figure can be measured; TETHER_SBS=full
// (go tool task bench:sbs) is the run whose table is quoted.
func TestSideBySideBenchmarkSmoke(t *testing.T) {
	cfg := sbsConfigFromEnv(t)
	requireTools(t)
	for _, tool := range []struct{ name, pkg string }{
		{"x11vnc", "x11vnc"}, {"websockify", "websockify"}, {"ffplay", "ffmpeg"},
		{"xterm", "xterm"}, {"xdotool", "xdotool"}, {"less", "less"},
	} {
		requireTool(t, tool.name, tool.pkg)
	}
	e := &sbsEnv{cfg: cfg, a: build(t)}
	e.display = xvfbtest.Start(t, 1920, 1080)
	e.x = openX(t, e.display)
	if err := e.x.background(0x3a6ea5); err != nil {
		t.Fatal(err)
	}
	pid, err := xvfbPID(e.display)
	if err != nil {
		t.Fatal(err)
	}
	e.xvfb = pids(pid)
	e.probe = startProbe(t, e.a.sbsprobe, e.display, e.x.w)
	text := longText(30000)
	var novnc string
	if slices.Contains(cfg.systems, sysNoVNCDefault) || slices.Contains(cfg.systems, sysNoVNCLossless) {
		novnc = noVNC(t)
	}
	e.pages = httptest.NewServer(pageServer(novnc, text[:2000]))
	t.Cleanup(e.pages.Close)
	e.rig = rig{display: e.display, x: e.x, textFile: writeText(t, text), text: text,
		pageURL: e.pages.URL + "/page.html"}

	stamp := time.Now().Format("20060102-150405") + "-" + gitCommit()
	if cfg.shots {
		e.shots = t.TempDir()
		if cfg.out != "" {
			e.shots = filepath.Join(cfg.out, stamp+"-shots")
		}
		if err := os.MkdirAll(e.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rep := &sbsReport{Date: time.Now().Format(time.RFC3339), Commit: gitCommit(), Mode: cfg.mode, Seconds: cfg.seconds,
		Machine: machine(), Systems: cfg.systems, Workloads: workloadNames(cfg.workloads)}
	for _, sys := range cfg.systems {
		t.Run(sys, func(t *testing.T) {
			v := e.connect(t, sys)
			for _, wl := range cfg.runs(sys) {
				r := e.measure(t, v, wl)
				rep.Runs = append(rep.Runs, r)
				for _, err := range r.Errors {
					t.Errorf("%s: %s", wl.name, err)
				}
				t.Logf("%s: %.1f KB/s, %.1f fps, CPU capture %.1f%% Xvfb %.1f%% renderer %.1f%%, latency %v, input-to-photon %v (%d lost), exact %.4f, SSIM %.4f",
					wl.name, r.BytesPerSec/1000, r.FPS, r.CPU.Capture, r.CPU.Xvfb, r.CPU.Renderer, r.Latency, r.InputToPhoton, r.KeysLost, r.Exact, r.SSIM)
			}
		})
	}
	rep.LoadEnd = loadAverage()
	rep.checkTargets()
	md := rep.markdown()
	t.Log("\n" + md)
	if cfg.out != "" {
		p, err := rep.write(cfg.out, "sbs-"+stamp)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("results: %s (and .json)", p)
	}
	if e.shots != "" {
		t.Logf("pictures: %s", e.shots)
	}
}

// connect opens a system's engineer page on the display and returns it
// ready to measure.
func (e *sbsEnv) connect(t *testing.T, sys string) *sbsViewer {
	var v *sbsViewer
	switch sys {
	case sysTetherP2P, sysTetherRelay:
		v = e.connectTether(t, sys)
	default:
		v = e.connectNoVNC(t, sys)
	}
	v.installSampler(t, e.probe)
	return v
}

func (e *sbsEnv) connectTether(t *testing.T, sys string) *sbsViewer {
	w := &world{sw: e.x.w, sh: e.x.h, a: e.a, display: e.display}
	var env []string
	if sys == sysTetherRelay {
		// As TestRelayedSessionIsEncryptedEndToEnd: the server turns peer-to-peer off.
		env = append(env, "TETHER_P2P=false")
	}
	w.srv = startServer(t, w.a, env...)
	w.engineer = newBrowser(t)
	v := attachViewer(t, w.engineer, sys)
	w.setupAccount(t)
	link, _ := w.newSession(t, "Side by side")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	want := "p2p"
	if sys == sysTetherRelay {
		want = "relay"
	}
	if p := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.path`); p != want {
		t.Fatalf("path %q, want %s", p, want)
	}
	v.canvas = "#v-screen"
	v.focusJS = `document.getElementById("v-screen").focus({preventScroll: true}), document.activeElement.id === "v-screen"`
	v.p2p = sys == sysTetherP2P
	v.capture = tree(c.agent.Process.Pid)
	v.server = tree(w.srv.cmd.Process.Pid)
	t.Cleanup(func() {
		// End the session as the engineer does; the agent exits.
		ctx, cancel := context.WithTimeout(w.engineer, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`))); err != nil {
			t.Logf("end session: %v", err)
		}
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("the agent did not exit after the session ended")
		}
	})
	return v
}

func (e *sbsEnv) connectNoVNC(t *testing.T, sys string) *sbsViewer {
	wsURL, vnc, ws := startPeer(t, e.display)
	ctx := newBrowser(t)
	v := attachViewer(t, ctx, sys)
	mode := noVNCDefault
	if sys == sysNoVNCLossless {
		mode = noVNCLossless
	}
	do(t, ctx, 20*time.Second, "open noVNC", chromedp.Navigate(e.pages.URL+"/novnc.html?mode="+string(mode)+"&ws="+url.QueryEscape(wsURL)))
	waitJS(t, ctx, 20*time.Second, "noVNC connected", fmt.Sprintf(`document.body.dataset.state === "connected" && document.querySelector("#screen canvas").width === %d`, e.x.w))
	v.canvas = "#screen canvas"
	v.focusJS = `rfb.focus({preventScroll: true}), document.activeElement === document.querySelector("#screen canvas")`
	v.capture = tree(vnc.pid())
	v.server = tree(ws.pid())
	return v
}

// tree is a process and its descendants (websockify forks per connection).
func tree(pid int) cpuSet { return func() []int { return append(descendants(pid), pid) } }

// measure runs one workload against one system and returns its figures;
// a failure is recorded in the run, so the other runs still report.
func (e *sbsEnv) measure(t *testing.T, v *sbsViewer, wl workload) *sbsRun {
	r := &sbsRun{System: v.system, Workload: wl.name}
	fail := func(format string, a ...any) *sbsRun {
		r.Errors = append(r.Errors, fmt.Sprintf(format, a...))
		return r
	}
	_, logged := v.consoleSince(0)
	defer func() {
		// A run that went wrong carries what the page logged meanwhile.
		if len(r.Errors) > 0 {
			lines, _ := v.consoleSince(logged)
			for _, l := range lines[max(0, len(lines)-20):] {
				r.Errors = append(r.Errors, "page console: "+l)
			}
		}
	}()
	if e.cfg.quiet > 0 {
		// Others share the machine (other engineers' tests): start each
		// run when nothing but this benchmark's idle session is busy.
		r.QuietWait = e.waitQuiet(e.cfg.quiet).Seconds()
	}
	rg := e.rig
	rg.t, rg.v = t, v
	sc, err := wl.start(&rg)
	if err != nil {
		return fail("start: %v", err)
	}
	defer sc.close()
	// Let the workload's first picture reach the canvas before measuring.
	if wl.video {
		if err := v.changing(videoRect, 10*time.Second); err != nil {
			return fail("video: %v", err)
		}
	} else {
		if err := e.x.still(300*time.Millisecond, 20*time.Second); err != nil {
			return fail("before: %v", err)
		}
		if err := v.still(300*time.Millisecond, 20*time.Second); err != nil {
			return fail("before: %v", err)
		}
	}
	if ok := eval[bool](t, v.ctx, v.focusJS); !ok {
		return fail("the viewer's canvas did not take the keyboard focus")
	}
	d := time.Duration(e.cfg.seconds * float64(time.Second))
	if wl.probe {
		e.probe.run(t)
		// Idle again whatever happens, so the next workload starts still.
		defer e.probe.idle(t)
	}
	eval[bool](t, v.ctx, `window.__sbs.start()`)
	c0 := v.counters(t, e.xvfb)
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	errs := make(chan error, 2)
	n := 1
	go func() { errs <- sc.drive(ctx, d) }()
	if wl.probe {
		n++
		go func() { errs <- v.keySchedule(ctx, d) }()
	}
	if err := pace(ctx, time.Until(c0.at.Add(d))); err != nil {
		return fail("measure: %v", err)
	}
	c1 := v.counters(t, e.xvfb)
	for ; n > 0; n-- {
		if err := <-errs; err != nil {
			return fail("drive: %v", err)
		}
	}
	sctx, scancel := context.WithTimeout(v.ctx, 20*time.Second)
	defer scancel()
	s, err := chromedp.Run(sctx, chromedp.Evaluate[samples](`window.__sbs.stop()`))
	if err != nil {
		return fail("samples: %v", err)
	}
	e.figures(r, c0, c1, s)
	if wl.video {
		if err := e.videoQuality(t, v, r); err != nil {
			return fail("video quality: %v", err)
		}
	}
	e.probe.idle(t)
	sc.freeze()
	if err := e.settled(t, r, v, wl); err != nil {
		return fail("settled picture: %v", err)
	}
	r.Errors = append(r.Errors, e.sanity(r, wl)...)
	return r
}

// quietBusy is how busy the whole machine may be, in % of one core, for
// it to count as quiet: a connected idle viewer and its capture side take
// 10-30 %.
const quietBusy = 60

// waitQuiet waits, at most max, until the whole machine was less than
// quietBusy busy for a second, and returns how long it waited.
func (e *sbsEnv) waitQuiet(max time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < max {
		b0, t0 := procstat.Machine()
		time.Sleep(time.Second) // the sampling window itself
		b1, t1 := procstat.Machine()
		if t1 > t0 && float64(b1-b0)/float64(t1-t0)*float64(100*runtime.NumCPU()) < quietBusy {
			break
		}
	}
	return time.Since(start)
}

// sanity checks that every figure of a run was measured: the harness, not
// the systems, is under test here.
func (e *sbsEnv) sanity(r *sbsRun, wl workload) []string {
	var bad []string
	check := func(ok bool, format string, a ...any) {
		if !ok {
			bad = append(bad, fmt.Sprintf(format, a...))
		}
	}
	if wl.probe {
		check(r.Bytes > 0, "no bytes counted")
		check(r.ProbeFrames > 0, "the canvas never showed the probe's barcode")
		check(r.KeysSent > 0, "no probe key was sent")
		check(r.InputToPhoton.N > 0, "no probe key press came back to the canvas (%d sent, %d lost)", r.KeysSent, r.KeysLost)
		if r.System == sysTetherP2P {
			check(r.ChannelBytes > 0, "no data channel bytes (getStats)")
		}
	}
	// The canvas shows the screen, aligned: any codec gets this far.
	check(r.SSIM > 0.5, "the settled canvas does not resemble the screen (SSIM %.3f)", r.SSIM)
	if wl.video {
		check(len(r.VideoSSIM) == e.cfg.videoSamples, "%d of %d video snapshots compared", len(r.VideoSSIM), e.cfg.videoSamples)
	}
	return bad
}

// figures fills r from the counters and the page's samples of a window.
func (e *sbsEnv) figures(r *sbsRun, c0, c1 counters, s samples) {
	d := c1.at.Sub(c0.at)
	r.Seconds = d.Seconds()
	r.WSBytes = c1.ws - c0.ws
	r.ChannelBytes = int64(c1.channel - c0.channel)
	r.TransportBytes = int64(c1.transp - c0.transp)
	r.Bytes = r.WSBytes + r.ChannelBytes
	r.BytesPerSec = float64(r.Bytes) / r.Seconds
	r.CPU = cpu{
		Capture:  percent(c0.capture, c1.capture, d),
		Xvfb:     percent(c0.xvfb, c1.xvfb, d),
		Renderer: percent(c0.renderer, c1.renderer, d),
		Browser:  percent(c0.browser, c1.browser, d),
		Server:   percent(c0.server, c1.server, d),
	}
	if c1.total > c0.total {
		r.CPU.Machine = float64(c1.busy-c0.busy) / float64(c1.total-c0.total) * float64(100*runtime.NumCPU())
	}
	var lat []float64
	lat, r.ProbeFrames = displayLatency(s)
	r.Latency = distOf(lat)
	r.FPS = float64(r.ProbeFrames) / r.Seconds
	if isTether(r.System) {
		r.Paints = c1.frames - c0.frames
		r.PaintsPerSec = float64(r.Paints) / r.Seconds
		var dec, enc []float64
		for _, f := range s.Frames {
			dec, enc = append(dec, f[1]), append(enc, f[3])
		}
		dd, de := distOf(dec), distOf(enc)
		r.DecodeMs, r.EncodeMs = &dd, &de
	}
	var presses []probePress
	for _, p := range e.probe.presses() {
		if p.ms >= float64(c0.at.UnixMicro())/1000-1 {
			presses = append(presses, p)
		}
	}
	photon, leg, lost := inputToPhoton(s, presses)
	r.InputToPhoton, r.InputLeg, r.KeysSent, r.KeysLost = distOf(photon), distOf(leg), len(s.Keys), lost
}

// videoQuality compares canvas snapshots of the playing video with the
// screen grabs that show the same probe frame.
func (e *sbsEnv) videoQuality(t testing.TB, v *sbsViewer, r *sbsRun) error {
	ctx, cancel := context.WithTimeout(v.ctx, 60*time.Second)
	defer cancel()
	grabs := grabVideo(ctx, e.x, e.probe)
	area := videoRect.Union(image.Rect(e.probe.x, e.probe.y, e.probe.x+barcode.Width, e.probe.y+barcode.Height))
	misses := 0
	for len(r.VideoSSIM) < e.cfg.videoSamples {
		// The screen grabs must reach back past the viewer's latency.
		if err := pace(ctx, 300*time.Millisecond); err != nil {
			return err
		}
		snap, err := v.picture(ctx, area)
		if err != nil {
			return err
		}
		if s, ok := grabs.best(snap, e.probe); ok {
			r.VideoSSIM = append(r.VideoSSIM, s)
			if len(r.VideoSSIM) == 1 {
				savePNG(t, e.shots, r.System+"-video-playing-canvas", snap)
			}
		} else if misses++; misses > 3*e.cfg.videoSamples {
			return fmt.Errorf("%d canvas snapshots had no screen grab of the same probe frame", misses)
		}
	}
	return grabs.failed()
}

// settled waits for the screen and the canvas to settle after the
// workload stopped, and compares them exactly.
func (e *sbsEnv) settled(t testing.TB, r *sbsRun, v *sbsViewer, wl workload) error {
	stopped := time.Now()
	if err := e.x.still(300*time.Millisecond, 20*time.Second); err != nil {
		return err
	}
	if err := pace(context.Background(), time.Until(stopped.Add(e.cfg.settle))); err != nil {
		return err
	}
	if err := v.still(500*time.Millisecond, 20*time.Second); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(v.ctx, 30*time.Second)
	defer cancel()
	screen, err := e.x.grab(e.x.bounds())
	if err != nil {
		return err
	}
	canvas, err := v.picture(ctx, e.x.bounds())
	if err != nil {
		return err
	}
	r.Exact = exactShare(canvas, screen, e.x.bounds())
	r.SSIM = ssim(canvas, screen, e.x.bounds())
	if wl.video {
		all := float64(e.x.w * e.x.h)
		in := float64(videoRect.Dx() * videoRect.Dy())
		r.ExactOutsideVideo = (r.Exact*all - exactShare(canvas, screen, videoRect)*in) / (all - in)
	}
	savePNG(t, e.shots, r.System+"-"+wl.name+"-canvas", canvas)
	savePNG(t, e.shots, r.System+"-"+wl.name+"-screen", screen)
	return nil
}

func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}

// machine describes where the figures come from.
func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	chromium, _ := exec.Command("/usr/bin/chromium", "--version").Output()
	return fmt.Sprintf("%d cores (%s), %s, load %s at start", runtime.NumCPU(), model,
		strings.TrimSpace(string(chromium)), loadAverage())
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute averages: how busy
// the machine was besides the benchmark.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
