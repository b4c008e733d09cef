package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/store"
	"tether/templates"
)

// errLinkGone answers every one-time link that cannot be used: unknown, used, replaced, revoked, expired,
// or another provider's on a provider's address. One answer, so the page tells nothing about which.
func (s *Server) errLinkGone(c echo.Context) error {
	return s.saidError(c, "", http.StatusNotFound, "admin_err_not_found_h", "admin_err_link_gone", nil)
}

// accountLink finds the usable one-time link of kind in the request, on an address that may show it, and
// its provider.
func (s *Server) accountLink(c echo.Context, kind store.TokenKind) (store.AccountToken, store.Provider, site, error) {
	st, err := s.siteOf(c)
	if err != nil {
		return store.AccountToken{}, store.Provider{}, site{}, err
	}
	ctx := c.Request().Context()
	tok := c.Param("token")
	if len(tok) > 64 {
		return store.AccountToken{}, store.Provider{}, site{}, s.errLinkGone(c)
	}
	t, err := s.Store.AccountTokenByHash(ctx, kind, auth.HashToken(tok))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !st.owns(t.ProviderID)) {
		return store.AccountToken{}, store.Provider{}, site{}, s.errLinkGone(c)
	}
	if err != nil {
		return store.AccountToken{}, store.Provider{}, site{}, err
	}
	p, err := s.Store.ProviderByID(ctx, t.ProviderID)
	if err != nil {
		return store.AccountToken{}, store.Provider{}, site{}, err
	}
	if p.Disabled() {
		return store.AccountToken{}, store.Provider{}, site{}, s.saidError(c, p.DefaultLanguage, http.StatusForbidden, "admin_err_closed_h", "admin_err_closed",
			map[string]any{"Provider": p.Name, "Possessive": templates.Possessive(p.Name)})
	}
	return t, p, st, nil
}

// choosePassword checks a new password typed twice with setup's rules and hashes it; msg says what is
// wrong in words.
func choosePassword(pw, again string) (hash, msg string) {
	if pw != again {
		return "", "The two passwords are different."
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return "", sentence(err.Error())
	}
	return hash, ""
}

func (s *Server) joinView(c echo.Context, inv store.AccountToken, p store.Provider, st site) templates.Join {
	v := templates.Join{
		Page:     s.accountPage(c, p, "admin_join_title"),
		Action:   st.Prefix + "/join/" + c.Param("token"),
		Provider: p.Name, Email: inv.Email, Name: inv.Name, Role: string(inv.Role), Expires: inv.ExpiresAt,
	}
	if by, err := s.Store.UserByID(c.Request().Context(), p.ID, inv.CreatedBy); err == nil {
		v.InvitedBy = by.Name
	}
	return v
}

func (s *Server) joinPage(c echo.Context) error {
	inv, p, st, err := s.accountLink(c, store.TokenInvite)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.JoinView(s.joinView(c, inv, p, st)))
}

// joinSubmit creates the invited account with the name and password chosen, and signs it in.
func (s *Server) joinSubmit(c echo.Context) error {
	inv, p, st, err := s.accountLink(c, store.TokenInvite)
	if err != nil {
		return err
	}
	v := s.joinView(c, inv, p, st)
	v.Name = strings.TrimSpace(c.FormValue("name"))
	hash := ""
	loc := s.localizer(c, "", p.DefaultLanguage)
	if v.Name == "" || len(v.Name) > 100 {
		v.Error = loc.T("admin_join_name_needed")
	} else {
		hash, v.Error = choosePasswordIn(loc, c.FormValue("password"), c.FormValue("password2"))
	}
	if v.Error != "" {
		return s.render(c, http.StatusBadRequest, templates.JoinView(v))
	}
	u, err := s.Store.AcceptInvite(c.Request().Context(), auth.HashToken(c.Param("token")), v.Name, hash)
	var qe *store.QuotaError
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Used by another request a moment ago.
		return s.errLinkGone(c)
	case errors.As(err, &qe):
		v.Error = loc.T("admin_join_no_seat", map[string]any{"Provider": p.Name, "Reason": sayReason(loc, qe)})
		return s.render(c, http.StatusForbidden, templates.JoinView(v))
	case errors.Is(err, store.ErrEmailTaken):
		v.Error = loc.T("admin_join_email_taken", map[string]any{"Email": inv.Email, "Provider": p.Name})
		return s.render(c, http.StatusConflict, templates.JoinView(v))
	case errors.Is(err, store.ErrProviderDisabled):
		// The operator disabled the provider while the page was open.
		return s.saidError(c, p.DefaultLanguage, http.StatusForbidden, "admin_err_closed_h", "admin_err_closed",
			map[string]any{"Provider": p.Name, "Possessive": templates.Possessive(p.Name)})
	case err != nil:
		return err
	}
	s.Log.Info("invitation accepted", "provider", p.ID, "invite", inv.ID, "user", u.ID)
	if err := s.startLogin(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}

func (s *Server) resetView(c echo.Context, t store.AccountToken, p store.Provider, st site) templates.ResetPassword {
	return templates.ResetPassword{
		Page:     s.accountPage(c, p, "admin_reset_title_short"),
		Action:   st.Prefix + "/reset/" + c.Param("token"),
		Provider: p.Name, Email: t.Email, Name: t.Name,
	}
}

func (s *Server) resetPage(c echo.Context) error {
	t, p, st, err := s.accountLink(c, store.TokenReset)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.ResetPasswordView(s.resetView(c, t, p, st)))
}

// resetSubmit sets the new password, ends every sign-in the user had (closing their websockets on every
// instance) and signs this browser in.
func (s *Server) resetSubmit(c echo.Context) error {
	t, p, st, err := s.accountLink(c, store.TokenReset)
	if err != nil {
		return err
	}
	v := s.resetView(c, t, p, st)
	hash, msg := choosePasswordIn(s.localizer(c, "", p.DefaultLanguage), c.FormValue("password"), c.FormValue("password2"))
	if msg != "" {
		v.Error = msg
		return s.render(c, http.StatusBadRequest, templates.ResetPasswordView(v))
	}
	u, logins, err := s.Store.ResetPassword(c.Request().Context(), auth.HashToken(c.Param("token")), hash)
	if errors.Is(err, store.ErrNotFound) {
		return s.errLinkGone(c)
	}
	if err != nil {
		return err
	}
	for _, h := range logins {
		s.endSignIn(h)
	}
	s.Log.Info("password reset", "provider", p.ID, "user", u.ID, "sign_ins_ended", len(logins))
	// A reset link replaces the password, not the second factor.
	return s.passwordAccepted(c, st, u)
}

// accountPage is the page of an invitation or reset link, on the provider's address: in the visitor's
// language (their choice, their browser's, else the provider's default customer language), titled by
// message titleID with the provider's name.
func (s *Server) accountPage(c echo.Context, p store.Provider, titleID string) templates.Page {
	return s.customerPage(c, "", brandOf(p), p.DefaultLanguage).WithTitle(titleID, map[string]any{"Provider": p.Name})
}
