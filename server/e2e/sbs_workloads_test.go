//go:build linux

package e2e

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb/xproto"
)

// rig is what the side-by-side workloads run against: the X display, the
// long text, the page server, and the viewer being measured (for the
// workload whose input goes through it).
type rig struct {
	t        testing.TB
	display  string
	x        *xscreen
	textFile string
	text     []string
	pageURL  string
	v        *sbsViewer
}

// scene is a started workload.
type scene struct {
	// drive makes the workload's input (or lets it play) for d.
	drive func(ctx context.Context, d time.Duration) error
	// freeze stops all motion, so the screen can settle.
	freeze func()
	// close ends the workload's programs and waits for their windows to go.
	close func()
}

// workload is one row of the side-by-side table.
type workload struct {
	name string
	what string
	// probe: the barcode runs and the probe key is pressed while
	// measured; false keeps the screen still (idle).
	probe bool
	// video: the screen never settles; the picture is also compared
	// during playback.
	video bool
	start func(r *rig) (*scene, error)
}

// Where the video plays: top right under the probe, so that one grab
// holds both the barcode and the video.
var videoRect = image.Rect(1280, 40, 1920, 400)

// inputPeriod paces the workloads' input: 20 keys, wheel notches or
// window moves a second.
const inputPeriod = 50 * time.Millisecond

func workloads() []workload {
	return []workload{
		{name: "idle", what: "nothing moves", start: startIdle},
		{name: "typing", what: "xdotool types 20 chars/s into an xterm", probe: true, start: startTyping},
		{name: "scroll-x", what: "less in a full-screen xterm, Down/space from xdotool at 20/s", probe: true, start: startScrollX},
		{name: "scroll-viewer", what: "less in a full-screen xterm, keys and wheel through the viewer at 20/s", probe: true, start: startScrollViewer},
		{name: "drag", what: "an xterm with text moved in 10 px steps at 20 Hz", probe: true, start: startDrag},
		{name: "page", what: "a long page in Chromium, Down from xdotool at 20/s", probe: true, start: startPage},
		{name: "video", what: "ffplay testsrc2 640x360 at 30 fps", probe: true, video: true, start: startVideo},
		{name: "mixed", what: "typing, then scrolling less, then a small drag, a third each", probe: true, start: startMixed},
	}
}

func startIdle(r *rig) (*scene, error) {
	return &scene{drive: pace, freeze: func() {}, close: func() {}}, nil
}

