//go:build linux

// Command sbsprobe is the side-by-side benchmark's probe: a small X window,
// kept on top, that draws a barcode of the time and a frame counter at 60
// Hz while told to run (package barcode has the layout), and changes the
// colour of a square at each press of a key it grabs on the root window, so
// the press reaches it whichever window has the focus.
//
// It reads commands from stdin, one a line: "run" starts drawing, "idle"
// stops it (the screen then stays still). It writes "ready" once the
// window is mapped and the key grabbed, and "press N MS" at each press: the
// press count and the Unix time in milliseconds. It exits when stdin closes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"tether/server/e2e/sbsprobe/barcode"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sbsprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	display := fs.String("display", os.Getenv("DISPLAY"), "X display")
	x := fs.Int("x", -1, "window left edge; -1 puts it in the top right corner")
	y := fs.Int("y", 0, "window top edge")
	key := fs.Uint("keysym", 0xffc6, "keysym of the key that changes the square (F9)")
	hz := fs.Float64("hz", 60, "barcode frames per second while running")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	xgb.Logger = log.New(io.Discard, "", 0)
	p, err := open(*display, *x, *y, uint32(*key))
	if err != nil {
		fmt.Fprintln(stderr, "sbsprobe:", err)
		return 1
	}
	defer p.c.Close()
	if err := p.serve(stdin, stdout, time.Duration(float64(time.Second) / *hz)); err != nil {
		fmt.Fprintln(stderr, "sbsprobe:", err)
		return 1
	}
	return 0
}

type probe struct {
	c            *xgb.Conn
	root         xproto.Window
	win          xproto.Window
	black, white xproto.Gcontext
	grey, square xproto.Gcontext
	code         barcode.Code
	key          xproto.Keycode
	presses      int
}

func open(display string, x, y int, keysym uint32) (*probe, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, err
	}
	p := &probe{c: c}
	s := xproto.Setup(c).DefaultScreen(c)
	p.root = s.Root
	if x < 0 {
		x = int(s.WidthInPixels) - barcode.Width
	}
	if p.win, err = xproto.NewWindowId(c); err != nil {
		return nil, err
	}
	mask := uint32(xproto.EventMaskExposure | xproto.EventMaskVisibilityChange)
	// Override-redirect, so that a window manager, if any, leaves the
	// window where the readers look for it.
	err = xproto.CreateWindowChecked(c, s.RootDepth, p.win, s.Root, int16(x), int16(y),
		barcode.Width, barcode.Height, 0, xproto.WindowClassInputOutput, s.RootVisual,
		xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{rgb(barcode.Grey), 1, mask}).Check()
	if err != nil {
		return nil, fmt.Errorf("create window: %w", err)
	}
	for _, g := range []struct {
		gc  *xproto.Gcontext
		rgb [3]uint8
	}{{&p.black, [3]uint8{}}, {&p.white, [3]uint8{255, 255, 255}}, {&p.grey, barcode.Grey}, {&p.square, barcode.Palette[0]}} {
		if *g.gc, err = xproto.NewGcontextId(c); err != nil {
			return nil, err
		}
		if err := xproto.CreateGCChecked(c, *g.gc, xproto.Drawable(p.win), xproto.GcForeground, []uint32{rgb(g.rgb)}).Check(); err != nil {
			return nil, fmt.Errorf("create gc: %w", err)
		}
	}
	if p.key, err = keycode(c, keysym); err != nil {
		return nil, err
	}
	err = xproto.GrabKeyChecked(c, false, s.Root, xproto.ModMaskAny, p.key, xproto.GrabModeAsync, xproto.GrabModeAsync).Check()
	if err != nil {
		return nil, fmt.Errorf("grab key %d: %w", p.key, err)
	}
	if err := xproto.MapWindowChecked(c, p.win).Check(); err != nil {
		return nil, fmt.Errorf("map: %w", err)
	}
	return p, nil
}

// rgb is a TrueColor pixel value.
func rgb(c [3]uint8) uint32 { return uint32(c[0])<<16 | uint32(c[1])<<8 | uint32(c[2]) }

// keycode finds the keycode that carries keysym in the current mapping.
func keycode(c *xgb.Conn, keysym uint32) (xproto.Keycode, error) {
	setup := xproto.Setup(c)
	n := int(setup.MaxKeycode) - int(setup.MinKeycode) + 1
	km, err := xproto.GetKeyboardMapping(c, setup.MinKeycode, byte(n)).Reply()
	if err != nil {
		return 0, fmt.Errorf("keyboard mapping: %w", err)
	}
	per := int(km.KeysymsPerKeycode)
	for i, ks := range km.Keysyms {
		if uint32(ks) == keysym {
			return xproto.Keycode(int(setup.MinKeycode) + i/per), nil
		}
	}
	return 0, fmt.Errorf("no keycode for keysym %#x", keysym)
}

