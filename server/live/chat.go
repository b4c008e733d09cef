package live

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// EventChat is the kind of a chat message in a session's log; its detail is
// chatDetail as JSON and its actor the sender (an engineer or the customer).
// The session report builds the transcript from these events.
const EventChat = "chat"

// chatDetail is the detail of an EventChat.
type chatDetail struct {
	Text string `json:"text"`
}

// ChatRate bounds how fast one side of a session may chat: a burst of ten
// messages, then one a second. The limit lives in the store, so both
// sides' connections on every instance share it.
var ChatRate = store.Rate{Every: time.Second, Burst: 10}

// typingEvery is the least time between two typing indicators one
// connection passes on; pages send one every few seconds while typing.
const typingEvery = 500 * time.Millisecond

// Refusals of a chat message, for the person who typed it.
const (
	chatRefusedEnded = "The session has ended; messages can no longer be sent."
	chatRefusedFast  = "You are sending messages too quickly. Wait a moment, then send again."
	chatRefusedError = "The message could not be saved. Try again in a moment."
)

// chatter is one connection's part in the session's conversation: who it
// speaks for, and whom the other side is. Its owner (the handler reading
// the connection) calls it from one goroutine.
type chatter struct {
	svc       *Service
	sessionID string
	side      string    // protocol.SideEngineer or SideCustomer
	actor     string    // store.ActorEngineer(id) or store.ActorCustomer
	from      string    // the name the others see; resolved lazily for the customer
	self      hub.Role  // where a refusal goes back to
	typingAt  time.Time // when the last "typing" went on
	typingOn  bool      // and what it said
	tooFast   int       // messages refused in a row for the rate
}

// signal handles a chat or typing envelope from the connection. A payload
// of the wrong shape breaks the wire contract (an error); a message that
// cannot be taken (too long, too fast, the session over) is refused to its
// sender with a reason, and the connection goes on.
func (c *chatter) signal(ctx context.Context, env protocol.Envelope) error {
	switch env.Type {
	case protocol.SigChat:
		var m protocol.Chat
		if err := env.Decode(&m); err != nil {
			return err
		}
		if err := protocol.ChatRef(m.Ref); err != nil {
			return err
		}
		return c.chat(ctx, m)
	case protocol.SigTyping:
		var t protocol.Typing
		if err := env.Decode(&t); err != nil {
			return err
		}
		c.typing(ctx, t.Typing)
	default:
		return fmt.Errorf("%w: %q is not chat", protocol.ErrType, env.Type)
	}
	return nil
}

// maxTooFast is how many messages in a row a connection may send after
// being told it is too fast; the next one closes it.
const maxTooFast = 20

// chat stores one message and passes it to everyone in the session. The
// error is for a connection that goes on sending too fast.
func (c *chatter) chat(ctx context.Context, m protocol.Chat) error {
	s := c.svc
	text, err := protocol.ChatText(m.Text)
	if err != nil {
		// The text goes back with the refusal, so nothing typed is lost.
		c.refuse(m, "Not sent: "+strings.TrimPrefix(err.Error(), protocol.ErrInvalid.Error()+": ")+".")
		return nil
	}
	sess, err := s.store.SessionByIDUnscoped(ctx, c.sessionID)
	if err != nil {
		s.log.Error("chat: read session", "session", c.sessionID, "err", err)
		c.refuse(m, chatRefusedError)
		return nil
	}
	if sess.State == store.StateEnded {
		c.refuse(m, chatRefusedEnded)
		return nil
	}
	ok, _, err := s.store.Allow(ctx, "chat:"+sess.ID+":"+c.side, ChatRate)
	switch {
	case err != nil:
		s.log.Error("chat: rate limit", "session", sess.ID, "err", err)
		c.refuse(m, chatRefusedError)
		return nil
	case !ok:
		c.tooFast++
		if c.tooFast > maxTooFast {
			return fmt.Errorf("%w: %d chat messages refused in a row as too fast", protocol.ErrInvalid, c.tooFast)
		}
		if c.tooFast == 1 {
			s.log.Info("chat refused: too fast", "session", sess.ID, "side", c.side)
		}
		c.refuse(m, chatRefusedFast)
		return nil
	}
	c.tooFast = 0
	detail, err := json.Marshal(chatDetail{Text: text})
	if err != nil {
		c.refuse(m, chatRefusedError)
		return nil
	}
	ev, err := s.store.AppendEvent(ctx, store.Event{SessionID: sess.ID, ProviderID: sess.ProviderID, Kind: EventChat, Actor: c.actor, Detail: string(detail)})
	if err != nil {
		s.log.Error("chat: store", "session", sess.ID, "err", err)
		c.refuse(m, chatRefusedError)
		return nil
	}
	if c.from == "" {
		c.from = sess.CustomerName
	}
	c.typingOn = false // the message ends the indicator where it arrives
	out := protocol.Chat{ID: ev.ID, At: ev.At, From: c.from, Side: c.side, Text: text, Ref: m.Ref}
	b, err := protocol.EncodeSignal(protocol.SigChat, out)
	if err != nil {
		s.log.Error("chat: encode", "err", err)
		return nil
	}
	for _, r := range []hub.Role{hub.RoleViewer, hub.RoleAgent, hub.RolePage} {
		s.hub.Send(sess.ID, r, hub.Message{Data: b})
	}
	return nil
}

