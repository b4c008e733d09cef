package protocol

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Chat between the engineer and the customer travels as signaling
// envelopes through the server, which stores every message with the
// session (an event of kind "chat") before it passes it on, so that the
// engineer's viewer, the customer's invitation page and the agent's consent
// page all show one conversation, history included.
const (
	// SigChat: viewer, agent or invitation page → server: a message
	// {text, ref}. server → all of the session: the stored message {id,
	// at, from, side, text, ref}; server → the sender only: a refusal
	// {ref, text, error}, the message was neither stored nor passed on.
	SigChat = "chat"
	// SigTyping: viewer, agent or invitation page → server → the other
	// side: {typing} with {side, from} filled by the server. Not stored.
	SigTyping = "typing"
)

// Sides of a conversation, as Chat and Typing name them.
const (
	SideEngineer = "engineer"
	SideCustomer = "customer"
)

// MaxChatText bounds one chat message, in characters; MaxChatRef bounds the
// sender's reference for it.
const (
	MaxChatText = 2000
	MaxChatRef  = 64
)

// Chat is one chat message. A sender fills Text and Ref; the server fills
// the rest from what it stored, or Error when it refused the message.
type Chat struct {
	// ID is the stored event's id: pages receive history again after a
	// reconnect and drop the messages they already show.
	ID   string    `json:"id,omitempty"`
	At   time.Time `json:"at,omitzero"`
	From string    `json:"from,omitempty"` // the person's name, as the server knows it
	Side string    `json:"side,omitempty"` // SideEngineer or SideCustomer
	Text string    `json:"text"`
	// Ref is the sender's own reference, echoed back so that it can match
	// the stored message (or the refusal) to what it sent.
	Ref string `json:"ref,omitempty"`
	// Error says, for the sender, why the message was refused.
	Error string `json:"error,omitempty"`
	// History marks a message sent again to a connection that just joined
	// (pages count it as neither new nor unread).
	History bool `json:"history,omitempty"`
}

// Typing says whether someone is typing a chat message.
type Typing struct {
	Side   string `json:"side,omitempty"`
	From   string `json:"from,omitempty"`
	Typing bool   `json:"typing"`
}

// ChatText checks the text a person typed and returns it trimmed of
// surrounding white space: not empty, valid UTF-8, at most MaxChatText
// characters, and no control characters but newlines and tabs. The error
// is a sentence for the person who typed it.
func ChatText(text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", fmt.Errorf("%w: the message is not valid text", ErrInvalid)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return "", fmt.Errorf("%w: the message is empty", ErrInvalid)
	}
	if n := utf8.RuneCountInString(text); n > MaxChatText {
		return "", fmt.Errorf("%w: the message is %d characters long; at most %d fit in one message", ErrInvalid, n, MaxChatText)
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", fmt.Errorf("%w: the message contains a control character (%U)", ErrInvalid, r)
		}
	}
	return text, nil
}

// ChatRef checks a sender's reference: at most MaxChatRef letters, digits,
// '-' or '_' (empty is allowed).
func ChatRef(ref string) error {
	if len(ref) > MaxChatRef {
		return fmt.Errorf("%w: chat ref of %d bytes", ErrInvalid, len(ref))
	}
	for _, r := range ref {
		if !(r == '-' || r == '_' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return fmt.Errorf("%w: chat ref %q", ErrInvalid, ref)
		}
	}
	return nil
}