// pace is a drive that only lets time pass: the pacing of a workload that
// runs by itself.
func pace(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// window starts a program that shows one window titled title, waits for
// the window, and moves it to at (when not empty). close kills it and
// waits for the window to go.
func (r *rig) window(title string, at image.Rectangle, quiet bool, name string, args ...string) (*proc, xproto.Window, func(), error) {
	var p *proc
	if quiet {
		p = startQuiet(r.t, r.display, name, args...)
	} else {
		p = startProc(r.t, r.display, name, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := r.x.findWindow(ctx, title)
	if err != nil {
		p.stop()
		return nil, 0, nil, err
	}
	if !at.Empty() {
		if err := r.x.place(w, at); err != nil {
			p.stop()
			return nil, 0, nil, err
		}
	}
	closeFn := func() {
		p.signal(syscall.SIGCONT)
		p.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.x.gone(ctx, title); err != nil {
			r.t.Error(err)
		}
	}
	return p, w, closeFn, nil
}

func (r *rig) xterm(title string, at image.Rectangle, cmd ...string) (xproto.Window, func(), error) {
	args := append([]string{"-title", title, "-fa", "DejaVu Sans Mono", "-fs", "11", "-bg", "white", "-fg", "black", "-e"}, cmd...)
	_, w, closeFn, err := r.window(title, at, false, "xterm", args...)
	return w, closeFn, err
}

// focus points the keyboard at (x, y): with no window manager the focus
// follows the pointer.
func (r *rig) focus(px, py int) error {
	if err := r.x.focusPointer(); err != nil {
		return err
	}
	return r.x.pointer(px, py)
}

// xdotool runs one xdotool command to its end (its own --delay paces it).
func xdotool(ctx context.Context, display string, args ...string) error {
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xdotool %s: %v %s", args[0], err, out)
	}
	return nil
}

// count is how many inputs fit in d at inputPeriod.
func count(d time.Duration) int { return max(1, int(d/inputPeriod)) }

// typeText types about n characters of the text at 20 a second.
func (r *rig) typeText(ctx context.Context, n int) error {
	return xdotool(ctx, r.display, "type", "--delay", strconv.Itoa(int(inputPeriod/time.Millisecond)), "--", typingText(r.text, n))
}

// typingText is the first words of lines, at most n characters, in lines
// of about 60.
func typingText(lines []string, n int) string {
	var b strings.Builder
	col := 0
	for _, l := range lines {
		for _, w := range strings.Fields(l)[1:] {
			if b.Len()+1+len(w) > n {
				return b.String()
			}
			switch {
			case b.Len() == 0:
			case col+1+len(w) > 60:
				b.WriteString("\n")
				col = 0
			default:
				b.WriteString(" ")
				col++
			}
			b.WriteString(w)
			col += len(w)
		}
	}
	return b.String()
}

// scrollKeys presses n keys at 20 a second: Down, and space every tenth.
func (r *rig) scrollKeys(ctx context.Context, n int) error {
	args := []string{"key", "--delay", strconv.Itoa(int(inputPeriod / time.Millisecond))}
	for i := 0; i < n; i++ {
		if i%10 == 9 {
			args = append(args, "space")
		} else {
			args = append(args, "Down")
		}
	}
	return xdotool(ctx, r.display, args...)
}

var fullScreen = image.Rect(0, 0, 1920, 1080)

func startTyping(r *rig) (*scene, error) {
	at := image.Rect(160, 120, 1160, 720)
	_, closeFn, err := r.xterm("sbs-typing", at, "sh", "-c", "cat >/dev/null")
	if err != nil {
		return nil, err
	}
	if err := r.focus(at.Min.X+40, at.Min.Y+40); err != nil {
		closeFn()
		return nil, err
	}
	return &scene{
		drive:  func(ctx context.Context, d time.Duration) error { return r.typeText(ctx, count(d)) },
		freeze: func() {},
		close:  closeFn,
	}, nil
}

func (r *rig) less() (func(), error) {
	_, closeFn, err := r.xterm("sbs-less", fullScreen, "less", "--mouse", r.textFile)
	if err != nil {
		return nil, err
	}
	if err := r.focus(960, 540); err != nil {
		closeFn()
		return nil, err
	}
	return closeFn, nil
}

func startScrollX(r *rig) (*scene, error) {
	closeFn, err := r.less()
	if err != nil {
		return nil, err
	}
	return &scene{
		drive:  func(ctx context.Context, d time.Duration) error { return r.scrollKeys(ctx, count(d)) },
		freeze: func() {},
		close:  closeFn,
	}, nil
}

func startScrollViewer(r *rig) (*scene, error) {
	closeFn, err := r.less()
	if err != nil {
		return nil, err
	}
	return &scene{
		drive: func(ctx context.Context, d time.Duration) error {
			// Alternately a key (Down, space every tenth) and a wheel
			// notch, in the viewer's canvas over the middle of the screen.
			start := time.Now()
			for i := 0; i < count(d); i++ {
				var err error
				switch {
				case i%2 == 1:
					err = r.v.wheel(ctx, 960, 540, 100)
				case i%10 == 8:
					err = r.v.key(ctx, " ", "Space", 32)
				default:
					err = r.v.key(ctx, "ArrowDown", "ArrowDown", 40)
				}
				if err != nil {
					return err
				}
				if err := pace(ctx, time.Until(start.Add(time.Duration(i+1)*inputPeriod))); err != nil {
					return err
				}
			}
			return nil
		},
		freeze: func() {},
		close:  closeFn,
	}, nil
}

// circle moves w around an ellipse centred on (cx, cy) at 20 Hz, about
// step pixels at a time, for d.
func (r *rig) circle(ctx context.Context, w xproto.Window, cx, cy, rx, ry, step float64, d time.Duration) error {
	start := time.Now()
	da := step / ((rx + ry) / 2)
	for i := 0; i < count(d); i++ {
		a := float64(i+1) * da
		r.x.move(w, int(cx+rx*math.Cos(a)-rx), int(cy+ry*math.Sin(a)))
		if err := pace(ctx, time.Until(start.Add(time.Duration(i+1)*inputPeriod))); err != nil {
			return err
		}
	}
	return nil
}

func startDrag(r *rig) (*scene, error) {
	at := image.Rect(700, 300, 1300, 700)
	w, closeFn, err := r.xterm("sbs-drag", at, "less", r.textFile)
	if err != nil {
		return nil, err
	}
	return &scene{
		drive: func(ctx context.Context, d time.Duration) error {
			return r.circle(ctx, w, float64(at.Min.X), float64(at.Min.Y), 300, 200, 10, d)
		},
		freeze: func() {},
		close:  closeFn,
	}, nil
}

func startPage(r *rig) (*scene, error) {
	// A windowed Chromium as the customer's browser, with a fresh profile
	// each time (a killed one would offer to restore its pages). --test-type
	// hides the infobar that --no-sandbox (needed as root) adds.
	_, _, closeFn, err := r.window("sbs-page-ready", fullScreen, true, "chromium",
		"--no-sandbox", "--test-type", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--password-store=basic", "--force-device-scale-factor=1", "--user-data-dir="+r.t.TempDir(),
		"--window-position=0,0", "--window-size=1920,1080", "--app="+r.pageURL)
	if err != nil {
		return nil, err
	}
	if err := r.focus(960, 540); err != nil {
		closeFn()
		return nil, err
	}
	return &scene{
		drive: func(ctx context.Context, d time.Duration) error {
			args := []string{"key", "--delay", strconv.Itoa(int(inputPeriod / time.Millisecond))}
			for i := 0; i < count(d); i++ {
				args = append(args, "Down")
			}
			return xdotool(ctx, r.display, args...)
		},
		freeze: func() {},
		close:  closeFn,
	}, nil
}

func startVideo(r *rig) (*scene, error) {
	p, _, closeFn, err := r.window("sbs-video", image.Rectangle{}, false, "ffplay", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-noborder", "-an",
		"-left", strconv.Itoa(videoRect.Min.X), "-top", strconv.Itoa(videoRect.Min.Y), "-window_title", "sbs-video")
	if err != nil {
		return nil, err
	}
	return &scene{
		drive: pace,
		// Stopped, ffplay leaves its last frame on the screen.
		freeze: func() { p.signal(syscall.SIGSTOP) },
		close:  closeFn,
	}, nil
}

func startMixed(r *rig) (*scene, error) {
	_, lessClose, err := r.xterm("sbs-less", image.Rect(0, 0, 960, 1080), "less", r.textFile)
	if err != nil {
		return nil, err
	}
	at := image.Rect(1040, 560, 1760, 1000)
	w, typingClose, err := r.xterm("sbs-typing", at, "sh", "-c", "cat >/dev/null")
	if err != nil {
		lessClose()
		return nil, err
	}
	closeFn := func() { typingClose(); lessClose() }
	return &scene{
		drive: func(ctx context.Context, d time.Duration) error {
			third := d / 3
			if err := r.focus(at.Min.X+40, at.Min.Y+40); err != nil {
				return err
			}
			if err := r.typeText(ctx, count(third)); err != nil {
				return err
			}
			if err := r.focus(480, 540); err != nil {
				return err
			}
			if err := r.scrollKeys(ctx, count(third)); err != nil {
				return err
			}
			return r.circle(ctx, w, float64(at.Min.X), float64(at.Min.Y), 60, 40, 6, d-2*third)
		},
		freeze: func() {},
		close:  closeFn,
	}, nil
}

// longText is a deterministic text of n numbered lines of varied length.
func longText(n int) []string {
	words := strings.Fields(`the of and to in is you that it he was for on are as with his they at be this have from or one had
		by word but not what all were we when your can said there use an each which she do how their if will up other about out
		many then them these so some her would make like him into time has look two more write go see number no way could people
		my than first water been call who oil its now find long down day did get come made may part screen remote support viewer
		agent session engineer customer frame codec pixel latency bandwidth window keyboard mouse picture relay browser canvas`)
	rng := rand.New(rand.NewPCG(6, 2026))
	lines := make([]string, n)
	for i := range lines {
		var b strings.Builder
		fmt.Fprintf(&b, "%05d", i+1)
		for k := 4 + rng.IntN(20); k > 0; k-- {
			b.WriteString(" ")
			b.WriteString(words[rng.IntN(len(words))])
		}
		if rng.IntN(4) == 0 {
			b.WriteString(".")
		}
		lines[i] = b.String()
	}
	return lines
}

func writeText(t testing.TB, lines []string) string {
	p := filepath.Join(t.TempDir(), "long.txt")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
