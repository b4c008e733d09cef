package codecbench

import (
	"bytes"
	"image"
	"testing"

	"tether/agent/capture"
	"tether/agent/stream"
	"tether/server/protocol"
	"tether/server/protocol/protocoltest"
)

// viewer decodes a message stream the way the wasm viewer does (inflate,
// apply operations, paint photos) into an RGBA picture.
type viewer struct {
	img     *image.RGBA
	inf     protocol.Inflater
	frames  int
	photos  int
	updates int
}

func newViewer(w, h int) *viewer {
	v := &viewer{img: image.NewRGBA(image.Rect(0, 0, w, h))}
	for i := 3; i < len(v.img.Pix); i += 4 {
		v.img.Pix[i] = 255
	}
	return v
}

func (v *viewer) apply(b []byte) error {
	m, err := protocol.Unmarshal(b)
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *protocol.Update:
		ops, err := v.inf.Inflate(m)
		if err != nil {
			return err
		}
		v.updates++
		return protocol.ApplyOps(v.img.Pix, v.img.Stride, v.img.Rect.Dx(), v.img.Rect.Dy(), ops, nil)
	case *protocol.Photo:
		if err := protocoltest.PaintPhoto(v.img, m); err != nil {
			return err
		}
		v.photos++
	case *protocol.FrameEnd:
		v.frames++
	}
	return nil
}

// frameOf wraps a BGRA picture as a capture.
func frameOf(bgra []byte, w, h int) *capture.Frame {
	return &capture.Frame{Width: w, Height: h, Stride: w * 4, Pix: bgra}
}

// encodeFull encodes s as a full frame and returns copies of its messages.
func encodeFull(tb testing.TB, e *stream.Encoder, s screen) ([][]byte, stream.Result) {
	tb.Helper()
	var msgs [][]byte
	res, err := e.Encode(frameOf(s.bgra, s.w, s.h), 1, true, func(b []byte) error {
		msgs = append(msgs, bytes.Clone(b))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return msgs, res
}

func wireSize(msgs [][]byte) int {
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	return n
}

// TestCorpusRoundTrip sends every corpus screen as a full frame and as the
// change from a blank screen, and checks the viewer's picture is exact.
func TestCorpusRoundTrip(t *testing.T) {
	for _, s := range corpus(t) {
		if s.base != nil {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			var e stream.Encoder
			v := newViewer(s.w, s.h)
			msgs, res := encodeFull(t, &e, s)
			for _, m := range msgs {
				if len(m) > protocol.MaxMessageSize {
					t.Fatalf("message of %d bytes", len(m))
				}
				if err := v.apply(m); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(v.img.Pix, toRGBAOpaque(rgbaOf(s))) {
				t.Fatal("the viewer's picture differs from the screen")
			}
			t.Logf("%s: %d bytes in %d messages, %+v", s.name, wireSize(msgs), len(msgs), res.Ops)
		})
	}
}

func rgbaOf(s screen) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	for i := 0; i+3 < len(s.bgra); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = s.bgra[i+2], s.bgra[i+1], s.bgra[i], 255
	}
	return img
}

// BenchmarkFullFrame encodes and decodes each corpus screen as a full
// frame: what a viewer joining (or a whole-screen change) costs.
func BenchmarkFullFrame(b *testing.B) {
	for _, s := range corpus(b) {
		if s.base != nil {
			continue
		}
		var e stream.Encoder
		msgs, _ := encodeFull(b, &e, s)
		b.Run(s.name+"/encode", func(b *testing.B) {
			cpu := startCPU()
			for b.Loop() {
				encodeFull(b, &e, s)
			}
			b.ReportMetric(float64(wireSize(msgs))/1000, "kB/frame")
			cpu.report(b)
		})
		b.Run(s.name+"/decode", func(b *testing.B) {
			v := newViewer(s.w, s.h)
			cpu := startCPU()
			for b.Loop() {
				for _, m := range msgs {
					if err := v.apply(m); err != nil {
						b.Fatal(err)
					}
				}
			}
			cpu.report(b)
		})
	}
}
