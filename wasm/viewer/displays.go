package viewer

import (
	"fmt"

	"tether/server/protocol"
)

// The customer's displays: the agent lists them (protocol.Displays), the
// page's picker (static/js/viewer-displays.js) shows them and asks for
// one, or all, with CmdSelectDisplay. The agent decides what is shown and
// says so in its next Displays; the canvas follows the frames' size.

// EventDisplays is the page event ("tether:displays") carrying a
// DisplaysDetail, sent whenever the agent tells the list or the choice.
const EventDisplays = "displays"

// DisplaysDetail is what the page's picker shows.
type DisplaysDetail struct {
	Displays []DisplayDetail `json:"displays"`
	// Selected is the index of the display shown, or -1 for all of them.
	Selected int `json:"selected"`
}

// DisplayDetail is one display in the picker.
type DisplayDetail struct {
	Index int `json:"index"`
	// Label is how the picker names it: "Display 1", numbered as the
	// customer's system orders them.
	Label   string `json:"label"`
	Name    string `json:"name"` // the system's name ("DP-1"), may be ""
	X       int    `json:"x"`
	Y       int    `json:"y"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Primary bool   `json:"primary"`
}

// SelectDisplayDetail is CmdSelectDisplay's argument: {"index": 1}, or
// {"all": true} for every display at once.
type SelectDisplayDetail struct {
	Index int  `json:"index"`
	All   bool `json:"all"`
}

// onDisplays tells the page the agent's list and choice.
func (v *Viewer) onDisplays(m *protocol.Displays) {
	d := DisplaysDetail{Selected: -1, Displays: make([]DisplayDetail, 0, len(m.List))}
	if m.Selected != protocol.AllDisplays {
		d.Selected = int(m.Selected)
	}
	for i, x := range m.List {
		d.Displays = append(d.Displays, DisplayDetail{
			Index: i, Label: fmt.Sprintf("Display %d", i+1), Name: x.Name,
			X: int(x.X), Y: int(x.Y), Width: int(x.Width), Height: int(x.Height), Primary: x.Primary(),
		})
	}
	v.ui.Emit(EventDisplays, d)
}

// selectDisplay asks the agent to show another display.
func (v *Viewer) selectDisplay(detail []byte) error {
	var d SelectDisplayDetail
	if err := decodeDetail(CmdSelectDisplay, detail, &d); err != nil {
		return err
	}
	index := protocol.AllDisplays
	if !d.All {
		if d.Index < 0 || d.Index >= protocol.MaxDisplays {
			return fmt.Errorf("viewer: no display %d", d.Index)
		}
		index = uint8(d.Index)
	}
	return v.send(&protocol.SelectDisplay{Index: index})
}
