//go:build linux

package desktop

import (
	"image"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"tether/agent/capture/xvfbtest"
)

// window makes a mapped top-level window, titled when title is not empty.
func window(t *testing.T, c *xgb.Conn, root xproto.Window, r image.Rectangle, title string, override bool) xproto.Window {
	t.Helper()
	s := xproto.Setup(c).DefaultScreen(c)
	id, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	var ov uint32
	if override {
		ov = 1
	}
	err = xproto.CreateWindowChecked(c, s.RootDepth, id, root, int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
		xproto.WindowClassInputOutput, s.RootVisual, xproto.CwOverrideRedirect, []uint32{ov}).Check()
	if err != nil {
		t.Fatal(err)
	}
	if title != "" {
		xproto.ChangeProperty(c, xproto.PropModeReplace, id, xproto.AtomWmName, xproto.AtomString, 8, uint32(len(title)), []byte(title))
	}
	if err := xproto.MapWindowChecked(c, id).Check(); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestX11ListLayoutFocus(t *testing.T) {
	display := xvfbtest.Start(t, 400, 300)
	t.Setenv("DISPLAY", display)
	c, root, _ := xvfbtest.RootGC(t, display)
	notes := window(t, c, root, image.Rect(10, 10, 210, 160), "Notes", true)
	mail := window(t, c, root, image.Rect(150, 100, 350, 250), "Mail", true)
	menu := window(t, c, root, image.Rect(20, 20, 60, 60), "", true) // untitled, above both

	d, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ws, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Title != "Mail" || ws[1].Title != "Notes" || ws[1].Rect != image.Rect(10, 10, 210, 160) {
		t.Fatalf("listed %+v, want Mail then Notes", ws)
	}
	l, err := d.Layout(ID(notes))
	if err != nil {
		t.Fatal(err)
	}
	// The untitled menu covers notes too: what covers a window counts
	// whether or not it is listed.
	if l.Rect != image.Rect(10, 10, 210, 160) || len(l.Above) != 2 {
		t.Fatalf("layout %+v", l)
	}
	d.Ignore(ID(menu))
	if l, _ = d.Layout(ID(notes)); len(l.Above) != 1 || l.Above[0] != image.Rect(150, 100, 350, 250) {
		t.Fatalf("layout with the menu ignored %+v", l)
	}
	if err := xproto.SetInputFocusChecked(c, xproto.InputFocusParent, mail, xproto.TimeCurrentTime).Check(); err != nil {
		t.Fatal(err)
	}
	if f, err := d.Focused(ID(notes)); err != nil || f {
		t.Fatalf("notes focused %v, %v; mail has the keyboard", f, err)
	}
	if f, err := d.Focused(ID(mail)); err != nil || !f {
		t.Fatalf("mail focused %v, %v", f, err)
	}
	if err := xproto.UnmapWindowChecked(c, mail).Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Layout(ID(mail)); err != ErrGone {
		t.Fatalf("layout of an unmapped window: %v, want ErrGone", err)
	}
}
