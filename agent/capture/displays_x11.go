//go:build linux

package capture

import (
	"image"
	"sync"

	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
)

// displayExts remembers which extensions answer on the capture's
// connection, looked up at the first Displays.
type displayExts struct {
	once     sync.Once
	randr15  bool // RandR 1.5 monitors (GetMonitors)
	xinerama bool
}

// Displays implements Areas: RandR 1.5 monitors where the server has them
// (each monitor as the desktop environment sees it, including a wide output
// split with `xrandr --setmonitor`), else Xinerama's heads, else the root
// window as one display. It uses the capture's connection, which is safe
// for concurrent requests.
func (x *x11) Displays() ([]Display, error) {
	x.exts.once.Do(func() {
		if randr.Init(x.conn) == nil {
			v, err := randr.QueryVersion(x.conn, 1, 5).Reply()
			x.exts.randr15 = err == nil && (v.MajorVersion > 1 || v.MinorVersion >= 5)
		}
		if xinerama.Init(x.conn) == nil {
			a, err := xinerama.IsActive(x.conn).Reply()
			x.exts.xinerama = err == nil && a.State != 0
		}
	})
	if x.exts.randr15 {
		if ds, err := x.monitors(); err == nil && len(ds) > 0 {
			return ds, nil
		}
	}
	if x.exts.xinerama {
		if r, err := xinerama.QueryScreens(x.conn).Reply(); err == nil && len(r.ScreenInfo) > 0 {
			ds := make([]Display, 0, len(r.ScreenInfo))
			for i, s := range r.ScreenInfo {
				b := image.Rect(int(s.XOrg), int(s.YOrg), int(s.XOrg)+int(s.Width), int(s.YOrg)+int(s.Height))
				if !b.Empty() {
					// Xinerama has no primary; its first head is the one
					// desktops treat as such.
					ds = append(ds, Display{Bounds: b, Primary: i == 0})
				}
			}
			if len(ds) > 0 {
				return ds, nil
			}
		}
	}
	g, err := xproto.GetGeometry(x.conn, xproto.Drawable(x.root)).Reply()
	if err != nil {
		return nil, err
	}
	return []Display{{Bounds: image.Rect(0, 0, int(g.Width), int(g.Height)), Primary: true}}, nil
}

// monitors lists RandR's active monitors with their names.
func (x *x11) monitors() ([]Display, error) {
	r, err := randr.GetMonitors(x.conn, x.root, true).Reply()
	if err != nil {
		return nil, err
	}
	names := make([]xproto.GetAtomNameCookie, len(r.Monitors))
	for i, m := range r.Monitors {
		names[i] = xproto.GetAtomName(x.conn, m.Name)
	}
	ds := make([]Display, 0, len(r.Monitors))
	for i, m := range r.Monitors {
		d := Display{
			Bounds:  image.Rect(int(m.X), int(m.Y), int(m.X)+int(m.Width), int(m.Y)+int(m.Height)),
			Primary: m.Primary,
		}
		if n, err := names[i].Reply(); err == nil {
			d.Name = n.Name
		}
		if !d.Bounds.Empty() {
			ds = append(ds, d)
		}
	}
	return ds, nil
}
