//go:build unix

package browsertest

import (
	"context"
	"fmt"
	"image"
	"math"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"tether/server/protocol"
)

// The remote screen of the functional tests: larger than the viewport, so
// fit mode scales the canvas down.
const (
	screenW, screenH    = 640, 400
	viewportW, viewport = 500, 420
)

var patch = image.Rect(64, 64, 192, 128)

// session is one viewer page against one fake agent.
type session struct {
	t      *testing.T
	ctx    context.Context
	agent  *fakeAgent
	screen *screenStream
}

// start opens the viewer page, waits for the path and streams two frames:
// a full gradient, then a patch; plus a cursor. inflate is "native"
// (DecompressionStream) or "go" (a browser without it).
func start(t *testing.T, grants protocol.Grants, relay bool, inflate string) *session {
	t.Helper()
	agent := newAgent(grants, relay)
	srv := newServer(t, agent)
	ctx := newBrowser(t, 50*time.Second)
	if err := openViewer(ctx, srv.URL+"/", inflate, viewportW, viewport, 1.5); err != nil {
		t.Fatalf("open viewer: %v", err)
	}
	if err := agent.waitReady(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	want := "p2p"
	if relay {
		want = "relay"
	}
	if err := waitJS(ctx, dataset("path")+` === '`+want+`'`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, ctx: ctx, agent: agent, screen: newScreenStream(screenW, screenH, true)}
	s.must(checkInflater(ctx, inflate))
	s.must(agent.sendMsg(&protocol.Hello{Grants: grants, Width: screenW, Height: screenH, OS: "linux"}))
	frame1, err := s.screen.frame(1, render(screenW, screenH, gradient), true)
	s.must(err)
	s.must(agent.sendFrame(1, frame1, 10*time.Second))
	frame2, err := s.screen.frame(2, render(screenW, screenH, patched(patch)), false)
	s.must(err)
	s.must(agent.sendFrame(2, frame2, 10*time.Second))

	red := make([]byte, 8*8*4)
	for i := 0; i < len(red); i += 4 {
		red[i], red[i+3] = 255, 255
	}
	s.must(agent.sendMsg(&protocol.CursorShape{Serial: 7, W: 8, H: 8, RGBA: red}))
	s.must(agent.sendMsg(&protocol.CursorPos{X: 300, Y: 200, Visible: true, Serial: 7}))
	return s
}

func (s *session) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
}

// pixels reads RGBA values of canvas id at points, in the page.
func (s *session) pixels(id string, pts []image.Point) [][4]int {
	s.t.Helper()
	js := fmt.Sprintf(`(() => {
		const c = document.getElementById(%q).getContext('2d');
		return %s.map(([x, y]) => Array.from(c.getImageData(x, y, 1, 1).data));
	})()`, id, pointsJS(pts))
	out, err := chromedp.Run(s.ctx, chromedp.Evaluate[[][4]int](js))
	s.must(err)
	return out
}

func pointsJS(pts []image.Point) string {
	b := "["
	for i, p := range pts {
		if i > 0 {
			b += ","
		}
		b += fmt.Sprintf("[%d,%d]", p.X, p.Y)
	}
	return b + "]"
}

// checkPixels asserts the screen canvas shows frame 2 at sampled points.
func (s *session) checkPixels() {
	s.t.Helper()
	want := patched(patch)
	pts := []image.Point{{0, 0}, {1, 0}, {63, 63}, {64, 64}, {100, 70}, {191, 127}, {192, 128}, {300, 5}, {639, 399}, {321, 123}, {17, 390}, {500, 250}}
	for i, got := range s.pixels("v-screen", pts) {
		r, g, b := want(pts[i].X, pts[i].Y)
		if got != [4]int{int(r), int(g), int(b), 255} {
			s.t.Errorf("pixel %v = %v, want %v", pts[i], got, [4]int{int(r), int(g), int(b), 255})
		}
	}
	size, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](dataset("width")+` + 'x' + `+dataset("height")))
	s.must(err)
	if size != fmt.Sprintf("%dx%d", screenW, screenH) {
		s.t.Errorf("data-width x data-height = %s, want %dx%d", size, screenW, screenH)
	}
	s.must(waitJS(s.ctx, dataset("frames")+` >= 2 && `+dataset("firstFrameMs")+` > 0 && `+dataset("state")+` === 'streaming'`, 5*time.Second))
	// The cursor overlay shows the red pointer with its hot spot at 300,200.
	s.must(waitJS(s.ctx, `(() => { const d = document.getElementById('v-cursor').getContext('2d').getImageData(303, 203, 1, 1).data; return d[0] === 255 && d[3] === 255; })()`, 5*time.Second))
}

// clientPoint returns page coordinates over remote pixel p and the remote
// pixel the viewer must compute for them.
func (s *session) clientPoint(p image.Point) (cx, cy float64, want image.Point) {
	s.t.Helper()
	type rect struct{ Left, Top, Width, Height float64 }
	r, err := chromedp.Run(s.ctx, chromedp.Evaluate[rect](`(() => { const r = document.getElementById('v-screen').getBoundingClientRect(); return {Left: r.left, Top: r.top, Width: r.width, Height: r.height}; })()`))
	s.must(err)
	if math.Abs(r.Width-screenW) < 1 {
		s.t.Fatalf("canvas is %vpx wide: not scaled, the test would prove nothing", r.Width)
	}
	// The centre of the remote pixel, in fractional CSS pixels: the viewer
	// reads pointer events' fractional coordinates, so the click must land
	// on exactly that pixel, not one up and left of it.
	cx = r.Left + (float64(p.X)+0.5)*r.Width/screenW
	cy = r.Top + (float64(p.Y)+0.5)*r.Height/screenH
	return cx, cy, p
}