// serve owns the window: X events, the frame clock and the commands all
// arrive here, so the drawing state has one owner.
func (p *probe) serve(stdin io.Reader, stdout io.Writer, period time.Duration) error {
	events := make(chan xgb.Event)
	xerrs := make(chan error, 1)
	go func() {
		for {
			ev, xerr := p.c.WaitForEvent()
			if ev == nil && xerr == nil {
				xerrs <- io.EOF
				return
			}
			if xerr != nil {
				xerrs <- fmt.Errorf("X error: %v", xerr)
				return
			}
			events <- ev
		}
	}()
	cmds := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			cmds <- sc.Text()
		}
		close(cmds)
	}()
	out := bufio.NewWriter(stdout)
	say := func(format string, a ...any) error {
		fmt.Fprintf(out, format+"\n", a...)
		return out.Flush()
	}
	// The frame clock runs only while drawing, so that an idle screen
	// stays idle.
	var tick <-chan time.Time
	var ticker *time.Ticker
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	ready := false
	for {
		select {
		case cmd, ok := <-cmds:
			if !ok {
				return nil
			}
			switch cmd {
			case "run":
				if ticker == nil {
					ticker = time.NewTicker(period)
					tick = ticker.C
				}
				p.raise()
			case "idle":
				if ticker != nil {
					ticker.Stop()
					ticker, tick = nil, nil
				}
			default:
				return fmt.Errorf("unknown command %q", cmd)
			}
		case <-tick:
			p.code.Counter++
			p.code.Millis = uint32(time.Now().UnixMilli())
			p.drawCode()
		case ev := <-events:
			switch e := ev.(type) {
			case xproto.ExposeEvent:
				if e.Count == 0 {
					p.drawAll()
					if !ready {
						ready = true
						if err := say("ready"); err != nil {
							return err
						}
					}
				}
			case xproto.VisibilityNotifyEvent:
				// No window manager keeps it on top: raise it whenever
				// another window covers it.
				if e.State != xproto.VisibilityUnobscured {
					p.raise()
				}
			case xproto.KeyPressEvent:
				// While the key is down the grab is active and every other
				// key (xdotool typing into an xterm) comes here too.
				if e.Detail != p.key {
					continue
				}
				p.presses++
				ms := float64(time.Now().UnixMicro()) / 1000
				p.drawSquare()
				if err := say("press %d %.3f", p.presses, ms); err != nil {
					return err
				}
			}
		case err := <-xerrs:
			return err
		}
	}
}

func (p *probe) raise() {
	xproto.ConfigureWindow(p.c, p.win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
}

func (p *probe) drawAll() {
	xproto.PolyFillRectangle(p.c, xproto.Drawable(p.win), p.grey, []xproto.Rectangle{{X: 0, Y: 0, Width: barcode.Width, Height: barcode.Height}})
	p.drawCode()
	p.drawSquare()
}

// drawCode draws the current code in two requests, white cells and black
// cells; a reader may see the first without the second, which the code's
// check byte rejects.
func (p *probe) drawCode() {
	var on, off []xproto.Rectangle
	w := p.code.Words()
	for i := 0; i < barcode.Bits; i++ {
		x, y := barcode.CellAt(i)
		r := xproto.Rectangle{X: int16(x), Y: int16(y), Width: barcode.Cell, Height: barcode.Cell}
		if barcode.Bit(w, i) {
			on = append(on, r)
		} else {
			off = append(off, r)
		}
	}
	xproto.PolyFillRectangle(p.c, xproto.Drawable(p.win), p.white, on)
	xproto.PolyFillRectangle(p.c, xproto.Drawable(p.win), p.black, off)
}

func (p *probe) drawSquare() {
	c := barcode.Palette[p.presses%len(barcode.Palette)]
	xproto.ChangeGC(p.c, p.square, xproto.GcForeground, []uint32{rgb(c)})
	xproto.PolyFillRectangle(p.c, xproto.Drawable(p.win), p.square,
		[]xproto.Rectangle{{X: barcode.SquareX, Y: barcode.SquareY, Width: barcode.SquareSize, Height: barcode.SquareSize}})
}
