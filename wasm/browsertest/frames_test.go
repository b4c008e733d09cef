//go:build unix

package browsertest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tether/server/protocol"
)

// region reads the RGBA pixels of r of the screen canvas.
func (s *session) region(r image.Rectangle) []byte {
	s.t.Helper()
	js := fmt.Sprintf(`Array.from(document.getElementById('v-screen').getContext('2d').getImageData(%d, %d, %d, %d).data)`, r.Min.X, r.Min.Y, r.Dx(), r.Dy())
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]int](js))
	s.must(err)
	out := make([]byte, len(v))
	for i, c := range v {
		out[i] = byte(c)
	}
	return out
}

// send sends a frame's messages and waits for its ack.
func (s *session) send(seq uint32, msgs [][]byte) {
	s.t.Helper()
	s.must(s.agent.sendFrame(seq, msgs, 10*time.Second))
}

// marshal marshals messages and closes them as frame seq.
func (s *session) marshal(seq uint32, full bool, ms ...protocol.Message) [][]byte {
	s.t.Helper()
	var out [][]byte
	for _, m := range ms {
		b, err := protocol.Marshal(m)
		s.must(err)
		out = append(out, b)
	}
	out, err := appendFrameEnd(out, seq, screenW, screenH, full)
	s.must(err)
	return out
}

// update deflates ops as one Update starting a new stream.
func (s *session) update(seq uint32, ops []byte) *protocol.Update {
	s.t.Helper()
	var enc protocol.UpdateEncoder
	b, err := enc.Encode(seq, screenW, screenH, ops)
	s.must(err)
	m, err := protocol.Unmarshal(bytes.Clone(b))
	s.must(err)
	return m.(*protocol.Update)
}

