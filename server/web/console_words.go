package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
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
	return s.shellPage(c, "", en).WithTitle(id, data...)
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

// errorWords words the central error handler's generic answers (not found, account closed, something went
// wrong) in the reader's language: a signed-in engineer's profile language, else the visitor's. An answer a
// handler worded itself (an httpError, a quota) stays as it is. loc is the language of the error page.
func (s *Server) errorWords(c echo.Context, err error, heading, message string) (loc locales.Localizer, h, m string) {
	profile := ""
	if ck, cerr := c.Cookie(loginCookie); cerr == nil && ck.Value != "" {
		if u, _, uerr := s.Store.LoginUser(c.Request().Context(), auth.HashToken(ck.Value)); uerr == nil {
			profile = u.Language
		}
	}
	loc = s.localizer(c, profile, s.siteLanguage(c))
	var he *httpError
	var qe *store.QuotaError
	var ee *echo.HTTPError
	switch {
	case errors.As(err, &he), errors.As(err, &qe):
		return loc, heading, message
	case errors.Is(err, store.ErrProviderDisabled):
		return loc, loc.T("console_error_closed"), loc.T("console_error_closed_text")
	case errors.Is(err, store.ErrNotFound), errors.As(err, &ee) && ee.Code == http.StatusNotFound:
		return loc, loc.T("console_error_not_found"), loc.T("console_error_not_found_text")
	case errors.As(err, &ee):
		return loc, heading, message
	}
	return loc, loc.T("console_error_generic"), loc.T("console_error_generic_text")
}
