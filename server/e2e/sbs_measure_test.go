//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"tether/server/e2e/sbsprobe/barcode"
	"tether/server/procstat"
)

// sbsViewer is one system's engineer page under measurement, and the
// processes whose CPU time is its cost.
type sbsViewer struct {
	system  string
	ctx     context.Context // the page
	canvas  string          // CSS selector of the canvas showing the remote screen
	focusJS string          // gives that canvas the keyboard focus
	p2p     bool            // bytes also arrive on WebRTC data channels
	wsBytes atomic.Int64    // websocket payload bytes received by the page

	capture  cpuSet // the Tether agent, or x11vnc
	server   cpuSet // the Tether server, or websockify
	renderer cpuSet // the page's renderer processes
	browser  cpuSet // the whole engineer browser

	// The page's console (Tether's viewer logs there), for the report of
	// a run that went wrong.
	mu      sync.Mutex
	console []string
	logged  int // console lines ever, including those dropped
}

// consoleSince returns the console lines after the first n ever logged,
// as far as they are kept, and the count now.
func (v *sbsViewer) consoleSince(n int) ([]string, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	kept := v.logged - len(v.console)
	return slices.Clone(v.console[max(0, n-kept):]), v.logged
}

// attachViewer starts counting what the browser ctx receives: websocket
// frames through the DevTools protocol, and peer connections' bytes
// through getStats (the init script keeps every RTCPeerConnection). Call
// it before the page opens.
func attachViewer(t testing.TB, ctx context.Context, system string) *sbsViewer {
	t.Helper()
	v := &sbsViewer{system: system, ctx: ctx}
	rtc, err := os.ReadFile("testdata/sbs/rtc.js")
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, 10*time.Second, "init script", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: string(rtc)})
		return err
	}))
	if err := chromedp.Listen(ctx, func(ev any) {
		var line string
		switch e := ev.(type) {
		case *network.EventWebSocketFrameReceived:
			if e.Response != nil {
				v.wsBytes.Add(int64(len(e.Response.PayloadData)))
			}
			return
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range e.Args {
				args = append(args, strings.Trim(string(a.Value), `"`))
			}
			line = string(e.Type) + ": " + strings.Join(args, " ")
		case *runtime.EventExceptionThrown:
			line = "exception: " + e.ExceptionDetails.Text
			if x := e.ExceptionDetails.Exception; x != nil {
				line += " " + x.Description
			}
		default:
			return
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		v.console = append(v.console, time.Now().Format("15:04:05.000 ")+line)
		v.logged++
		if len(v.console) > 200 {
			v.console = v.console[len(v.console)-200:]
		}
	}); err != nil {
		t.Fatal(err)
	}
	bp := chromedp.FromContext(ctx).Browser.Process().Pid
	v.renderer = func() []int { return descendants(bp, "--type=renderer") }
	v.browser = func() []int { return append(descendants(bp), bp) }
	return v
}

// installSampler injects the barcode reader into the page.
func (v *sbsViewer) installSampler(t testing.TB, p *probe) {
	t.Helper()
	js, err := os.ReadFile("testdata/sbs/sampler.js")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{
		"canvas": v.canvas, "key": "F9",
		"x": p.x, "y": p.y, "w": barcode.Width, "h": barcode.Height,
		"cell": barcode.Cell, "cols": barcode.Cols, "bits": barcode.Bits,
		"sqX": barcode.SquareX, "sqY": barcode.SquareY, "sqSize": barcode.SquareSize,
	})
	eval[bool](t, v.ctx, strings.Replace(string(js), "/*CONFIG*/null", string(cfg), 1))
}