// typeKeys clicks the canvas at remote p and types "aé". chromedp's own
// key table has no "é", so that key is dispatched as an AZERTY keyboard
// sends it: key "é" on the physical Digit2 key.
func (s *session) clickAndType(p image.Point) image.Point {
	s.t.Helper()
	cx, cy, want := s.clientPoint(p)
	s.must(chromedp.Do(s.ctx,
		chromedp.MouseClickXY(cx, cy),
		chromedp.KeyEvent("a"),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "é", Code: "Digit2", Text: "é", UnmodifiedText: "é"}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "é", Code: "Digit2"})
			return err
		}),
	))
	return want
}

// text returns an element's textContent.
func (s *session) text(id string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](fmt.Sprintf("document.getElementById(%q).textContent", id)))
	s.must(err)
	return v
}

// checkInput asserts the click and the keys arrived, on the right path.
func (s *session) checkInput(want image.Point, relay bool) {
	s.t.Helper()
	keyDowns := func(rs []received) map[string]int {
		n := map[string]int{}
		for _, r := range rs {
			if k, ok := r.m.(*protocol.Key); ok {
				n[fmt.Sprintf("%s %v", k.Key, k.Down)]++
			}
		}
		return n
	}
	got, err := s.agent.collect(10*time.Second, func(rs []received) bool {
		n := keyDowns(rs)
		return n["a true"] == 1 && n["a false"] == 1 && n["é true"] == 1 && n["é false"] == 1
	})
	s.must(err)
	var down, up *protocol.MouseButton
	for _, r := range got {
		if r.relay != relay {
			s.t.Errorf("%s arrived on relay=%v, want relay=%v", r.m.Type(), r.relay, relay)
		}
		switch m := r.m.(type) {
		case *protocol.MouseButton:
			if m.Down && down == nil {
				down = m
			} else if !m.Down && up == nil {
				up = m
			}
		case *protocol.Key:
			if m.Key == "a" && m.Code != "KeyA" || m.Key == "é" && m.Code != "Digit2" || m.Mods != 0 {
				s.t.Errorf("key %+v: wrong code or modifiers", m)
			}
		}
	}
	if down == nil || up == nil {
		s.t.Fatalf("no click in %s", describe(got))
	}
	at := image.Pt(int(down.X), int(down.Y))
	if down.Button != protocol.ButtonLeft || at != want {
		s.t.Errorf("MouseButton down = %+v, want left at %v", down, want)
	}
	if up.Button != protocol.ButtonLeft || up.X != down.X || up.Y != down.Y {
		s.t.Errorf("MouseButton up = %+v, want left at %d,%d", up, down.X, down.Y)
	}
}

func TestViewerPeerToPeer(t *testing.T) {
	s := start(t, protocol.GrantView|protocol.GrantControl, false, "native")
	s.checkPixels()
	want := s.clickAndType(image.Pt(321, 123))
	s.checkInput(want, false)
	level, path := s.text("v-level"), s.text("v-path")
	if level != "View · Control" || path != "Peer-to-peer" {
		t.Errorf("toolbar shows %q, %q; want View · Control, Peer-to-peer", level, path)
	}
	// The scale button switches fit (scaled down, checked in clientPoint)
	// to 1:1 and back.
	s.must(chromedp.Do(s.ctx, chromedp.Click("#v-scale")))
	s.must(waitJS(s.ctx, dataset("scale")+` === '1:1' && document.getElementById('v-screen').getBoundingClientRect().width === `+fmt.Sprint(screenW), 5*time.Second))
	s.must(chromedp.Do(s.ctx, chromedp.Click("#v-scale")))
	s.must(waitJS(s.ctx, dataset("scale")+` === 'fit' && document.getElementById('v-screen').getBoundingClientRect().width < `+fmt.Sprint(screenW), 5*time.Second))
	// Stats arrive once a second; the RTT needs a Ping/Pong round.
	s.must(waitJS(s.ctx, `/\d ms$/.test(document.getElementById('v-rtt').textContent)`, 5*time.Second))
}

func TestViewerViewOnlySendsNoInput(t *testing.T) {
	s := start(t, protocol.GrantView, false, "native")
	s.checkPixels()
	s.clickAndType(image.Pt(100, 100))
	// Refresh sends a RequestFull on the same ordered channel after the
	// click and keys, so everything before it has arrived when it does.
	s.must(chromedp.Do(s.ctx, chromedp.Click("#v-refresh")))
	got, err := s.agent.collect(10*time.Second, func(rs []received) bool {
		return len(rs) > 0 && rs[len(rs)-1].m.Type() == protocol.TypeRequestFull
	})
	s.must(err)
	for _, r := range got {
		if protocol.IsInput(r.m) {
			t.Errorf("view-only viewer sent %s %+v", r.m.Type(), r.m)
		}
	}
	level := s.text("v-level")
	attr, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](dataset("grants")))
	s.must(err)
	if level != "View" || attr != "view" {
		t.Errorf("grants show %q (data-grants %q), want View (view)", level, attr)
	}
}

func TestViewerRelay(t *testing.T) {
	// Relayed, in a browser without DecompressionStream: Go inflates.
	s := start(t, protocol.GrantView|protocol.GrantControl, true, "go")
	s.checkPixels()
	want := s.clickAndType(image.Pt(600, 20))
	s.checkInput(want, true)
	if path := s.text("v-path"); path != "Relay" {
		t.Errorf("#v-path = %q, want Relay", path)
	}
	// The page shows the security code the agent derived.
	code, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](dataset("code")))
	s.must(err)
	if code != s.agent.keys.Code || s.text("v-code") != "Code "+s.agent.keys.Code {
		t.Errorf("page shows code %q (%q), the agent %q", code, s.text("v-code"), s.agent.keys.Code)
	}
}
