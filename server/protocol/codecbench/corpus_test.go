//go:build corpus

package codecbench

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	agentcapture "tether/agent/capture"
	"tether/agent/stream"
	"tether/server/protocol"
)

// TestCaptureCorpus regenerates the PNGs in testdata from a private Xvfb.
// It is behind the "corpus" build tag because it rewrites committed files;
// see doc.go for the command.
func TestCaptureCorpus(t *testing.T) {
	startXvfb(t)
	busier := func(f float64) func(*image.RGBA) bool {
		return func(img *image.RGBA) bool { return busyTiles(img) >= f }
	}
	t.Run("xterm", func(t *testing.T) {
		xtermText(t, nil, "ls -la --color=always /usr/lib/x86_64-linux-gnu; exec sleep 3600")
		save(t, "xterm-ls.png", waitStable(t, 30*time.Second, busier(0.25)))
	})
	t.Run("desktop", func(t *testing.T) {
		run(t, "xsetroot", "-solid", "#3a6ea5")
		startApp(t, "xlogo", "-geometry", "320x320+60+60")
		startApp(t, "xclock", "-geometry", "260x260+430+60")
		startApp(t, "xcalc", "-geometry", "+750+60")
		startApp(t, "xeyes", "-geometry", "300x200+1100+80")
		startApp(t, "xterm", "-geometry", "110x32+60+460", "-fa", "DejaVu Sans Mono", "-fs", "10",
			"-e", "sh", "-c", "ps aux | head -n 40; exec sleep 3600")
		startApp(t, "xterm", "-geometry", "70x24+1180+520", "-e", "sh", "-c", "df -h; echo; free -m; exec sleep 3600")
		save(t, "desktop.png", waitStable(t, 30*time.Second, busier(0.3)))
	})
	t.Run("chromium", func(t *testing.T) {
		page, err := filepath.Abs(filepath.Join("testdata", "article.html"))
		if err != nil {
			t.Fatalf("article path: %v", err)
		}
		startApp(t, "chromium", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--test-type",
			"--user-data-dir="+t.TempDir(), "--window-size=1920,1080", "--window-position=0,0", "--kiosk",
			"--force-device-scale-factor=1", "file://"+page)
		save(t, "chromium-article.png", waitStable(t, 60*time.Second, busier(0.6)))
	})
	t.Run("typing", func(t *testing.T) {
		t.Setenv("PS1", "support@customer:~$ ")
		xtermText(t, []string{"-fa", "DejaVu Sans Mono", "-fs", "11"},
			"MANWIDTH=150 man -P cat ls 2>&1 | head -n 120; exec bash --norc --noprofile -i")
		before := waitStable(t, 30*time.Second, busier(0.4))
		// With no window manager the keyboard follows the pointer.
		run(t, "xdotool", "mousemove", "960", "540")
		run(t, "xdotool", "type", "--delay", "0", "l")
		after := waitStable(t, 30*time.Second, func(img *image.RGBA) bool { return !bytes.Equal(img.Pix, before.Pix) })
		save(t, "typing-before.png", before)
		save(t, "typing-after.png", after)
	})
}

func save(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		t.Fatalf("encode %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join("testdata", name), buf.Bytes(), 0o644); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	t.Logf("%s: %d bytes, %.0f%% busy tiles", name, buf.Len(), 100*busyTiles(img))
}

// TestRecordCorpus records real sessions from a private Xvfb into
// testdata/*.rec, as the agent sends them with every area exact: typing in
// a terminal and scrolling a text in less. TestRecordedRoundTrip replays
// them. See doc.go for the command.
func TestRecordCorpus(t *testing.T) {
	startXvfb(t)
	t.Run("typing", func(t *testing.T) {
		t.Setenv("PS1", "support@customer:~$ ")
		xtermText(t, []string{"-fa", "DejaVu Sans Mono", "-fs", "11"},
			"MANWIDTH=150 man -P cat ls 2>&1 | head -n 120; exec bash --norc --noprofile -i")
		waitStable(t, 30*time.Second, func(img *image.RGBA) bool { return busyTiles(img) >= 0.4 })
		run(t, "xdotool", "mousemove", "960", "540")
		record(t, "typing.rec", 3*time.Second, "xdotool", "type", "--delay", "50", "grep -n color /etc/services | head")
	})
	t.Run("scrolling", func(t *testing.T) {
		xtermText(t, []string{"-fa", "DejaVu Sans Mono", "-fs", "11"}, "exec less /usr/share/common-licenses/GPL-3")
		waitStable(t, 30*time.Second, func(img *image.RGBA) bool { return busyTiles(img) >= 0.3 })
		run(t, "xdotool", "mousemove", "960", "540")
		keys := append([]string{"key", "--delay", "50"}, strings.Fields(strings.Repeat("Down ", 30)+"Next Next")...)
		record(t, "scrolling.rec", 3*time.Second, "xdotool", keys...)
	})
}

// record captures the screen the way the agent does, about 30 times a
// second for d, while the program runs, and saves what the encoder sent.
func record(t *testing.T, name string, d time.Duration, prog string, args ...string) {
	t.Helper()
	c, err := agentcapture.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var buf bytes.Buffer
	rec, err := protocol.NewRecordingWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(needTool(t, prog), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stop(cmd)
	enc := stream.Encoder{Lossless: true}
	start := time.Now()
	frames := 0
	for seq := uint32(1); time.Since(start) < d; seq++ {
		f, err := c.Capture()
		if err != nil {
			t.Fatal(err)
		}
		ms := uint32(time.Since(start).Milliseconds())
		res, err := enc.Encode(f, seq, seq == 1, func(b []byte) error { return rec.Write(ms, b) })
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed() {
			end, err := protocol.Marshal(&protocol.FrameEnd{Seq: seq, Width: uint16(f.Width), Height: uint16(f.Height)})
			if err != nil {
				t.Fatal(err)
			}
			if err := rec.Write(ms, end); err != nil {
				t.Fatal(err)
			}
			frames++
		}
		time.Sleep(33 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join("testdata", name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d frames, %d bytes", name, frames, buf.Len())
}
