package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/mail"
	"tether/server/store"
	"tether/templates"
)

// Budgets of "Forgot password?": per address, and per email typed, so that nobody floods a mailbox.
var (
	rateForgotAddr  = store.Rate{Every: time.Minute, Burst: 5}
	rateForgotEmail = store.Rate{Every: 15 * time.Minute, Burst: 3}
)

func (s *Server) forgotView(c echo.Context, st site) templates.ForgotPage {
	v := templates.ForgotPage{Page: s.page(c, "", defaultBrand), Action: st.Prefix + "/forgot", Login: st.Prefix + "/login",
		CanMail: s.Mail != nil}
	if st.Own() {
		v.Page.Brand = brandOf(st.Provider)
		v.Provider = st.Provider.Name
	}
	v.Title = v.Say("profile_forgot_title")
	return v
}

func (s *Server) forgotPage(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.ForgotView(s.forgotView(c, st)))
}

// forgotSubmit mails a reset link (account_tokens kind reset, /reset/:token on the provider's address)
// to every account with the email (on a provider's address only that provider's). The answer is the same
// whether or not an account exists.
func (s *Server) forgotSubmit(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	v := s.forgotView(c, st)
	if s.Mail == nil {
		return s.render(c, http.StatusOK, templates.ForgotView(v))
	}
	email := strings.TrimSpace(c.FormValue("email"))
	v.Email = email
	if email == "" || len(email) > 254 || !strings.Contains(email, "@") {
		v.Error = v.Say("profile_forgot_bad_email")
		return s.render(c, http.StatusBadRequest, templates.ForgotView(v))
	}
	spent, err := s.spend(c, "password recovery",
		budget{"forgot:addr:" + clientKey(c.RealIP()), rateForgotAddr},
		budget{"forgot:" + accountKey(email), rateForgotEmail})
	if err != nil {
		return err
	}
	if spent != nil {
		v.Error = v.Say("profile_forgot_limited")
		return s.render(c, http.StatusTooManyRequests, templates.ForgotView(v))
	}
	ctx := c.Request().Context()
	users, err := s.Store.UsersByEmail(ctx, email)
	if err != nil {
		return err
	}
	for _, u := range users {
		if (st.Own() && u.ProviderID != st.Provider.ID) || u.Disabled() {
			continue
		}
		p, err := s.Store.ProviderByID(ctx, u.ProviderID)
		if err != nil {
			return err
		}
		if p.Disabled() {
			continue
		}
		msg, err := s.resetMail(ctx, c, u, p)
		if errors.Is(err, store.ErrNotFound) {
			continue // deactivated a moment ago
		}
		if err != nil {
			return err
		}
		// Sent in the background, so that the answer takes as long whether or not an account exists;
		// a failure is said in the log only.
		go func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
			defer cancel()
			if err := s.Mail.Send(ctx, msg); err != nil {
				s.Log.Error("password recovery mail", "provider", p.ID, "user", u.ID, "err", err)
			}
		}()
	}
	s.Log.Info("password recovery asked", "addr", c.RealIP(), "account", accountKey(email))
	v.Sent = true
	return s.render(c, http.StatusOK, templates.ForgotView(v))
}

// resetMail makes a reset link for u and the mail that carries it, in u's language.
func (s *Server) resetMail(ctx context.Context, c echo.Context, u store.User, p store.Provider) (mail.Message, error) {
	tok := auth.NewToken()
	t, err := s.Store.CreateSelfReset(ctx, p.ID, u.ID, auth.HashToken(tok), s.Now().Add(resetLifetime))
	if err != nil {
		return mail.Message{}, err
	}
	loc := s.localizer(c, u.Language, "")
	data := map[string]any{"Name": u.Name, "Provider": p.Name, "Link": s.providerURL(p) + "/reset/" + tok,
		"Until": mailUntil(loc, u.Zone(), t.ExpiresAt)}
	return mail.Message{To: u.Email, Subject: loc.T("profile_reset_mail_subject", data), Text: loc.T("profile_reset_mail_text", data)}, nil
}
