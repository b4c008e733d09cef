//go:build unix

package browsertest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/server/protocol"
)

// BenchmarkViewerDecode1080p measures, inside headless Chromium, what the
// viewer spends on a 1920×1080 frame encoded as the agent encodes it
// (agent/stream): inflating the Update stream, applying its operations to
// the Go framebuffer, and painting the changed rectangles (one copy to JS,
// one call). The viewer records that per frame in data-decode-ms (decode
// plus paint), data-paint-ms and data-inflate-ms; the benchmark reports
// their medians. Transport time is not included (the agent waits for each
// ack).
//
// It runs once with the browser's DecompressionStream ("native") and once
// without it ("go": the viewer inflates in Go), on full frames of the
// corpus screens of server/protocol/codecbench, of the synthetic desktop
// pattern, and on the frames that typing one character makes.
//
//	go test ./wasm/browsertest/ -run '^$' -bench ViewerDecode -benchtime 30x
func BenchmarkViewerDecode1080p(b *testing.B) {
	const w, h = 1920, 1080
	type screen struct {
		name string
		bgra []byte
	}
	screens := []screen{{"synthetic", render(w, h, desktop)}}
	for _, name := range []string{"xterm-ls", "desktop", "chromium-article"} {
		bgra, sw, sh := corpusScreen(b, name)
		if sw != w || sh != h {
			b.Fatalf("%s is %dx%d, want %dx%d", name, sw, sh, w, h)
		}
		screens = append(screens, screen{name, bgra})
	}
	before, _, _ := corpusScreen(b, "typing-before")
	after, _, _ := corpusScreen(b, "typing-after")

	for _, inflate := range []string{"native", "go"} {
		b.Run(inflate, func(b *testing.B) {
			v := openBench(b, inflate, w, h)
			for _, s := range screens {
				b.Run("full/"+s.name, func(b *testing.B) {
					v.run(b, func(int) ([]byte, bool) { return s.bgra, true })
				})
			}
			b.Run("typing", func(b *testing.B) {
				// The character appears and goes away, frame after frame.
				v.frame(b, before, true)
				v.run(b, func(i int) ([]byte, bool) {
					if i%2 == 0 {
						return after, false
					}
					return before, false
				})
			})
		})
	}
}

// benchViewer is one viewer page fed frames by the benchmark.
type benchViewer struct {
	ctx    context.Context
	agent  *fakeAgent
	screen *screenStream
	seq    uint32
}

func openBench(b *testing.B, inflate string, w, h int) *benchViewer {
	b.Helper()
	agent := newAgent(protocol.GrantView, false)
	srv := newServer(b, agent)
	ctx := newBrowser(b, 10*time.Minute)
	if err := openViewer(ctx, srv.URL+"/", inflate, 1280, 800, 1); err != nil {
		b.Fatal(err)
	}
	if err := agent.waitReady(30 * time.Second); err != nil {
		b.Fatal(err)
	}
	if err := checkInflater(ctx, inflate); err != nil {
		b.Fatal(err)
	}
	if err := agent.sendMsg(&protocol.Hello{Width: uint16(w), Height: uint16(h), OS: "linux"}); err != nil {
		b.Fatal(err)
	}
	// Lossless, as a full frame always is; typing never looks busy.
	return &benchViewer{ctx: ctx, agent: agent, screen: newScreenStream(w, h, true)}
}

// frame sends src as the next frame and returns its wire size.
func (v *benchViewer) frame(b *testing.B, src []byte, full bool) int {
	b.Helper()
	v.seq++
	msgs, err := v.screen.frame(v.seq, src, full)
	if err != nil {
		b.Fatal(err)
	}
	if err := v.agent.sendFrame(v.seq, msgs, 30*time.Second); err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	return n
}

// run sends b.N frames, next(i) giving each one's pixels and whether it is
// full, and reports the medians of what the viewer measured.
func (v *benchViewer) run(b *testing.B, next func(i int) ([]byte, bool)) {
	var total, paint, inflate, frame, wire []float64
	for i := range b.N {
		src, full := next(i)
		wire = append(wire, float64(v.frame(b, src, full)))
		// Set before the ack is sent, so it belongs to this frame.
		got, err := chromedp.Run(v.ctx, chromedp.Evaluate[[4]string](`[`+dataset("decodeMs")+`, `+dataset("paintMs")+`, `+dataset("inflateMs")+`, `+dataset("frameMs")+`]`))
		if err != nil {
			b.Fatal(err)
		}
		var ms [4]float64
		var errs []error
		for i, s := range got {
			var err error
			ms[i], err = strconv.ParseFloat(s, 64)
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			b.Fatalf("data-decode-ms, data-paint-ms, data-inflate-ms, data-frame-ms = %q: %v", got, err)
		}
		total, paint, inflate, frame = append(total, ms[0]), append(paint, ms[1]), append(inflate, ms[2]), append(frame, ms[3])
	}
	b.ReportMetric(median(total), "decode+paint-ms/frame")
	b.ReportMetric(median(paint), "paint-ms/frame")
	b.ReportMetric(median(inflate), "inflate-ms/frame")
	b.ReportMetric(median(frame), "wall-ms/frame")
	// The page clock ticks in 0.1 ms (jittered, without cross-origin
	// isolation): for typing frames, means say more than medians.
	b.ReportMetric(mean(total), "mean-decode+paint-ms/frame")
	b.ReportMetric(mean(inflate), "mean-inflate-ms/frame")
	b.ReportMetric(mean(frame), "mean-wall-ms/frame")
	b.ReportMetric(median(wire)/1000, "wire-kB/frame")
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}
