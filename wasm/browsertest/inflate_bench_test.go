//go:build unix

package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/server/protocol"
)

// BenchmarkDecompressionStream measures the browser's native inflate alone,
// through the viewer's own JS Inflater (static/js/viewer-pixels.js) with no
// Go in the loop: the Updates of full frames of the corpus screens, and of
// typing one character (the character appearing and going away, frame
// after frame, on one stream), written and taken as the viewer does,
// awaiting each message's output in turn. Compare with inflate-ms/frame of
// BenchmarkViewerDecode1080p/go, the same work done by Go in wasm.
//
//	go test ./wasm/browsertest/ -run '^$' -bench DecompressionStream -benchtime 30x
func BenchmarkDecompressionStream(b *testing.B) {
	agent := newAgent(protocol.GrantView, false)
	srv := newServer(b, agent)
	ctx := newBrowser(b, 5*time.Minute)
	if err := openViewer(ctx, srv.URL+"/", "native", 1280, 800, 1); err != nil {
		b.Fatal(err)
	}
	if err := checkInflater(ctx, "native"); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"xterm-ls", "desktop", "chromium-article"} {
		b.Run("full/"+name, func(b *testing.B) {
			bgra, w, h := corpusScreen(b, name)
			s := newScreenStream(w, h, true)
			benchInflate(b, ctx, nil, func(i int) [][]byte { return mustFrame(b, s, uint32(i+1), bgra, true) })
		})
	}
	b.Run("typing", func(b *testing.B) {
		before, w, h := corpusScreen(b, "typing-before")
		after, _, _ := corpusScreen(b, "typing-after")
		s := newScreenStream(w, h, true)
		setup := mustFrame(b, s, 1, before, true)
		benchInflate(b, ctx, setup, func(i int) [][]byte {
			if i%2 == 0 {
				return mustFrame(b, s, uint32(i+2), after, false)
			}
			return mustFrame(b, s, uint32(i+2), before, false)
		})
	})
}

func mustFrame(b *testing.B, s *screenStream, seq uint32, src []byte, full bool) [][]byte {
	msgs, err := s.frame(seq, src, full)
	if err != nil {
		b.Fatal(err)
	}
	return msgs
}

// benchInflate inflates the Updates of setup untimed, then those of b.N
// frames, timing each frame, and reports the median.
func benchInflate(b *testing.B, ctx context.Context, setup [][]byte, frame func(i int) [][]byte) {
	type msg struct {
		Data  string `json:"d"`
		Raw   int    `json:"r"`
		Reset bool   `json:"s"`
	}
	updates := func(msgs [][]byte) []msg {
		out := []msg{}
		for _, raw := range msgs {
			m, err := protocol.Unmarshal(raw)
			if err != nil {
				b.Fatal(err)
			}
			if u, ok := m.(*protocol.Update); ok {
				out = append(out, msg{base64.StdEncoding.EncodeToString(u.Data), int(u.RawLen), u.Reset()})
			}
		}
		return out
	}
	frames := [][]msg{updates(setup)}
	wire := 0
	for i := range b.N {
		f := updates(frame(i))
		for _, m := range f {
			wire += len(m.Data) * 3 / 4
		}
		frames = append(frames, f)
	}
	fj, err := json.Marshal(frames)
	if err != nil {
		b.Fatal(err)
	}
	js := fmt.Sprintf(`(async () => {
		const frames = %s.map(f => f.map(m => ({data: Uint8Array.from(atob(m.d), c => c.charCodeAt(0)), raw: m.r, reset: m.s})));
		const inf = tetherViewer.newInflater(%d);
		const ms = [];
		for (const f of frames) {
			const t0 = performance.now();
			for (const m of f) {
				if (m.reset) {
					inf.reset();
				}
				inf.write(m.data, m.raw);
				if (!inf.take(m.raw)) {
					await inf.wait(m.raw);
					inf.take(m.raw);
				}
			}
			ms.push(performance.now() - t0);
		}
		return ms.slice(1);
	})()`, fj, protocol.MaxUpdateRaw)
	b.ResetTimer()
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(median(ms), "inflate-ms/frame")
	b.ReportMetric(mean(ms), "mean-inflate-ms/frame")
	b.ReportMetric(float64(wire)/float64(b.N)/1000, "deflate-kB/frame")
}
