package web

import (
	"strings"

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

// endReasons maps the reasons a session ends (server/protocol) to their messages.
var endReasons = map[string]string{
	protocol.EndCustomerClosed:      "console_end_customer_closed",
	protocol.EndCustomerStopped:     "console_end_customer_stopped",
	protocol.EndCustomerDenied:      "console_end_customer_denied",
	protocol.EndCannotCapture:       "console_end_cannot_capture",
	protocol.EndAgentLost:           "console_end_agent_lost",
	protocol.EndExpired:             "console_end_expired",
	protocol.EndInterrupted:         "console_end_interrupted",
	protocol.EndProviderDisabled:    "console_end_provider_disabled",
	protocol.EndTimeLimit:           "console_end_time_limit",
	protocol.EndIdle:                "console_end_idle",
	protocol.EndNobodyFree:          "console_end_nobody_free",
	protocol.EndEngineerDeactivated: "console_end_engineer_deactivated",
}

// endReason words a stored end reason; one this version does not know shows as stored.
func endReason(say sayFunc, reason string) string {
	if id, ok := endReasons[reason]; ok {
		return say(id)
	}
	if name, ok := strings.CutPrefix(reason, protocol.EndedBy("")); ok {
		return say("console_end_by", map[string]any{"Engineer": name})
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
