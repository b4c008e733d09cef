//go:build unix

package browsertest

import (
	"errors"
	"image"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/server/protocol"
)

// BenchmarkViewerDecode1080p measures, inside headless Chromium, what the
// viewer spends on one full 1920×1080 frame: decoding every LZ4 tile into
// the Go backbuffer plus the one copy to JS and putImageData. The viewer
// records that per frame in data-decode-ms; the benchmark reports the
// median. Transport time is not included (the agent waits for each ack).
//
//	go test ./wasm/browsertest/ -run '^$' -bench ViewerDecode -benchtime 30x
func BenchmarkViewerDecode1080p(b *testing.B) {
	const w, h = 1920, 1080
	agent := newAgent(protocol.GrantView, false)
	srv := newServer(b, agent)
	ctx := newBrowser(b, 5*time.Minute)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(srv.URL+"/")); err != nil {
		b.Fatal(err)
	}
	if err := agent.waitReady(30 * time.Second); err != nil {
		b.Fatal(err)
	}
	if err := agent.sendMsg(&protocol.Hello{Width: w, Height: h, OS: "linux"}); err != nil {
		b.Fatal(err)
	}
	groups := frameTiles(protocol.DefaultCodec, render(w, h, desktop), w, h, image.Rect(0, 0, w, h))
	var wire int
	ms := make([]float64, 0, b.N)
	paintMs := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		seq := uint32(i + 1)
		msgs, err := marshalFrame(seq, groups, w, h, true)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			for _, m := range msgs {
				wire += len(m)
			}
		}
		if err := agent.sendFrame(seq, msgs, 30*time.Second); err != nil {
			b.Fatal(err)
		}
		// Set before the ack is sent, so it belongs to this frame.
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[2]string](`[`+dataset("decodeMs")+`, `+dataset("paintMs")+`]`))
		if err != nil {
			b.Fatal(err)
		}
		total, err1 := strconv.ParseFloat(v[0], 64)
		paint, err2 := strconv.ParseFloat(v[1], 64)
		if err := errors.Join(err1, err2); err != nil {
			b.Fatalf("data-decode-ms, data-paint-ms = %q: %v", v, err)
		}
		ms = append(ms, total)
		paintMs = append(paintMs, paint)
	}
	b.StopTimer()
	slices.Sort(ms)
	slices.Sort(paintMs)
	b.ReportMetric(ms[len(ms)/2], "decode+paint-ms/frame")
	b.ReportMetric(paintMs[len(paintMs)/2], "paint-ms/frame")
	b.ReportMetric(float64(wire)/1000, "wire-kB/frame")
}