// refuse tells the sender's side why m was not sent. Where a side has
// several connections (invitation pages), the others ignore a refusal
// whose ref they did not send.
func (c *chatter) refuse(m protocol.Chat, why string) {
	c.svc.sendSignal(c.sessionID, c.self, protocol.SigChat, protocol.Chat{Ref: m.Ref, Text: m.Text, Error: why})
}

// typing passes a typing indicator to the other side when it changes, and
// a repeated "on" at most once per typingEvery: a flood of them cannot
// fill the other side's inbox.
func (c *chatter) typing(ctx context.Context, on bool) {
	now := time.Now()
	if on == c.typingOn && (!on || now.Sub(c.typingAt) < typingEvery) {
		return // nothing new for the other side
	}
	c.typingAt, c.typingOn = now, on
	if c.from == "" {
		sess, err := c.svc.store.SessionByIDUnscoped(ctx, c.sessionID)
		if err != nil {
			c.svc.log.Error("typing: read session", "session", c.sessionID, "err", err)
			return
		}
		c.from = sess.CustomerName
	}
	t := protocol.Typing{Side: c.side, From: c.from, Typing: on}
	if c.side == protocol.SideEngineer {
		c.svc.sendSignal(c.sessionID, hub.RoleAgent, protocol.SigTyping, t)
		c.svc.sendSignal(c.sessionID, hub.RolePage, protocol.SigTyping, t)
		return
	}
	c.svc.sendSignal(c.sessionID, hub.RoleViewer, protocol.SigTyping, t)
}

// isChat reports whether an envelope type belongs to the chat.
func isChat(typ string) bool { return typ == protocol.SigChat || typ == protocol.SigTyping }

// ChatHistory returns the session's conversation so far, oldest first, as
// the envelopes a connecting viewer or page receives.
func (s *Service) ChatHistory(ctx context.Context, sess store.Session) ([][]byte, error) {
	evs, err := s.store.Events(ctx, sess.ProviderID, sess.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{store.ActorCustomer: sess.CustomerName}
	var out [][]byte
	for _, ev := range evs {
		if ev.Kind != EventChat {
			continue
		}
		var d chatDetail
		if err := json.Unmarshal([]byte(ev.Detail), &d); err != nil {
			s.log.Error("chat history: event detail", "session", sess.ID, "event", ev.ID, "err", err)
			continue
		}
		side := protocol.SideEngineer
		if ev.Actor == store.ActorCustomer {
			side = protocol.SideCustomer
		}
		name, ok := names[ev.Actor]
		if !ok {
			name = s.engineerName(ctx, sess.ProviderID, ev.Actor)
			names[ev.Actor] = name
		}
		b, err := protocol.EncodeSignal(protocol.SigChat, protocol.Chat{ID: ev.ID, At: ev.At, From: name, Side: side, Text: d.Text, History: true})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// engineerName resolves an "engineer:<id>" actor to the engineer's name.
func (s *Service) engineerName(ctx context.Context, providerID, actor string) string {
	const prefix = "engineer:"
	if len(actor) > len(prefix) && actor[:len(prefix)] == prefix {
		if u, err := s.store.UserByID(ctx, providerID, actor[len(prefix):]); err == nil {
			return u.Name
		}
	}
	return "Support engineer"
}

// PageChat is a customer's invitation page taking part in the chat; the
// handler reading the page's websocket owns it.
type PageChat struct{ chatter }

// NewPageChat returns the chat of an invitation page of sess.
func (s *Service) NewPageChat(sess store.Session) *PageChat {
	return &PageChat{chatter{svc: s, sessionID: sess.ID, side: protocol.SideCustomer, actor: store.ActorCustomer, from: sess.CustomerName, self: hub.RolePage}}
}

// Signal handles one text message from the page: chat and typing are all
// a page may send; anything else breaks the wire contract.
func (p *PageChat) Signal(ctx context.Context, data []byte) error {
	env, err := protocol.DecodeSignal(data)
	if err != nil {
		return err
	}
	if !isChat(env.Type) {
		return fmt.Errorf("%w: unexpected message %q from an invitation page", protocol.ErrType, env.Type)
	}
	return p.signal(ctx, env)
}
