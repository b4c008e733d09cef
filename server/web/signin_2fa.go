package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/store"
	"tether/templates"
)

// stepLifetime is how long the second step of a sign-in waits for the code.
const stepLifetime = 5 * time.Minute

// passwordAccepted goes on with a sign-in whose password was right: straight in, or, with two-factor
// sign-in on, to the code page. Between the two steps the server keeps nothing: the code page carries a
// signed, short-lived token that only this step accepts (signAccount).
func (s *Server) passwordAccepted(c echo.Context, st site, u store.User) error {
	if u.TwoFactor() {
		return s.renderStep(c, st, http.StatusOK, s.signAccount(c, purposeStep, u, s.Now().Add(stepLifetime)), "")
	}
	if err := s.startLogin(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, s.afterSignIn(c))
}

func (s *Server) renderStep(c echo.Context, st site, status int, token, errID string) error {
	v := templates.TwoFactorStep{Page: s.page(c, "", defaultBrand), Action: st.Prefix + "/login/2fa", Token: token}
	if st.Own() {
		v.Page.Brand = brandOf(st.Provider)
	}
	v.Title = v.Say("profile_step_title")
	if errID != "" {
		v.Error = v.Say(errID)
	}
	return s.render(c, status, templates.TwoFactorStepView(v))
}

// loginSecond is the sign-in's second step. It is counted like the password step (the address's
// budget, the account's failures and lock), and a wrong code gets exactly the answer a wrong password
// gets: the sign-in page, "Wrong email or password.", 401.
func (s *Server) loginSecond(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	providerID, userID, ok := s.openAccount(c, purposeStep, c.FormValue("token"))
	if !ok {
		s.Log.Warn("sign-in code refused: step token invalid or expired", "addr", c.RealIP())
		return s.renderStep(c, st, http.StatusForbidden, "", "profile_step_expired")
	}
	u, err := s.Store.UserByID(ctx, providerID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return s.renderStep(c, st, http.StatusForbidden, "", "profile_step_expired")
	}
	if err != nil {
		return err
	}
	view := s.loginView(c, st, u.Email)
	if done, err := s.signInBudget(c, view); done || err != nil {
		return err
	}
	key := accountKey(u.Email)
	if done, err := s.signInLocked(c, view, key); done || err != nil {
		return err
	}
	ok, err = s.secondFactor(c, u, c.FormValue("code"))
	if err != nil {
		return err
	}
	if !ok {
		return s.signInFailed(c, view, key)
	}
	if err := s.Store.ClearSignInFailures(ctx, key); err != nil {
		return err
	}
	p, err := s.Store.ProviderByID(ctx, u.ProviderID)
	if err != nil {
		return err
	}
	if u.Disabled() || p.Disabled() {
		view.Error = "That account cannot sign in now. Ask your administrator."
		return s.render(c, http.StatusForbidden, templates.LoginView(view))
	}
	if err := s.startLogin(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, s.afterSignIn(c))
}

// twoFactorGate keeps a user of a provider that requires two-factor sign-in, and who has none yet, on the
// enrolment page: every other page sends them there, every other action is refused. true when it
// answered.
func (s *Server) twoFactorGate(c echo.Context, en engineer) (bool, error) {
	if !en.Provider.Require2FA || en.User.TwoFactor() {
		return false, nil
	}
	switch c.Path() {
	case "/profile/2fa":
		return false, nil
	}
	if c.Request().Method == http.MethodGet && !strings.HasPrefix(c.Path(), "/ws/") {
		return true, c.Redirect(http.StatusSeeOther, "/profile/2fa")
	}
	loc := s.localizer(c, en.User.Language, "")
	return true, &httpError{status: http.StatusForbidden, heading: loc.T("profile_gate_heading"), message: loc.T("profile_gate_message")}
}

// touchEvery is how often a sign-in's "last seen" is written: page views in between write nothing.
const touchEvery = 5 * time.Minute
