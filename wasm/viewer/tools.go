package viewer

import (
	"encoding/json"
	"fmt"

	"tether/server/protocol"
)

// The session's tools beyond the picture and input (chat, clipboard, files,
// displays, ...) keep their controls in page scripts (static/js/viewer-*.js)
// while the viewer owns their protocol. The page hears of them through
// UI.Emit, as DOM events named "tether:<name>" on window whose detail is the
// JSON form of the value, and asks for things through Command
// (window.tetherViewer.command(name, detail) in the page).

// Command runs a request from the page's scripts: name says what, detail is
// its JSON argument (null when there is none). It returns at once; the work
// happens on the viewer's goroutine.
func (v *Viewer) Command(name string, detail []byte) {
	v.q.push(func() { v.command(name, detail) })
}

// command runs one page request on the viewer's goroutine. A request the
// viewer does not know, or whose detail does not decode, is logged and
// dropped: the page is ours, so it is a bug, not an attack.
func (v *Viewer) command(name string, detail []byte) {
	if v.ended {
		return
	}
	var err error
	switch name {
	case CmdRefresh:
		v.sendLogged(&protocol.RequestFull{})
	case CmdFileSend:
		var d fileSendDetail
		if err = decodeDetail(name, detail, &d); err == nil {
			v.fileSend(d)
		}
	case CmdFileCancel:
		var d fileCancelDetail
		if err = decodeDetail(name, detail, &d); err == nil {
			v.fileCancel(d.Key)
		}
	case CmdChat:
		err = v.sendChat(detail)
	case CmdTyping:
		err = v.sendTyping(detail)
	case CmdPoint:
		err = v.point(detail)
	case CmdTouch:
		err = v.touch(detail)
	case CmdTouchKey:
		err = v.touchKey(detail)
	case CmdTouchText:
		err = v.touchText(detail)
	case CmdGrantRequest:
		err = v.requestGrants(detail)
	case CmdSelectDisplay:
		err = v.selectDisplay(detail)
	case CmdClipboardPaste, CmdClipboardSend:
		var d TextDetail
		if err = decodeDetail(name, detail, &d); err == nil {
			if name == CmdClipboardPaste {
				v.onClipboardPaste(d.Text)
			} else {
				v.sendClipboard(d.Text)
			}
		}
	case CmdSendKeys:
		var id string
		if err = decodeDetail(name, detail, &id); err == nil {
			v.onSendKeys(id)
		}
	case CmdTypeText:
		var d TextDetail
		if err = decodeDetail(name, detail, &d); err == nil {
			v.onTypeText(d.Text)
		}
	case CmdPlayback:
		if v.player == nil {
			v.log.Warn("viewer: playback command in a live session")
			return
		}
		err = v.player.command(detail)
	case CmdRecordingFlush:
		if v.rec != nil {
			v.rec.Flush(v.ui.Now())
			v.recState = RecordState{} // tell the page even if nothing changed
			v.showRecording()
		}
	default:
		v.log.Warn("viewer: unknown command from the page", "name", name)
		return
	}
	if err != nil {
		v.log.Warn("viewer: command", "name", name, "err", err)
	}
}

// Commands the page may send.
const (
	// CmdRefresh asks the agent for a full frame (no detail).
	CmdRefresh = "refresh"
	// CmdChat sends a chat message: detail {text, ref} (chat.go).
	CmdChat = "chat"
	// CmdTyping says whether the engineer is typing: detail {typing}.
	CmdTyping = "typing"
	// CmdSelectDisplay asks the agent to show one display or all
	// (SelectDisplayDetail, displays.go).
	CmdSelectDisplay = "select-display"
	// CmdClipboardPaste carries the text of the page's paste event into
	// the screen (TextDetail, text may be empty); the held-back paste
	// shortcut follows it.
	CmdClipboardPaste = "clipboard-paste"
	// CmdClipboardSend puts text on the customer's clipboard (TextDetail).
	CmdClipboardSend = "clipboard-send"
	// CmdSendKeys sends a Send keys entry (its Combo.ID as a string).
	CmdSendKeys = "send-keys"
	// CmdTypeText types text on the customer's computer (TextDetail).
	CmdTypeText = "type-text"
	// CmdPlayback controls the playback of a recording (playback.go):
	// {"action": "play"|"pause"|"seek"|"speed", "ms": 12000, "speed": 2}.
	CmdPlayback = "playback"
	// CmdRecordingFlush uploads what the recording gathered so far, before
	// the engineer ends the session and leaves the page (no detail).
	CmdRecordingFlush = "recording-flush"
)

// decodeDetail unmarshals a command's detail into dst.
func decodeDetail(name string, detail []byte, dst any) error {
	if err := json.Unmarshal(detail, dst); err != nil {
		return fmt.Errorf("viewer: command %s: %w", name, err)
	}
	return nil
}
