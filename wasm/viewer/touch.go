package viewer

import (
	"fmt"

	"tether/server/protocol"
)

// Touch input (static/js/viewer-touch.js reads the gestures): the page
// recognises a tap, a long press and a one-finger drag on the screen canvas
// and sends them here as pointer actions at fractions of the shown screen,
// so it needs no knowledge of its size. They become the same MouseMove and
// MouseButton messages a mouse makes, under the same grants. The on-screen
// keyboard's text comes as CmdTouchText, its editing keys as CmdTouchKey.

// CmdTouch is one pointer action of a touch gesture (TouchDetail).
const CmdTouch = "touch"

// CmdTouchText types what the phone's keyboard typed (TextDetail): like
// CmdTypeText, without the toolbar's "Sent" note for every letter.
const CmdTouchText = "touch-text"

// CmdTouchKey presses and releases one editing key the phone's keyboard
// sends as an input event rather than as text (TouchKeys names them).
const CmdTouchKey = "touch-key"

// Touch actions.
const (
	TouchMove  = "move"  // the pointer moves (a drag with the button held, or none)
	TouchDown  = "down"  // the button goes down (a drag starts)
	TouchUp    = "up"    // the button comes up (a drag ends)
	TouchClick = "click" // down and up at once: a tap, or a long press with the right button
)

// TouchDetail is one action at x, y, fractions (0..1) of the shown screen.
type TouchDetail struct {
	Action string  `json:"action"`
	Button int     `json:"button"` // protocol.Button: 0 left, 2 right
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
}

// TouchKeys are the keys a phone's keyboard sends as editing actions: the
// key value (KeyboardEvent.key) and its physical code.
var TouchKeys = map[string]string{
	"Backspace": "Backspace", "Enter": "Enter", "Tab": "Tab", "Escape": "Escape", "Delete": "Delete",
	"ArrowLeft": "ArrowLeft", "ArrowRight": "ArrowRight", "ArrowUp": "ArrowUp", "ArrowDown": "ArrowDown",
	"Home": "Home", "End": "End",
}

// touchAt maps fractions of the shown screen to its pixels, clamped.
func (v *Viewer) touchAt(d TouchDetail) (x, y uint16, err error) {
	if v.fb.W == 0 || v.fb.H == 0 {
		return 0, 0, fmt.Errorf("viewer: nothing shown to touch yet")
	}
	fx := min(max(d.X, 0), 1) * float64(v.fb.W-1)
	fy := min(max(d.Y, 0), 1) * float64(v.fb.H-1)
	return uint16(fx + 0.5), uint16(fy + 0.5), nil
}

// touch runs one touch action as mouse input (onMove and onButton check
// the grants).
func (v *Viewer) touch(detail []byte) error {
	var d TouchDetail
	if err := decodeDetail(CmdTouch, detail, &d); err != nil {
		return err
	}
	b := protocol.Button(d.Button)
	if d.Button < 0 || b > protocol.ButtonForward {
		return fmt.Errorf("viewer: touch button %d", d.Button)
	}
	x, y, err := v.touchAt(d)
	if err != nil {
		return err
	}
	switch d.Action {
	case TouchMove:
		v.onMove(x, y)
	case TouchDown:
		v.onMove(x, y)
		v.onButton(b, true, x, y)
	case TouchUp:
		v.onButton(b, false, x, y)
	case TouchClick:
		v.onMove(x, y)
		v.onButton(b, true, x, y)
		v.onButton(b, false, x, y)
	default:
		return fmt.Errorf("viewer: touch action %q", d.Action)
	}
	return nil
}

// touchKey presses and releases one of TouchKeys.
func (v *Viewer) touchKey(detail []byte) error {
	var name string
	if err := decodeDetail(CmdTouchKey, detail, &name); err != nil {
		return err
	}
	code, ok := TouchKeys[name]
	if !ok {
		return fmt.Errorf("viewer: touch key %q", name)
	}
	v.onKey(protocol.Key{Down: true, Key: name, Code: code})
	v.onKey(protocol.Key{Down: false, Key: name, Code: code})
	return nil
}

// touchText types text as the keyboard's keys would, under the control grant.
func (v *Viewer) touchText(detail []byte) error {
	var d TextDetail
	if err := decodeDetail(CmdTouchText, detail, &d); err != nil {
		return err
	}
	keys, err := TypeStrokes(d.Text)
	if err != nil {
		v.ui.Emit(EventKeysError, ErrorEvent{Message: "Not typed: " + err.Error() + "."})
		return nil
	}
	for _, k := range keys {
		v.onKey(k)
	}
	return nil
}
