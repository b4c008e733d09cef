//go:build linux

package e2e

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// shapedLink is a TCP proxy that makes each connection through it behave
// like a customer's home line once shaping is on: rate bytes a second in
// each direction, delay added one way (so twice that in round trip), and a
// modem-sized queue, beyond which the sender waits as on a real line.
type shapedLink struct {
	ln     net.Listener
	target string
	on     atomic.Bool
	rate   int
	delay  time.Duration
	wg     sync.WaitGroup
}

// queueBytes is how much the line buffers before the sender blocks: about
// a quarter second at 2 Mbit/s, as a home router's queue.
const queueBytes = 64 << 10

func startShapedLink(t testing.TB, target string, rate int, delay time.Duration) *shapedLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &shapedLink{ln: ln, target: target, rate: rate, delay: delay}
	t.Cleanup(func() { ln.Close(); l.wg.Wait() })
	l.wg.Add(1)
	go l.serve()
	return l
}

func (l *shapedLink) addr() string { return l.ln.Addr().String() }

func (l *shapedLink) serve() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", l.target)
		if err != nil {
			c.Close()
			continue
		}
		l.wg.Add(2)
		go l.pipe(up, c)
		go l.pipe(c, up)
	}
}

// pipe copies src to dst through the line: each chunk leaves delay after it
// arrived, no faster than rate.
func (l *shapedLink) pipe(dst, src net.Conn) {
	defer l.wg.Done()
	type chunk struct {
		b  []byte
		at time.Time
	}
	const chunkSize = 4 << 10
	q := make(chan chunk, queueBytes/chunkSize)
	go func() {
		defer close(q)
		for {
			b := make([]byte, chunkSize)
			n, err := src.Read(b)
			if n > 0 {
				q <- chunk{b[:n], time.Now()}
			}
			if err != nil {
				return
			}
		}
	}()
	var free time.Time // when the line has sent what it was given
	for c := range q {
		if l.on.Load() {
			wait := c.at.Add(l.delay)
			if free.After(wait) {
				wait = free
			}
			time.Sleep(time.Until(wait))
			free = time.Now().Add(time.Duration(len(c.b)) * time.Second / time.Duration(l.rate))
		}
		if _, err := dst.Write(c.b); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

// TestTypingAndScrollingOverA2MbitLink runs a relayed session whose agent
// sits behind a 2 Mbit/s line with 80 ms round trip (40 ms added each way,
// the customer's uplink and downlink both shaped). Typing must show within 150 ms of the
// key (median), and a terminal scrolling 20 lines a second must still
// paint at least 10 frames a second.
func TestTypingAndScrollingOverA2MbitLink(t *testing.T) {
	server := "127.0.0.1:" + strconv.Itoa(freePort(t))
	link := startShapedLink(t, server, 2_000_000/8, 40*time.Millisecond)
	w := newWorldSized(t, 1920, 1080, []string{"-echo"}, "TETHER_P2P=false", "TETHER_LISTEN="+server, "TETHER_BASE_URL=http://"+link.addr())
	invite, _ := w.newSession(t, "Slow line")
	cust := newBrowser(t)
	do(t, cust, 30*time.Second, "open invitation", chromedp.Navigate(invite), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust)
	c.approve(t, "control")
	waitJS(t, w.engineer, 20*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	// The download went at full speed; the session runs on the slow line.
	link.on.Store(true)
	w.clickRemote(t, 5, 5) // focus the canvas

	// Input to photon: from the keydown in the engineer's page to the next
	// frame painted, on the page's own clock. The test window paints a
	// cell for every key and nothing else moves.
	eval[bool](t, w.engineer, `(() => {
		const v = document.getElementById("viewer");
		window.__keys = {down: 0, lat: []};
		document.addEventListener("keydown", () => { window.__keys.down = performance.now(); }, true);
		new MutationObserver(() => {
			const k = window.__keys;
			if (k.down) { k.lat.push(performance.now() - k.down); k.down = 0; }
		}).observe(v, {attributes: true, attributeFilter: ["data-frames"]});
		return true; })()`)
	const keys = 12
	for i := 0; i < keys; i++ {
		do(t, w.engineer, 5*time.Second, "key", chromedp.KeyEvent("x"))
		waitJS(t, w.engineer, 5*time.Second, "the key's frame", fmt.Sprintf(`window.__keys.lat.length > %d`, i))
		time.Sleep(200 * time.Millisecond) // a typist's pace, not a wait for a result
	}
	lat := eval[[]float64](t, w.engineer, `window.__keys.lat`)
	typing := median(lat)
	t.Logf("typing over 2 Mbit/s, 80 ms round trip: key to frame median %.0f ms (%v)", typing, lat)
	if typing > 150 {
		t.Errorf("key to frame median %.0f ms, want at most 150", typing)
	}

	// Scrolling: a full-screen terminal paging through a long text, keys
	// from xdotool on the customer's display.
	xterm := exec.Command(requireTool(t, "xterm", "xterm"), "-display", w.display, "-geometry", "+0+0", "-maximized",
		"-e", "less", "/usr/share/common-licenses/GPL-3")
	if err := xterm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { xterm.Process.Kill(); xterm.Wait() })
	xdotool := requireTool(t, "xdotool", "xdotool")
	run := func(args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, xdotool, args...)
		cmd.Env = append(cmd.Environ(), "DISPLAY="+w.display)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v\n%s", args, err, out)
		}
	}
	// The test window holds the keyboard focus; give it to the terminal.
	run("search", "--sync", "--onlyvisible", "--class", "xterm", "windowfocus", "--sync")
	frames := func() int {
		return eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	}
	// Let the terminal's first picture through the line before measuring:
	// wait until no frame came for a second and a half.
	waitJS(t, w.engineer, 30*time.Second, "the terminal on screen", `(() => {
		const v = document.getElementById("viewer"), n = Number(v.dataset.frames), now = performance.now();
		if (window.__quiet === undefined || window.__quiet.n !== n) { window.__quiet = {n, since: now}; }
		return n > 0 && now - window.__quiet.since > 1500; })()`)
	before, start := frames(), time.Now()
	args := []string{"key", "--delay", "50"}
	for i := 0; i < 60; i++ {
		args = append(args, "Down")
	}
	run(args...)
	fps := float64(frames()-before) / time.Since(start).Seconds()
	shot(t, w.engineer, "shaped-scrolling")
	shotScreen(t, w.display, "shaped-scrolling-x")
	t.Logf("scrolling 20 lines/s over 2 Mbit/s, 80 ms round trip: %.1f frames/s", fps)
	if fps < 10 {
		t.Errorf("scrolling painted %.1f frames/s, want at least 10", fps)
	}
	do(t, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)))
	c.waitExit(t, 10*time.Second)
}