// TestViewerPhoto: a JPEG photo is decoded by the browser, lands on the
// canvas at its place, and a copy in the next frame moves its pixels: the
// Go framebuffer holds what the canvas shows.
func TestViewerPhoto(t *testing.T) {
	s := start(t, protocol.GrantView, false, "native")
	s.checkPixels()

	// A smooth colourful picture, which JPEG keeps close.
	area := image.Rect(256, 160, 320, 208)
	img := image.NewRGBA(image.Rect(0, 0, area.Dx(), area.Dy()))
	for y := range area.Dy() {
		for x := range area.Dx() {
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = byte(60+2*x), byte(200-3*y), byte(100+x+y), 255
		}
	}
	var jpg bytes.Buffer
	s.must(jpeg.Encode(&jpg, img, &jpeg.Options{Quality: 90}))
	photo := &protocol.Photo{
		Seq: 3, Width: screenW, Height: screenH,
		X: uint16(area.Min.X), Y: uint16(area.Min.Y), W: uint16(area.Dx()), H: uint16(area.Dy()),
		Format: protocol.PhotoJPEG, Data: jpg.Bytes(),
	}
	s.send(3, s.marshal(3, false, photo))
	got := s.region(area)
	worst := 0
	for i := 0; i < len(got); i += 4 {
		for c := range 3 {
			worst = max(worst, abs(int(got[i+c])-int(img.Pix[i+c])))
		}
		if got[i+3] != 255 {
			t.Fatalf("photo pixel %d has alpha %d", i/4, got[i+3])
		}
	}
	if worst > 16 {
		t.Errorf("photo on the canvas differs from the picture by up to %d per channel, want at most 16", worst)
	}

	// Frame 4 copies the photo's area elsewhere: the copy must show exactly
	// what the canvas showed there.
	dst := image.Rect(448, 300, 512, 348)
	var ops protocol.OpWriter
	ops.Copy(dst, area.Min)
	s.send(4, s.marshal(4, false, s.update(4, ops.Buf)))
	if copied := s.region(dst); !bytes.Equal(copied, got) {
		t.Error("the copy of the photo's area differs from the photo on the canvas")
	}
	if again := s.region(area); !bytes.Equal(again, got) {
		t.Error("the photo changed on the canvas")
	}

	// A photo that does not decode asks for a full frame.
	bad := *photo
	bad.Seq, bad.Data = 5, []byte("not a jpeg")
	s.send(5, s.marshal(5, false, &bad))
	_, err := s.agent.collect(10*time.Second, func(rs []received) bool {
		return len(rs) > 0 && rs[len(rs)-1].m.Type() == protocol.TypeRequestFull
	})
	s.must(err)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestViewerPaintsOnlyChangedRects: two small changes far apart are
// painted as two rectangles; what lies between them on the canvas is left
// alone (a mark drawn there by the test survives).
func TestViewerPaintsOnlyChangedRects(t *testing.T) {
	s := start(t, protocol.GrantView, false, "native")
	s.checkPixels()
	mark := image.Rect(300, 180, 304, 184)
	s.must(chromedp.Do(s.ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const c = document.getElementById('v-screen').getContext('2d'); c.fillStyle = '#ff00ff'; c.fillRect(%d, %d, %d, %d); })()`,
		mark.Min.X, mark.Min.Y, mark.Dx(), mark.Dy()))))

	a, b := image.Rect(8, 8, 16, 24), image.Rect(600, 360, 608, 376)
	base := patched(patch)
	changed := func(x, y int) (r, g, bl byte) {
		p := image.Pt(x, y)
		if p.In(a) || p.In(b) {
			return 255, 255, 0
		}
		return base(x, y)
	}
	msgs, err := s.screen.frame(3, render(screenW, screenH, changed), false)
	s.must(err)
	s.send(3, msgs)
	if n, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](dataset("rects"))); err != nil || n != "2" {
		t.Errorf("data-rects = %q (%v), want 2", n, err)
	}
	pts := []image.Point{a.Min, b.Max.Sub(image.Pt(1, 1)), mark.Min, {100, 300}, a.Max, b.Min.Sub(image.Pt(1, 1))}
	got := s.pixels("v-screen", pts)
	want := [][4]int{{255, 255, 0, 255}, {255, 255, 0, 255}, {255, 0, 255, 255}}
	for _, p := range pts[3:] {
		r, g, bl := base(p.X, p.Y)
		want = append(want, [4]int{int(r), int(g), int(bl), 255})
	}
	if !slices.Equal(got, want) {
		t.Errorf("pixels at %v = %v, want %v (changed, changed, mark kept, untouched...)", pts, got, want)
	}
}

// TestViewerBrokenStream: an Update that does not inflate (corrupt, or
// short of its raw length) asks for one full frame, and the full frame
// repairs the picture, with either inflater.
func TestViewerBrokenStream(t *testing.T) {
	for _, inflate := range []string{"native", "go"} {
		t.Run(inflate, func(t *testing.T) {
			s := start(t, protocol.GrantView, false, inflate)
			s.checkPixels()
			var ops protocol.OpWriter
			ops.Fill(image.Rect(0, 0, 64, 64), 0xff0000)
			short := s.update(3, ops.Buf)
			short.RawLen += 5
			corrupt := &protocol.Update{Seq: 4, Width: screenW, Height: screenH, RawLen: 12, Data: []byte{0xff, 0xff, 0xff}}
			seq := uint32(3)
			for _, m := range []*protocol.Update{short, corrupt} {
				m.Flags = protocol.UpdateReset
				s.send(seq, s.marshal(seq, false, m))
				// Later Updates of the broken stream fail quietly.
				next := s.update(seq+1, ops.Buf)
				next.Flags = 0
				s.send(seq+1, s.marshal(seq+1, false, next, next))
				full, err := s.screen.frame(seq+2, render(screenW, screenH, patched(patch)), true)
				s.must(err)
				s.send(seq+2, full)
				// Input and acks share the ordered "input" channel: whatever
				// the viewer sent before the last ack is here.
				got := s.agent.drainInput()
				if len(got) != 1 || got[0].m.Type() != protocol.TypeRequestFull {
					t.Errorf("after a broken Update the viewer sent %s, want one request-full", describe(got))
				}
				s.checkPixels()
				seq += 3
			}
		})
	}
}
