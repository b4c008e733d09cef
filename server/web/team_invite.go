package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/mail"
	"tether/server/store"
	"tether/templates"
)

// teamInvite makes a one-time invitation link: mailed when SMTP is configured, otherwise shown once to
// hand over.
func (s *Server) teamInvite(c echo.Context, en engineer) error {
	form, _ := c.FormParams()
	x := teamExtras{
		form:  templates.TeamInviteForm{Email: strings.TrimSpace(c.FormValue("email")), Name: strings.TrimSpace(c.FormValue("name")), Role: c.FormValue("role")},
		desks: form["desk"],
	}
	role := store.Role(x.form.Role)
	if role == "" {
		role = store.RoleEngineer
	}
	loc := s.speak(c, en)
	switch {
	case !validEmail(x.form.Email):
		x.status, x.err = http.StatusBadRequest, loc.T("admin_team_bad_email")
	case len(x.form.Name) > 100:
		x.status, x.err = http.StatusBadRequest, loc.T("admin_team_name_long")
	case role != store.RoleEngineer && role != store.RoleAdmin:
		x.status, x.err = http.StatusBadRequest, loc.T("admin_team_choose_role")
	}
	if x.err != "" {
		return s.renderTeam(c, en, x)
	}
	tok := auth.NewToken()
	ctx := c.Request().Context()
	inv, err := s.Store.CreateInvite(ctx, store.NewInvite{
		ProviderID: en.Provider.ID, ActorID: en.User.ID, Email: x.form.Email, Name: x.form.Name, Role: role,
		DeskIDs: x.desks, TokenHash: auth.HashToken(tok), Expires: s.Now().Add(inviteLifetime),
	})
	if err != nil {
		return s.teamRefusal(c, en, err, x)
	}
	s.Log.Info("engineer invited", "provider", en.Provider.ID, "by", en.User.ID, "invite", inv.ID, "role", inv.Role)
	link := templates.TeamLink{URL: s.providerURL(en.Provider) + "/join/" + tok, What: "invitation", For: inv.Email, Expires: inv.ExpiresAt}
	greeting := loc.T("admin_mail_hello")
	if inv.Name != "" {
		greeting = loc.T("admin_mail_hello_name", map[string]any{"Name": inv.Name})
	}
	// The mail speaks the inviting admin's language: the invitee's is not known yet.
	words := map[string]any{"Greeting": greeting, "By": en.User.Name, "Provider": en.Provider.Name, "Possessive": templates.Possessive(en.Provider.Name),
		"Role": templates.Page{Lang: loc.Lang(), T: loc.T}.RoleAs(string(inv.Role)), "Link": link.URL, "Until": mailUntil(loc, nil, inv.ExpiresAt)}
	msg := mail.Message{
		To:      inv.Email,
		Subject: loc.T("admin_mail_invite_subject", words),
		Text:    loc.T("admin_mail_invite_text", words),
	}
	return s.handOver(c, en, x, link, msg, loc.T("admin_team_invite_sent", map[string]any{"Email": inv.Email}))
}

// handOver mails a one-time link with msg when SMTP is configured and says so on the team page; without
// SMTP, or when the mail fails, the page shows the link once for the admin to hand over.
func (s *Server) handOver(c echo.Context, en engineer, x teamExtras, link templates.TeamLink, msg mail.Message, sent string) error {
	x.form, x.desks = templates.TeamInviteForm{}, nil
	if s.Mail == nil {
		x.link = link
		return s.renderTeam(c, en, x)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 20*time.Second)
	defer cancel()
	if err := s.Mail.Send(ctx, msg); err != nil {
		s.Log.Error("mail a one-time link", "provider", en.Provider.ID, "err", err)
		x.err = s.speak(c, en).T("admin_team_mail_failed", map[string]any{"Email": msg.To})
		x.link = link
		return s.renderTeam(c, en, x)
	}
	x.notice = sent
	return s.renderTeam(c, en, x)
}

func (s *Server) teamRevoke(c echo.Context, en engineer) error {
	inv, err := s.Store.RevokeInvite(c.Request().Context(), en.Provider.ID, en.User.ID, c.Param("id"))
	if err != nil {
		return s.teamRefusal(c, en, err, teamExtras{})
	}
	s.Log.Info("invitation revoked", "provider", en.Provider.ID, "by", en.User.ID, "invite", inv.ID)
	return teamDone(c, "revoked", "")
}
