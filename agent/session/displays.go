package session

import (
	"context"
	"image"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"tether/agent/capture"
	"tether/server/protocol"
)

// The customer's displays: the agent lists them (capture.Areas), shows the
// viewer one of them (the primary at first) or all at once, tells the
// viewer the list and the choice (protocol.Displays) when its stream
// starts, when the list changes and after each choice, and follows the
// viewer's SelectDisplay. Choosing a display is part of seeing the screen:
// it needs nothing beyond the view grant, which the stream itself needs.

// areas is a Capturer that knows the displays and captures one part of the
// desktop; capture.Areas.
type areas interface {
	Displays() ([]capture.Display, error)
	SetArea(r image.Rectangle)
}

// displayState is the owner's view of the displays.
type displayState struct {
	list []capture.Display
	// selected is an index into list or protocol.AllDisplays; chosen says
	// the viewer picked it (otherwise the primary display is shown, and
	// followed when another becomes primary).
	selected uint8
	chosen   bool
}

// displaysListed: the poll saw the list change, or could not read it.
type displaysListed struct {
	list []capture.Display
}

// selectDisplay: the viewer asked to see another display.
type selectDisplay struct{ index uint8 }

// startDisplays lists the displays of the capturer just opened, shows the
// primary one, and watches the list for the rest of the session.
func (s *session) startDisplays(ctx context.Context) {
	a, ok := s.capt.(areas)
	if !ok {
		return
	}
	list, err := a.Displays()
	if err != nil || len(list) == 0 {
		s.log.Info("displays unknown; showing the whole screen", "err", err)
		return
	}
	s.displays = displayState{list: clip(list)}
	s.displays.selected = s.displays.primary()
	s.showDisplay()
	go s.watchDisplays(ctx, a, s.displays.list)
}

// watchDisplays polls the list and posts it when it changes.
func (s *session) watchDisplays(ctx context.Context, a areas, last []capture.Display) {
	// One request to the X server or one Windows call each time.
	t := time.NewTicker(s.cfg.DisplayPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.stopped:
			return
		case <-t.C:
		}
		list, err := a.Displays()
		if err != nil || len(list) == 0 {
			s.log.Debug("list displays", "err", err)
			continue
		}
		list = clip(list)
		if slices.Equal(list, last) {
			continue
		}
		last = list
		s.post(ctx, displaysListed{list: list})
	}
}

// clip keeps the first protocol.MaxDisplays displays.
func clip(list []capture.Display) []capture.Display {
	return list[:min(len(list), protocol.MaxDisplays)]
}

// displaysListed takes a changed list: the display shown stays shown where
// it still exists (by name, else by place), else the primary is.
func (s *session) displaysListed(ev displaysListed) {
	old := s.displays
	next := displayState{list: ev.list}
	kept := -1
	if old.chosen && int(old.selected) < len(old.list) {
		kept = find(ev.list, old.list[old.selected])
	}
	switch {
	case old.selected == protocol.AllDisplays:
		next.selected, next.chosen = protocol.AllDisplays, old.chosen
	case kept >= 0:
		next.selected, next.chosen = uint8(kept), true
	default:
		next.selected = next.primary()
	}
	s.log.Info("displays changed", "count", len(ev.list))
	s.displays = next
	s.showDisplay()
}

// find returns the index of the display in list that is old: the same
// name, or with no names the same rectangle; -1 if none.
func find(list []capture.Display, old capture.Display) int {
	return slices.IndexFunc(list, func(d capture.Display) bool {
		if old.Name != "" || d.Name != "" {
			return d.Name == old.Name
		}
		return d.Bounds == old.Bounds
	})
}

// primary is the index of the primary display, or the first.
func (d *displayState) primary() uint8 {
	return uint8(max(0, slices.IndexFunc(d.list, func(d capture.Display) bool { return d.Primary })))
}

// bounds is the part of the desktop shown: one display's rectangle, or
// the bounding box of all.
func (d *displayState) bounds() image.Rectangle {
	if d.selected != protocol.AllDisplays {
		return d.list[d.selected].Bounds
	}
	var r image.Rectangle
	for _, x := range d.list {
		r = r.Union(x.Bounds)
	}
	return r
}

// selectDisplay follows the viewer's choice. An index past the list (the
// list changed on the way) changes nothing; the viewer hears the truth
// again either way.
func (s *session) selectDisplay(index uint8) {
	d := &s.displays
	if len(d.list) == 0 {
		return
	}
	if index != protocol.AllDisplays && int(index) >= len(d.list) {
		s.log.Info("the viewer chose a display that is not there", "index", index, "displays", len(d.list))
		s.announceDisplays()
		return
	}
	d.selected, d.chosen = index, true
	s.showDisplay()
}

// showDisplay captures the selected area from the next frame on (a full
// frame of it, with its size in Hello) and tells the viewer. While the
// customer shares one window, every display is captured, so that the
// window is found wherever it is; the choice applies again afterwards.
func (s *session) showDisplay() {
	a, ok := s.capt.(areas)
	if !ok || len(s.displays.list) == 0 {
		return
	}
	area := s.displays.bounds()
	if s.scope.get().Window != 0 {
		all := s.displays
		all.selected = protocol.AllDisplays
		area = all.bounds()
	}
	a.SetArea(area)
	s.announceDisplays()
}

// announceDisplays queues the list and the choice for the current viewer.
func (s *session) announceDisplays() {
	if len(s.displays.list) == 0 || s.viewer == nil || s.viewer.streamer == nil {
		return
	}
	s.viewer.streamer.Announce(s.displays.message())
}

// message is the state as the viewer hears it.
func (d *displayState) message() *protocol.Displays {
	m := &protocol.Displays{Selected: d.selected, List: make([]protocol.Display, 0, len(d.list))}
	for _, x := range d.list {
		b := x.Bounds
		pd := protocol.Display{
			X: int32(b.Min.X), Y: int32(b.Min.Y),
			Width: uint16(min(b.Dx(), 0xffff)), Height: uint16(min(b.Dy(), 0xffff)),
			Name: shortName(x.Name),
		}
		if x.Primary {
			pd.Flags |= protocol.DisplayPrimary
		}
		m.List = append(m.List, pd)
	}
	return m
}

// shortName makes a platform's display name fit the wire: valid UTF-8,
// at most protocol.MaxDisplayName bytes, cut between characters.
func shortName(n string) string {
	n = strings.ToValidUTF8(n, "?")
	for len(n) > protocol.MaxDisplayName {
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	return n
}