// key presses and releases one key in the focused canvas.
func (v *sbsViewer) key(ctx context.Context, key, code string, vk int64) error {
	text := ""
	if len(key) == 1 {
		text = key
	}
	for _, p := range []input.DispatchKeyEventParams{
		{Type: input.DispatchKeyEventTypeKeyDown, Key: key, Code: code, Text: text, UnmodifiedText: text, WindowsVirtualKeyCode: vk},
		{Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: code, WindowsVirtualKeyCode: vk},
	} {
		if _, err := chromedp.Call(v.ctx, input.DispatchKeyEvent, p); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// wheel turns the wheel over remote pixel (x, y) of the canvas by dy CSS
// pixels: 100 is one notch for Tether's viewer and one step for noVNC.
func (v *sbsViewer) wheel(ctx context.Context, x, y int, dy float64) error {
	r, err := chromedp.Run(v.ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => { const c = document.querySelector(%q);
		const r = c.getBoundingClientRect(); return [r.left, r.top, r.width / c.width, r.height / c.height]; })()`, v.canvas)))
	if err != nil {
		return err
	}
	cx, cy := r[0]+(float64(x)+0.5)*r[2], r[1]+(float64(y)+0.5)*r[3]
	// Sent as a map: a wheel event needs deltaX even when it is zero, which
	// the typed parameters leave out.
	err = chromedp.Do(v.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		return t.Call(ctx, input.CommandDispatchMouseEvent, map[string]any{
			"type": input.DispatchMouseEventTypeMouseWheel, "x": cx, "y": cy, "deltaX": 0, "deltaY": dy,
		}, nil)
	}))
	if err != nil {
		return err
	}
	return ctx.Err()
}

// counters are the cumulative figures read at the start and end of a
// measured window.
type counters struct {
	at              time.Time
	ws              int64
	channel, transp float64 // WebRTC data channels' and ICE transport's bytes received
	frames          int     // Tether's painted frames
	capture, server cpuSample
	xvfb            cpuSample
	renderer        cpuSample
	browser         cpuSample
	busy, total     int64 // the whole machine's CPU ticks
}

func (v *sbsViewer) counters(t testing.TB, xvfb cpuSet) counters {
	t.Helper()
	c := counters{at: time.Now(), ws: v.wsBytes.Load()}
	c.capture, c.server, c.xvfb = v.capture.sample(), v.server.sample(), xvfb.sample()
	c.renderer, c.browser = v.renderer.sample(), v.browser.sample()
	c.busy, c.total = procstat.Machine()
	if v.p2p {
		ctx, cancel := context.WithTimeout(v.ctx, 10*time.Second)
		defer cancel()
		b, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.__sbsPeerBytes()`, chromedp.EvalAwaitPromise))
		if err != nil || len(b) != 2 {
			t.Fatalf("peer connection stats: %v %v", b, err)
		}
		c.channel, c.transp = b[0], b[1]
	}
	c.frames = eval[int](t, v.ctx, `Number((document.getElementById("viewer") || {dataset: {}}).dataset.frames || 0)`)
	return c
}

// samples is what the page's reader noted during a measured window.
type samples struct {
	Codes   [][]float64  `json:"codes"`   // barcode words (barcode.Words of them) and when they first showed
	Squares [][4]float64 `json:"squares"` // key square colour (r, g, b) and when it first showed
	Keys    []float64    `json:"keys"`    // probe key presses sent to the canvas
	Frames  [][4]float64 `json:"frames"`  // Tether: frame count, decode ms, when, agent encode ms
}

// dist summarises a set of times in milliseconds.
type dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

func distOf(v []float64) dist {
	if len(v) == 0 {
		return dist{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	q := func(p float64) float64 { return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)] }
	return dist{N: len(s), P50: q(0.5), P95: q(0.95), Max: s[len(s)-1]}
}

// sinceDrawn is how long before the page time seen (Unix ms) the barcode
// time low (Unix ms, low 32 bits) was.
func sinceDrawn(low uint32, seen float64) float64 {
	now := int64(seen)
	return seen - float64(now-int64(int32(uint32(now)-low)))
}

// displayLatency returns, for each barcode the canvas showed, the time
// from the probe drawing it to the page seeing it, and how many distinct
// probe frames the canvas showed.
func displayLatency(s samples) (lat []float64, frames int) {
	seen := map[uint16]bool{}
	for _, c := range s.Codes {
		if len(c) != barcode.Words+1 {
			continue
		}
		var w [barcode.Words]uint32
		for i := range w {
			w[i] = uint32(c[i])
		}
		code, ok := barcode.Parse(w)
		if !ok || seen[code.Counter] {
			continue
		}
		seen[code.Counter] = true
		lat = append(lat, sinceDrawn(code.Millis, c[barcode.Words]))
	}
	return lat, len(seen)
}

