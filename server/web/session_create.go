package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/store"
	"tether/templates"
)

// codeAttempts bounds retries when a fresh code collides with a live one
// (29^6 ≈ 595 million codes, so a retry is already rare).
const codeAttempts = 8

// openSession creates a waiting session from n with what every session gets: an id, the invitation
// and code tokens derived from it (only their hashes are stored), a fresh code (drawn again while it
// collides with a live one) and the invitation's expiry. The console, the portal's "Get help" form and
// the API all open sessions through it.
func (s *Server) openSession(ctx context.Context, n store.NewSession) (store.Session, error) {
	n.ID = store.NewID()
	n.TokenHash = auth.HashToken(s.inviteToken(n.ID))
	n.CodeTokenHash = auth.HashToken(s.codeToken(n.ID))
	n.ExpiresAt = s.Now().Add(s.Config.InviteTTL)
	for i := 0; ; i++ {
		n.Code = auth.NewCode()
		sess, err := s.Store.CreateSession(ctx, n)
		if !errors.Is(err, store.ErrCodeTaken) || i == codeAttempts {
			return sess, err
		}
	}
}

func (s *Server) sessionCreate(c echo.Context, en engineer) error {
	customer := strings.TrimSpace(c.FormValue("customer"))
	note := strings.TrimSpace(c.FormValue("note"))
	openViewer := c.FormValue("open_viewer") == "1"
	ctx := c.Request().Context()
	desks, chosen, err := s.newSessionDesks(ctx, en, c.FormValue("desk"))
	if err != nil {
		return err
	}
	if customer == "" || len(customer) > 100 || len(note) > 500 {
		groups, err := s.sessionGroups(c, en)
		if err != nil {
			return err
		}
		v := templates.Console{Page: s.titled(c, en, "console_nav_sessions"), Groups: groups, CustomerName: customer, Note: note, OpenViewer: openViewer,
			Desks: desks, DeskID: chosen}
		v.Error = v.Say("console_new_session_invalid")
		if v.Queue, err = s.requestQueue(c, en); err != nil {
			return err
		}
		if v.Notify, err = s.notifyPanel(c, en); err != nil {
			return err
		}
		return s.render(c, http.StatusBadRequest, templates.ConsoleView(v))
	}
	if err := s.liveReady(); err != nil {
		return err
	}
	sess, err := s.openSession(ctx, store.NewSession{
		ProviderID: en.Provider.ID, DeskID: chosen, EngineerID: en.User.ID, CustomerName: customer, Note: note,
	})
	var qe *store.QuotaError
	if errors.As(err, &qe) {
		// Over the provider's quota: the form stays as typed, with the limit in words.
		s.Log.Info("session refused: over quota", "provider", en.Provider.ID, "limit", qe.Limit)
		groups, gerr := s.sessionGroups(c, en)
		if gerr != nil {
			return gerr
		}
		v := templates.Console{Page: s.titled(c, en, "console_nav_sessions"), Groups: groups, CustomerName: customer, Note: note,
			OpenViewer: openViewer, Error: qe.Message()}
		if v.Notify, gerr = s.notifyPanel(c, en); gerr != nil {
			return gerr
		}
		return s.render(c, http.StatusConflict, templates.ConsoleView(v))
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	s.Log.Info("session created", "session", sess.ID, "engineer", en.User.ID, "desk", sess.DeskID)
	s.Live.Notify(sess)
	if openViewer {
		return c.Redirect(http.StatusSeeOther, "/sessions/"+sess.ID+"/view")
	}
	return c.Redirect(http.StatusSeeOther, "/sessions/"+sess.ID)
}
