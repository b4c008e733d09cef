package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/store"
)

// mayEditSummary: the session's own engineer, and the provider's owner and
// admins, write its summary.
func mayEditSummary(en engineer, sess store.Session) bool {
	return sess.EngineerID == en.User.ID || en.User.Role == store.RoleOwner || en.User.Role == store.RoleAdmin
}

// summarySave saves the engineer's summary from the session's page.
func (s *Server) summarySave(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	if !mayEditSummary(en, sess) {
		loc := s.speak(c, en)
		return &httpError{status: http.StatusForbidden, heading: loc.T("console_error_not_allowed"),
			message: loc.T("console_summary_not_allowed", map[string]any{"Provider": en.Provider.Name})}
	}
	// Browsers send line breaks as CRLF; the summary keeps LF.
	text := strings.TrimSpace(strings.ReplaceAll(c.FormValue("summary"), "\r\n", "\n"))
	if _, err := s.Store.SetSummary(ctx, en.Provider.ID, sess.ID, en.User.ID, text); errors.Is(err, store.ErrInvalidArgument) {
		loc := s.speak(c, en)
		return &httpError{status: http.StatusBadRequest, heading: loc.T("console_error_did_not_work"), message: loc.T("console_summary_too_long")}
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/sessions/"+sess.ID+"?saved=summary#summary")
}
