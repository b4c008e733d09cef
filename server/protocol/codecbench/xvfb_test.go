package codecbench

import (
	"bytes"
	"context"
	"image"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/kbinani/screenshot"
)

// Screen size of every capture: the size the corpus was made at.
const (
	screenW = 1920
	screenH = 1080
)

// needTool skips t when a program the live capture runs is not installed.
func needTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil && os.Getenv("TETHER_REQUIRE_E2E") != "" {
		t.Fatalf("%s is not installed and TETHER_REQUIRE_E2E is set: %v", name, err)
	}
	if err != nil {
		t.Skipf("%s is not installed (or this platform cannot run it), so the live X capture is skipped: %v", name, err)
	}
	return path
}

// startXvfb starts a private 1920x1080 Xvfb (startDisplay, per OS) and
// points DISPLAY at it for the rest of the test.
func startXvfb(t testing.TB) string {
	t.Helper()
	display := startDisplay(t)
	t.Setenv("DISPLAY", display)
	return display
}

// startApp runs an X client on the test's display until the test ends.
func startApp(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(needTool(t, name), args...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { stop(cmd) })
}

// run runs a short X client (xsetroot, xdotool) to completion, bounded.
func run(t testing.TB, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, needTool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func stop(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	// The process may have exited already; Kill then reports that, which is fine.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// capture grabs the whole screen the way the agent does.
func grab(t testing.TB) *image.RGBA {
	t.Helper()
	img, err := screenshot.Capture(0, 0, screenW, screenH)
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	return img
}

// waitStable polls the screen until ready accepts it and three captures in a
// row are identical, so a half-drawn window never lands in the corpus.
func waitStable(t testing.TB, timeout time.Duration, ready func(*image.RGBA) bool) *image.RGBA {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var prev *image.RGBA
	same := 0
	for time.Now().Before(deadline) {
		img := grab(t)
		if prev != nil && bytes.Equal(prev.Pix, img.Pix) && ready(img) {
			same++
			if same == 2 {
				return img
			}
		} else {
			same = 0
		}
		prev = img
		time.Sleep(150 * time.Millisecond)
	}
	t.Fatalf("screen did not settle within %v (last capture %.0f%% busy tiles)", timeout, 100*busyTiles(prev))
	return nil
}

// busyTiles is the fraction of 64×64 tiles that are not one colour: a cheap
// "has the window drawn its content yet" test.
func busyTiles(img *image.RGBA) float64 {
	busy, all := 0, 0
	for y := 0; y < img.Rect.Dy(); y += 64 {
		for x := 0; x < img.Rect.Dx(); x += 64 {
			all++
			if !solid(img, x, y) {
				busy++
			}
		}
	}
	return float64(busy) / float64(all)
}

func solid(img *image.RGBA, x0, y0 int) bool {
	first := img.Pix[y0*img.Stride+x0*4 : y0*img.Stride+x0*4+4]
	for y := y0; y < min(y0+64, img.Rect.Dy()); y++ {
		row := img.Pix[y*img.Stride+x0*4 : y*img.Stride+min(x0+64, img.Rect.Dx())*4]
		for i := 0; i < len(row); i += 4 {
			if !bytes.Equal(row[i:i+3], first[:3]) {
				return false
			}
		}
	}
	return true
}

// xtermText starts an xterm filling the screen that runs shell command sh.
func xtermText(t testing.TB, font []string, sh string) {
	t.Helper()
	args := append([]string{"-geometry", "+0+0", "-maximized"}, font...)
	startApp(t, "xterm", append(args, "-e", "sh", "-c", sh)...)
}
