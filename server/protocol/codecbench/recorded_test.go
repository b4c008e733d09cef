package codecbench

import (
	"bytes"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"tether/agent/stream"
	"tether/server/protocol"
)

// replay decodes a recording in testdata and returns the picture after
// each frame, as RGBA.
func replay(tb testing.TB, name string) []*image.RGBA {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := protocol.NewRecordingReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	var v *viewer
	var frames []*image.RGBA
	for {
		_, msg, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		m, err := protocol.Unmarshal(msg)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		if u, ok := m.(*protocol.Update); ok && v == nil {
			v = newViewer(int(u.Width), int(u.Height))
		}
		if v == nil {
			tb.Fatalf("%s: %s before the first update", name, m.Type())
		}
		if err := v.apply(msg); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		if _, ok := m.(*protocol.FrameEnd); ok {
			frames = append(frames, &image.RGBA{Pix: bytes.Clone(v.img.Pix), Stride: v.img.Stride, Rect: v.img.Rect})
		}
	}
	if len(frames) < 2 {
		tb.Fatalf("%s: %d frames", name, len(frames))
	}
	return frames
}

func bgraOf(img *image.RGBA) []byte {
	out := make([]byte, len(img.Pix))
	for i := 0; i+3 < len(img.Pix); i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = img.Pix[i+2], img.Pix[i+1], img.Pix[i], 255
	}
	return out
}

// TestRecordedRoundTrip replays recordings of real sessions (typing in a
// terminal, scrolling in less) through the encoder as it is now, with lossy
// areas allowed, and checks the viewer's picture is exact after every
// frame. Scrolling must go as copies: a frame then costs a fraction of
// what its changed pixels would.
func TestRecordedRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name        string
		maxPerFrame int // bytes, median of the frames after the first
		copies      bool
	}{
		{"typing.rec", 400, false},
		{"scrolling.rec", 6000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames := replay(t, tc.name)
			w, h := frames[0].Rect.Dx(), frames[0].Rect.Dy()
			var e stream.Encoder
			v := newViewer(w, h)
			var sizes []int
			copies := 0
			for i, want := range frames {
				res, err := e.Encode(frameOf(bgraOf(want), w, h), uint32(i+1), false, v.apply)
				if err != nil {
					t.Fatal(err)
				}
				if i > 0 {
					sizes = append(sizes, res.Bytes)
				}
				copies += res.Copies
				if !bytes.Equal(v.img.Pix, want.Pix) {
					t.Fatalf("frame %d of %d: the viewer's picture differs", i+1, len(frames))
				}
			}
			total := 0
			for _, n := range sizes {
				total += n
			}
			slices.Sort(sizes)
			med := sizes[len(sizes)/2]
			t.Logf("%d frames, after the first: median %d bytes, mean %d, %d copies, %d photos", len(frames), med, total/len(sizes), copies, v.photos)
			if med > tc.maxPerFrame {
				t.Errorf("median %d bytes per frame, want at most %d", med, tc.maxPerFrame)
			}
			if tc.copies && copies == 0 {
				t.Error("scrolling sent no copies")
			}
			if v.photos != 0 {
				t.Errorf("%d photos for text", v.photos)
			}
		})
	}
}
