package web

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/mail"
	"tether/server/store"
	"tether/templates"
)

// signupLifetime is how long a sign-up waits for its email to be confirmed.
const signupLifetime = 24 * time.Hour

// Sign-ups per address (five, then one every 12 minutes) and for the whole server (30, then one a
// minute): enough for a busy day of real companies, too few to fill the database or to mail-bomb.
var (
	rateSignupAddr = store.Rate{Every: 12 * time.Minute, Burst: 5}
	rateSignupAll  = store.Rate{Every: time.Minute, Burst: 30}
)

// errSignupClosed answers every sign-up page while the operator keeps sign-up closed, and on a
// provider's address (sign-up belongs to the server's own).
func (s *Server) errSignupClosed(c echo.Context) error {
	return s.saidError(c, "", http.StatusNotFound, "admin_err_signup_closed_h", "admin_err_signup_closed", nil)
}

// signupAllowed refuses while sign-up is closed or on a provider's address.
func (s *Server) signupAllowed(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	open, err := s.Store.SignupOpen(c.Request().Context())
	if err != nil {
		return err
	}
	if !open || st.Own() {
		return s.errSignupClosed(c)
	}
	return nil
}

func (s *Server) signupForm(c echo.Context) templates.SignupForm {
	return templates.SignupForm{Page: s.page(c, "", defaultBrand).WithTitle("admin_signup_page_title"),
		MaxCompany: store.MaxProviderName, MinPassword: auth.MinPasswordLength}
}

func (s *Server) signupPage(c echo.Context) error {
	if err := s.signupAllowed(c); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.SignupView(s.signupForm(c)))
}

// signupSubmit creates a provider. With a mail server the address is confirmed first: the sign-up
// waits (hashed token, 24 h) until its link is opened. Without one it is created at once, the owner
// signed in.
func (s *Server) signupSubmit(c echo.Context) error {
	if err := s.signupAllowed(c); err != nil {
		return err
	}
	v := s.signupForm(c)
	v.Company = strings.TrimSpace(c.FormValue("provider"))
	v.Name = strings.TrimSpace(c.FormValue("name"))
	v.Email = strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	loc := s.localizer(c, "", "")
	switch {
	case v.Company == "" || utf8.RuneCountInString(v.Company) > store.MaxProviderName:
		v.Error = loc.T("admin_signup_need_company", map[string]any{"Max": store.MaxProviderName})
	case v.Name == "" || utf8.RuneCountInString(v.Name) > 100:
		v.Error = loc.T("admin_join_name_needed")
	case !validEmail(v.Email):
		v.Error = loc.T("admin_team_bad_email")
	case pw != c.FormValue("password2"):
		v.Error = loc.T("admin_passwords_differ")
	}
	if v.Error != "" {
		return s.render(c, http.StatusBadRequest, templates.SignupView(v))
	}
	// A mistake in the form costs nothing; every attempt that goes on to hash a password, create a
	// provider or send a mail spends from the budgets.
	if spent, err := s.spend(c, "sign-up", budget{"signup:" + clientKey(c.RealIP()), rateSignupAddr}, budget{"signup:all", rateSignupAll}); err != nil {
		return err
	} else if spent != nil {
		v.Error = loc.T("admin_signup_too_many")
		return s.render(c, http.StatusTooManyRequests, templates.SignupView(v))
	}
	hash, msg := choosePasswordIn(loc, pw, c.FormValue("password2"))
	if msg != "" {
		v.Error = msg
		return s.render(c, http.StatusBadRequest, templates.SignupView(v))
	}
	ctx := c.Request().Context()
	if s.Mail == nil {
		p, u, err := s.Store.CreateProviderWithOwner(ctx, v.Company, v.Name, v.Email, hash)
		if errors.Is(err, store.ErrInvalidArgument) {
			v.Error = loc.T("admin_signup_company_taken")
			return s.render(c, http.StatusBadRequest, templates.SignupView(v))
		}
		if err != nil {
			return err
		}
		s.Log.Info("provider signed up", "provider", p.ID, "owner", u.ID, "confirmed", false)
		if err := s.startLogin(c, u); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/console")
	}
	tok := auth.NewToken()
	err := s.Store.CreateSignup(ctx, store.Signup{TokenHash: auth.HashToken(tok), ProviderName: v.Company, OwnerName: v.Name,
		Email: v.Email, PasswordHash: hash, ExpiresAt: s.Now().Add(signupLifetime)})
	if err != nil {
		return err
	}
	link := s.Config.BaseURL + "/signup/confirm/" + tok
	words := map[string]any{"Name": v.Name, "Company": v.Company, "Possessive": v.Company + "'s", "Server": s.Config.BaseURL, "Hours": 24, "Link": link}
	err = s.Mail.Send(ctx, mail.Message{To: v.Email, Subject: loc.T("admin_mail_signup_subject", words), Text: loc.T("admin_mail_signup_text", words)})
	if err != nil {
		s.Log.Error("mail sign-up confirmation", "err", err)
		v.Error = loc.T("admin_signup_mail_failed")
		return s.render(c, http.StatusServiceUnavailable, templates.SignupView(v))
	}
	s.Log.Info("sign-up waiting for confirmation", "addr", c.RealIP())
	return s.render(c, http.StatusOK, templates.SignupSentView(templates.SignupSent{Page: s.page(c, "", defaultBrand).WithTitle("admin_sent_page_title"), Email: v.Email}))
}

