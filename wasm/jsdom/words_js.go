//go:build js && wasm

package jsdom

import (
	"encoding/json"
	"strings"

	"tether/server/protocol"
)

// The viewer's words on the page are the engineer's language: the page carries its messages in #viewer's
// data-msgs (templates.ConsoleMsgs, from static/locales), and these tables say which message words which
// of the viewer's status texts. A text without a message is shown as the viewer wrote it.

// statusMessages are the viewer's status texts (wasm/viewer, wasm/main.go) and the errors it reports to
// the page's scripts (viewer.ErrorEvent), and their messages.
var statusMessages = map[string]string{
	"The customer has not allowed the clipboard.":                       "console_js_v_clip_not_allowed",
	"This text cannot be sent to the customer's clipboard.":             "console_js_v_clip_unsendable",
	"Not connected to the customer's computer; the text was not sent.":  "console_js_v_clip_offline",
	"The customer has not allowed control.":                             "console_js_v_keys_no_control",
	"Not connected to the customer's computer; the keys were not sent.": "console_js_v_keys_offline",
	"Connecting…":                    "console_js_v_connecting",
	"Connection lost, reconnecting…": "console_js_v_connection_lost",
	"Waiting for the customer…":      "console_js_v_waiting",
	"Connected":                      "console_js_v_connected",
	"You have been signed out. Sign in again to continue.":                            "console_js_v_signed_out",
	"Session ended: cannot reach the server. Reload the page to try again.":           "console_js_v_unreachable_ended",
	"Cannot reach the server, trying again…":                                          "console_js_v_unreachable",
	"Loading the recording…":                                                          "console_js_v_loading_recording",
	"The recording could not be loaded. Reload the page to try again.":                "console_js_v_recording_failed",
	"This recording was made by another version of Tether and cannot be played here.": "console_js_v_recording_version",
}

// endedPrefix starts the text of a session that ended, before its reason (wasm/viewer/viewer.go).
const endedPrefix = "Session ended: "

// grantMessages name the grants on the level chip.
var grantMessages = map[string]string{
	"view": "console_grant_view", "control": "console_grant_control", "limited": "console_grant_limited",
	"clipboard": "console_grant_clipboard", "files": "console_grant_files",
}

// pathMessages name the connection's path.
var pathMessages = map[string]string{
	protocol.PathP2P: "console_js_v_p2p", protocol.PathTURN: "console_js_v_turn", protocol.PathRelay: "console_js_v_relay",
}

// loadWords reads the page's messages; none (an older page) leaves every text as the viewer wrote it.
func (p *Page) loadWords() {
	p.words = map[string]string{}
	if raw := p.Data("msgs"); raw != "" {
		_ = json.Unmarshal([]byte(raw), &p.words)
	}
}

// say is message id with its {Name} placeholders filled from vars; fallback when the page lacks it.
func (p *Page) say(id, fallback string, vars ...string) string {
	text, ok := p.words[id]
	if !ok {
		return fallback
	}
	for i := 0; i+1 < len(vars); i += 2 {
		text = strings.ReplaceAll(text, "{"+vars[i]+"}", vars[i+1])
	}
	return text
}

// status words one of the viewer's status texts.
func (p *Page) status(text string) string {
	if id, ok := statusMessages[text]; ok {
		return p.say(id, text)
	}
	if reason, ok := strings.CutPrefix(text, endedPrefix); ok {
		if id, data, ok := protocol.EndReasonMessage(reason); ok {
			name, _ := data["Engineer"].(string)
			reason = p.say(id, reason, "Engineer", name)
		}
		return p.say("console_js_v_ended", text, "Reason", reason)
	}
	return text
}

// grantWords names the grants in g as the chip shows them.
func (p *Page) grantWords(g protocol.Grants) []string {
	names, shorts := g.Names(), g.Shorts()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p.say(grantMessages[n], shorts[i])
	}
	return out
}
