//go:build linux || windows

// Command testwin is the "customer's app" of the end-to-end tests. Under
// Xvfb (X11) or in Wine's desktop (Windows) it shows a known picture (see
// ColorAt), takes the input focus and reports clicks and keystrokes as JSON
// lines on stdout:
//
//	{"event":"ready","window":N}
//	{"event":"button","button":1,"x":..,"y":..,"root_x":..,"root_y":..}
//	{"event":"key","text":"é",...}
//	{"event":"typed","text":"everything typed so far"}
//
// Buttons are numbered as X11 does on both systems: 1 left, 2 middle,
// 3 right, 4/5 wheel up/down, 6/7 wheel left/right, 8/9 back/forward. The
// X11 build adds "keysym", "keycode" and "state" to key events. The Windows
// build reports each WM_CHAR as a key event with "char" (the code point),
// each WM_KEYDOWN and WM_KEYUP as {"event":"keydown"/"keyup","vk":..,..}
// and button releases as "buttonup" events.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command line: where the window goes and what it paints.
type options struct {
	x, y, w, h int
	display    string
	mark, echo bool
	title      string // the window's name (X11 only)
	color      string // RRGGBB: one colour instead of the picture (X11 only)
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testwin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.w, "width", 0, "window width (default: screen width)")
	fs.IntVar(&o.h, "height", 0, "window height (default: screen height)")
	fs.IntVar(&o.x, "x", 0, "window x")
	fs.IntVar(&o.y, "y", 0, "window y")
	fs.StringVar(&o.display, "display", "", "X display (default $DISPLAY; X11 only)")
	fs.BoolVar(&o.mark, "mark", false, "paint a marker at every click, alternating black and white (for latency benchmarks; X11 only)")
	fs.BoolVar(&o.echo, "echo", false, "paint a glyph-sized cell for every key, advancing like text (for typing benchmarks; X11 only)")
	fs.StringVar(&o.title, "title", "", "window title, in WM_NAME and _NET_WM_NAME (X11 only)")
	fs.StringVar(&o.color, "color", "", "paint the whole window in this colour, RRGGBB, instead of the picture (X11 only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := serve(o, json.NewEncoder(stdout)); err != nil {
		fmt.Fprintln(stderr, "testwin:", err)
		return 1
	}
	return 0
}