// inputToPhoton pairs each key sent to the canvas with the probe's press
// it caused (in order: one key, one press) and the first time after the
// key that the canvas showed the square in that press's colour or a later
// one's. It returns the key-to-pixel times, the key-to-X-client times (the
// input leg alone), and how many keys got no answer.
func inputToPhoton(s samples, presses []probePress) (photon, leg []float64, lost int) {
	type change struct {
		idx int
		t   float64
	}
	var changes []change
	for _, q := range s.Squares {
		idx := barcode.Nearest(uint8(q[0]), uint8(q[1]), uint8(q[2]))
		if len(changes) == 0 || changes[len(changes)-1].idx != idx {
			changes = append(changes, change{idx, q[3]})
		}
	}
	for i, k := range s.Keys {
		if i >= len(presses) {
			lost++
			continue
		}
		p := presses[i]
		leg = append(leg, p.ms-k)
		// The screen has answered this key once the square shows its
		// colour or that of a later press: a viewer that falls behind may
		// skip a colour. Eight colours and a key every half second at
		// least: a colour cannot come round again within any sensible
		// latency.
		want := map[int]bool{}
		for _, q := range presses[i:min(len(presses), i+len(barcode.Palette)-1)] {
			want[q.n%len(barcode.Palette)] = true
		}
		found := false
		for _, c := range changes {
			if c.t >= k && want[c.idx] {
				photon = append(photon, c.t-k)
				found = true
				break
			}
		}
		if !found {
			lost++
		}
	}
	return photon, leg, lost
}

// keySchedule sends the probe key to the canvas about every 0.5 s, with a
// 1.5 s pause before every sixth, until ctx ends or a second before d, so
// that the last key's answer still arrives within d.
func (v *sbsViewer) keySchedule(ctx context.Context, d time.Duration) error {
	start := time.Now()
	at := 250 * time.Millisecond
	for i := 1; at <= d-time.Second; i++ {
		if err := pace(ctx, time.Until(start.Add(at))); err != nil {
			return nil
		}
		if err := v.key(ctx, "F9", "F9", 120); err != nil {
			return err
		}
		if i%5 == 0 {
			at += 1500 * time.Millisecond
		} else {
			at += 500 * time.Millisecond
		}
	}
	return nil
}

// canvasHash is a cheap fingerprint of r of the canvas (all of it when r
// is empty), to see it settle or change.
func (v *sbsViewer) canvasHash(ctx context.Context, r image.Rectangle) (float64, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(`(() => { const c = document.querySelector(%q);
		const r = [%d, %d, %d, %d]; if (r[2] === 0) { r[2] = c.width; r[3] = c.height; }
		const d = new Uint32Array(c.getContext("2d").getImageData(r[0], r[1], r[2], r[3]).data.buffer);
		let h = 2166136261; for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619);
		return h >>> 0; })()`, v.canvas, r.Min.X, r.Min.Y, r.Dx(), r.Dy())))
}

// changing waits until r of the canvas has changed twice (a video shows
// and plays), for at most max.
func (v *sbsViewer) changing(r image.Rectangle, max time.Duration) error {
	ctx, cancel := context.WithTimeout(v.ctx, max)
	defer cancel()
	last, changes := -1.0, -1
	for changes < 2 {
		h, err := v.canvasHash(ctx, r)
		if err != nil {
			return fmt.Errorf("the canvas did not change within %v: %w", max, err)
		}
		if h != last {
			last = h
			changes++
		}
		if err := pace(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("the canvas did not change within %v", max)
		}
	}
	return nil
}

// still waits until the canvas has not changed for quiet, for at most max.
func (v *sbsViewer) still(quiet, max time.Duration) error {
	ctx, cancel := context.WithTimeout(v.ctx, max)
	defer cancel()
	var last float64 = -1
	since := time.Now()
	for {
		h, err := v.canvasHash(ctx, image.Rectangle{})
		if err != nil {
			return fmt.Errorf("the canvas still changes after %v: %w", max, err)
		}
		if h != last {
			last, since = h, time.Now()
		} else if time.Since(since) >= quiet {
			return nil
		}
		if err := pace(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("the canvas still changes after %v", max)
		}
	}
}

// picture reads rect of the canvas, exactly, as PNG through a second canvas.
func (v *sbsViewer) picture(ctx context.Context, r image.Rectangle) (*image.RGBA, error) {
	url, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const c = document.querySelector(%q);
		const o = document.createElement("canvas"); o.width = %d; o.height = %d;
		const g = o.getContext("2d"); g.imageSmoothingEnabled = false;
		g.drawImage(c, %d, %d, %d, %d, 0, 0, %d, %d); return o.toDataURL("image/png"); })()`,
		v.canvas, r.Dx(), r.Dy(), r.Min.X, r.Min.Y, r.Dx(), r.Dy(), r.Dx(), r.Dy())))
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, "data:image/png;base64,"))
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	// An opaque canvas: the PNG's colours are the canvas's, whatever
	// image type the decoder chose.
	out := image.NewRGBA(r)
	draw.Draw(out, r, img, img.Bounds().Min, draw.Src)
	return out, nil
}
