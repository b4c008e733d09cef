package web

import (
	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// The console's words in the engineer's language (static/locales/console.*.toml). What the store keeps
// (states, end reasons, grants, event kinds) stays as stored; these functions word it for the reader.

// sayFunc says a message in a language: a Localizer's T or a page's Say.
type sayFunc = func(id string, data ...map[string]any) string

// speak is the signed-in engineer's localizer: their profile's language, else ?lang= and the browser's.
func (s *Server) speak(c echo.Context, en engineer) locales.Localizer {
	return s.localizer(c, en.User.Language, "")
}

// titled is shellPage with a title from the catalogs.
func (s *Server) titled(c echo.Context, en engineer, id string, data ...map[string]any) templates.Page {
	p := s.shellPage(c, "", en)
	p.Title = p.Say(id, data...)
	return p
}

// stateLabel words a session's state for the pills.
func stateLabel(say sayFunc, st store.State) string {
	switch st {
	case store.StateWaiting:
		return say("console_state_waiting")
	case store.StateJoined:
		return say("console_state_joined")
	case store.StateActive:
		return say("console_state_active")
	case store.StateEnded:
		return say("console_state_ended")
	}
	return string(st)
}

// endReason words a stored end reason (protocol.EndReasonMessage); one this version does not know shows
// as stored.
func endReason(say sayFunc, reason string) string {
	if id, data, ok := protocol.EndReasonMessage(reason); ok {
		if data == nil {
			return say(id)
		}
		return say(id, data)
	}
	return reason
}

// grantWords names grants as the engineer's chips show them ("View", "Control").
func grantWords(say sayFunc, g protocol.Grants) []string {
	out := []string{}
	for _, n := range g.Names() {
		out = append(out, say("console_grant_"+n))
	}
	return out
}
