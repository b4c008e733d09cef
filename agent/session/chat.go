package session

import (
	"context"

	"tether/server/protocol"
)

// The chat passes through the agent between the support server and the
// consent page: the server's messages and typing go to the page (and the
// engineer's messages to the console too), the customer's go from the page
// to the server. It gives nothing and needs no grant.

// startChat lets the consent page send the customer's messages.
func (s *session) startChat(ctx context.Context) {
	if s.page == nil {
		return
	}
	s.page.SetChatSender(func(typ string, payload any) error {
		return s.sig.Send(ctx, typ, payload)
	})
}

// onChat shows a chat or typing envelope from the server.
func (s *session) onChat(env protocol.Envelope) {
	switch env.Type {
	case protocol.SigChat:
		var c protocol.Chat
		if err := env.Decode(&c); err != nil {
			s.log.Warn("bad chat message", "err", err)
			return
		}
		isNew := s.page == nil && c.Error == ""
		if s.page != nil {
			isNew = s.page.ShowChat(c)
		}
		// The console shows the engineer's messages too; text that is not
		// what a person could type (escape sequences) is not printed.
		if text, err := protocol.ChatText(c.Text); err == nil && isNew && c.Side == protocol.SideEngineer {
			from := c.From
			if from == "" {
				from = s.engineerName()
			}
			s.say("\n%s\n  %s", s.cfg.Lang.T("customer_agent_message_from", map[string]any{"Name": from, "Time": c.At.Local().Format("15:04")}), text)
		}
	case protocol.SigTyping:
		var t protocol.Typing
		if err := env.Decode(&t); err != nil {
			s.log.Warn("bad typing message", "err", err)
			return
		}
		if s.page != nil {
			s.page.ShowTyping(t)
		}
	}
}
