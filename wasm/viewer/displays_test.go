package viewer

import (
	"reflect"
	"testing"

	"tether/server/protocol"
)

// TestViewerDisplays: the agent's list reaches the page as "displays" with
// labels and the choice; the page's choice reaches the agent as
// SelectDisplay, all displays as AllDisplays, and a bad index not at all.
func TestViewerDisplays(t *testing.T) {
	h := relayHarness(t)
	h.binary(&protocol.Displays{Selected: 1, List: []protocol.Display{
		{X: 0, Y: 0, Width: 1024, Height: 768, Name: "LEFT"},
		{X: 1024, Y: 0, Width: 1280, Height: 1024, Flags: protocol.DisplayPrimary, Name: "RIGHT"},
	}})
	want := DisplaysDetail{Selected: 1, Displays: []DisplayDetail{
		{Index: 0, Label: "Display 1", Name: "LEFT", Width: 1024, Height: 768},
		{Index: 1, Label: "Display 2", Name: "RIGHT", X: 1024, Width: 1280, Height: 1024, Primary: true},
	}}
	h.eventually("displays emitted", h.ui_(func(u *fakeUI) bool {
		for _, e := range u.emitted {
			if e.name == EventDisplays && reflect.DeepEqual(e.detail, want) {
				return true
			}
		}
		return false
	}))
	h.binary(&protocol.Displays{Selected: protocol.AllDisplays, List: []protocol.Display{{Width: 800, Height: 600}}})
	h.eventually("all displays emitted", h.ui_(func(u *fakeUI) bool {
		e := u.emitted[len(u.emitted)-1]
		d, ok := e.detail.(DisplaysDetail)
		return ok && d.Selected == -1 && len(d.Displays) == 1
	}))

	h.v.Command(CmdSelectDisplay, []byte(`{"index":1}`))
	h.v.Command(CmdSelectDisplay, []byte(`{"index":99}`))
	h.v.Command(CmdSelectDisplay, []byte(`{"index":"x"}`))
	h.v.Command(CmdSelectDisplay, []byte(`{"all":true}`))
	h.v.Command(CmdRefresh, []byte("null"))
	var got []protocol.Message
	for len(got) == 0 || got[len(got)-1].Type() != protocol.TypeRequestFull {
		got = append(got, h.nextSession())
	}
	wantSent := []protocol.Message{&protocol.SelectDisplay{Index: 1}, &protocol.SelectDisplay{Index: protocol.AllDisplays}, &protocol.RequestFull{}}
	if !reflect.DeepEqual(got, wantSent) {
		t.Fatalf("sent %#v, want %#v", got, wantSent)
	}
}