// errSignupLink answers a confirmation link that was used, expired or never existed.
func (s *Server) errSignupLink(c echo.Context) error {
	return s.saidError(c, "", http.StatusNotFound, "admin_err_link_invalid_h", "admin_err_signup_link", map[string]any{"Hours": 24})
}

// signupConfirmPage shows the pending sign-up with a button: opening the link (a mail scanner may)
// creates nothing by itself.
func (s *Server) signupConfirmPage(c echo.Context) error {
	tok := c.Param("token")
	su, err := s.Store.SignupByToken(c.Request().Context(), auth.HashToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		return s.errSignupLink(c)
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.SignupConfirmView(templates.SignupConfirm{
		Page: s.page(c, "", defaultBrand).WithTitle("admin_confirm_page_title"), Token: tok, Company: su.ProviderName, Email: su.Email}))
}

func (s *Server) signupConfirm(c echo.Context) error {
	p, u, err := s.Store.ConfirmSignup(c.Request().Context(), auth.HashToken(c.Param("token")))
	if errors.Is(err, store.ErrNotFound) {
		return s.errSignupLink(c)
	}
	if err != nil {
		return err
	}
	s.Log.Info("provider signed up", "provider", p.ID, "owner", u.ID, "confirmed", true)
	if err := s.startLogin(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}

// errWelcomeLink answers an owner's password link that was used, expired or never existed.
func (s *Server) errWelcomeLink(c echo.Context) error {
	return s.saidError(c, "", http.StatusNotFound, "admin_err_link_invalid_h", "admin_err_welcome_link", nil)
}

func (s *Server) welcomeView(c echo.Context) (templates.Welcome, error) {
	tok := c.Param("token")
	ctx := c.Request().Context()
	u, err := s.Store.PasswordLinkUser(ctx, auth.HashToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		return templates.Welcome{}, s.errWelcomeLink(c)
	}
	if err != nil {
		return templates.Welcome{}, err
	}
	p, err := s.Store.ProviderByID(ctx, u.ProviderID)
	if err != nil {
		return templates.Welcome{}, err
	}
	return templates.Welcome{Page: s.page(c, "", brandOf(p)).WithTitle("admin_welcome_page_title"), Token: tok, Name: u.Name,
		Provider: p.Name, Email: u.Email, MinPassword: auth.MinPasswordLength}, nil
}

// welcomePage lets the owner of a provider the operator created choose their password.
func (s *Server) welcomePage(c echo.Context) error {
	v, err := s.welcomeView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.WelcomeView(v))
}

func (s *Server) welcomeSubmit(c echo.Context) error {
	v, err := s.welcomeView(c)
	if err != nil {
		return err
	}
	hash, msg := choosePasswordIn(s.localizer(c, "", ""), c.FormValue("password"), c.FormValue("password2"))
	if msg != "" {
		v.Error = msg
		return s.render(c, http.StatusBadRequest, templates.WelcomeView(v))
	}
	u, _, err := s.Store.ResetPassword(c.Request().Context(), auth.HashToken(c.Param("token")), hash)
	if errors.Is(err, store.ErrNotFound) {
		return s.errWelcomeLink(c)
	}
	if err != nil {
		return err
	}
	s.Log.Info("owner chose a password", "user", u.ID)
	if err := s.startLogin(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}
