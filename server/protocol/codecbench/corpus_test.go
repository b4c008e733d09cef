//go:build corpus

package codecbench

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"
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
