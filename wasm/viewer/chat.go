package viewer

import (
	"encoding/json"

	"tether/server/protocol"
)

// The chat's controls live in static/js/viewer-chat.js; the viewer passes
// the server's chat and typing envelopes to it (UI.Emit "chat", "typing")
// and sends what the engineer typed (commands CmdChat, CmdTyping). Chat
// needs no grant: it works in view-only, and before the customer allows
// anything.

// onChat hands a chat or typing envelope to the page as it came: the server
// built it, and the page shows it as text.
func (v *Viewer) onChat(env protocol.Envelope) error {
	if !json.Valid(env.Payload) {
		return protocol.ErrInvalid
	}
	v.ui.Emit(env.Type, json.RawMessage(env.Payload))
	return nil
}

// sendChat sends the engineer's message; text that cannot be sent is
// refused at once, as the server would refuse it, with the text given back.
func (v *Viewer) sendChat(detail []byte) error {
	var c protocol.Chat
	if err := decodeDetail(CmdChat, detail, &c); err != nil {
		return err
	}
	if err := protocol.ChatRef(c.Ref); err != nil {
		return err
	}
	text, err := protocol.ChatText(c.Text)
	if err != nil {
		v.ui.Emit(protocol.SigChat, protocol.Chat{Ref: c.Ref, Text: c.Text, Error: "Not sent: " + trimInvalid(err) + "."})
		return nil
	}
	v.signal(protocol.SigChat, protocol.Chat{Text: text, Ref: c.Ref})
	return nil
}

// sendTyping tells the customer whether the engineer is typing.
func (v *Viewer) sendTyping(detail []byte) error {
	var t protocol.Typing
	if err := decodeDetail(CmdTyping, detail, &t); err != nil {
		return err
	}
	v.signal(protocol.SigTyping, protocol.Typing{Typing: t.Typing})
	return nil
}

// trimInvalid words a protocol.ErrInvalid for a person.
func trimInvalid(err error) string {
	msg, prefix := err.Error(), protocol.ErrInvalid.Error()+": "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}
