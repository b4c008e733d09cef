//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"tether/agent/capture/xvfbtest"
)

func TestColorAtBlocks(t *testing.T) {
	seen := map[uint32]bool{}
	for row := range gridRows {
		for col := range gridCols {
			c := blockColor(col, row)
			if seen[c] || c == 0 || c == 0xffffff {
				t.Fatalf("block %d,%d colour %06x not distinct", col, row, c)
			}
			seen[c] = true
		}
	}
	tests := []struct {
		name       string
		x, y, w, h int
		want       uint32
	}{
		{"first block", 0, 0, 800, 600, blockColor(0, 0)},
		{"last block", 799, 583, 800, 600, blockColor(7, 5)},
		{"last row of block", 100, 97, 800, 600, blockColor(1, 0)},
		{"first row of next block", 100, 98, 800, 600, blockColor(1, 1)},
		{"checker black", 0, 584, 800, 600, 0},
		{"checker white", 1, 584, 800, 600, 0xffffff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ColorAt(tt.x, tt.y, tt.w, tt.h); got != tt.want {
				t.Errorf("ColorAt = %06x, want %06x", got, tt.want)
			}
		})
	}
}

// TestWindow runs testwin under Xvfb, compares every pixel on screen with
// ColorAt and checks that a click is reported.
func TestWindow(t *testing.T) {
	display := xvfbtest.Start(t, 1024, 768)
	pr, pw := io.Pipe()
	go run([]string{"-display", display, "-x", "10", "-y", "20", "-width", "799", "-height", "601"}, pw, io.Discard)
	events := make(chan map[string]any, 16)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				events <- ev
			}
		}
	}()
	next := func() map[string]any {
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event from testwin within 10s")
		}
		return nil
	}
	if ev := next(); ev["event"] != "ready" {
		t.Fatalf("first event %v", ev)
	}

	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	img, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(root), 10, 20, 799, 601, 0xffffffff).Reply()
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for y := range 601 {
		for x := range 799 {
			p := img.Data[(y*799+x)*4:]
			got := uint32(p[2])<<16 | uint32(p[1])<<8 | uint32(p[0])
			if want := ColorAt(x, y, 799, 601); got != want && bad < 5 {
				bad++
				t.Errorf("pixel %d,%d = %06x, want %06x", x, y, got, want)
			}
		}
	}

	if err := xtest.Init(c); err != nil {
		t.Fatal(err)
	}
	xtest.FakeInput(c, xproto.MotionNotify, 0, 0, root, 110, 70, 0)
	xtest.FakeInput(c, xproto.ButtonPress, 3, 0, root, 0, 0, 0)
	xtest.FakeInput(c, xproto.ButtonRelease, 3, 0, root, 0, 0, 0)
	ev := next()
	if ev["event"] != "button" || ev["button"] != 3.0 || ev["x"] != 100.0 || ev["y"] != 50.0 ||
		ev["root_x"] != 110.0 || ev["root_y"] != 70.0 {
		t.Errorf("click event %v", ev)
	}
}
