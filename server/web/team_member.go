package web

import (
	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/mail"
	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
)

func (s *Server) teamRole(c echo.Context, en engineer) error {
	u, err := s.Store.ChangeRole(c.Request().Context(), en.Provider.ID, en.User.ID, c.Param("id"), store.Role(c.FormValue("role")))
	if err != nil {
		return s.teamRefusal(c, en, err, teamExtras{})
	}
	s.Log.Info("role changed", "provider", en.Provider.ID, "by", en.User.ID, "user", u.ID, "role", u.Role)
	return teamDone(c, "role", u.ID)
}

// teamTransfer makes another active member the owner; the owner becomes an admin.
func (s *Server) teamTransfer(c echo.Context, en engineer) error {
	u, err := s.Store.TransferOwnership(c.Request().Context(), en.Provider.ID, en.User.ID, c.FormValue("user"))
	if err != nil {
		return s.teamRefusal(c, en, err, teamExtras{})
	}
	s.Log.Info("ownership transferred", "provider", en.Provider.ID, "from", en.User.ID, "to", u.ID)
	return teamDone(c, "owner", u.ID)
}

// teamDeactivate deactivates a member: every sign-in they had ends and its websockets close on every
// instance (so their open console signs out at once), and every session of theirs not yet ended ends.
func (s *Server) teamDeactivate(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	u, logins, err := s.Store.DeactivateUser(ctx, en.Provider.ID, en.User.ID, c.Param("id"))
	if err != nil {
		return s.teamRefusal(c, en, err, teamExtras{})
	}
	for _, h := range logins {
		s.endSignIn(h)
	}
	ids, err := s.Store.LiveSessionsOf(ctx, en.Provider.ID, u.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, _, err := s.Live.End(ctx, id, protocol.EndEngineerDeactivated, store.ActorEngineer(en.User.ID)); err != nil {
			return err
		}
	}
	s.Log.Info("user deactivated", "provider", en.Provider.ID, "by", en.User.ID, "user", u.ID, "sign_ins", len(logins), "sessions", len(ids))
	return teamDone(c, "deactivated", u.ID)
}

func (s *Server) teamReactivate(c echo.Context, en engineer) error {
	u, err := s.Store.ReactivateUser(c.Request().Context(), en.Provider.ID, en.User.ID, c.Param("id"))
	if err != nil {
		return s.teamRefusal(c, en, err, teamExtras{})
	}
	s.Log.Info("user reactivated", "provider", en.Provider.ID, "by", en.User.ID, "user", u.ID)
	return teamDone(c, "reactivated", u.ID)
}

// teamReset makes a one-time password-reset link for a member: mailed to them with SMTP, else shown once.
func (s *Server) teamReset(c echo.Context, en engineer) error {
	tok := auth.NewToken()
	t, u, err := s.Store.CreateReset(c.Request().Context(), en.Provider.ID, en.User.ID, c.Param("id"), auth.HashToken(tok), s.Now().Add(resetLifetime))
	if err != nil {
		return s.teamRefusal(c, en, err, teamExtras{})
	}
	s.Log.Info("password reset link made", "provider", en.Provider.ID, "by", en.User.ID, "user", u.ID)
	link := templates.TeamLink{URL: s.providerURL(en.Provider) + "/reset/" + tok, What: "password reset link", For: u.Name + " (" + u.Email + ")", Expires: t.ExpiresAt}
	loc := s.speak(c, en)
	words := map[string]any{"Name": u.Name, "By": en.User.Name, "Provider": en.Provider.Name, "Possessive": templates.Possessive(en.Provider.Name),
		"Link": link.URL, "Until": mailUntil(loc, u.Zone(), t.ExpiresAt)}
	msg := mail.Message{
		To:      u.Email,
		Subject: loc.T("admin_mail_reset_subject", words),
		Text:    loc.T("admin_mail_reset_text", words),
	}
	return s.handOver(c, en, teamExtras{}, link, msg, loc.T("admin_team_reset_sent", map[string]any{"Email": u.Email}))
}
