package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"tether/server/store"
	"tether/templates"
)

// choiceLifetime is how long the provider chooser's buttons sign in without the password again.
const choiceLifetime = 5 * time.Minute

// chooser is the "Sign in to Acme / Globex" page for a password that opened accounts at several
// providers.
func (s *Server) chooser(c echo.Context, email string, accounts []engineer) templates.LoginChooser {
	v := templates.LoginChooser{Page: s.page(c, "Choose a provider", defaultBrand), Email: email}
	exp := s.Now().Add(choiceLifetime)
	slices.SortStableFunc(accounts, func(a, b engineer) int {
		return strings.Compare(strings.ToLower(a.Provider.Name), strings.ToLower(b.Provider.Name))
	})
	for _, a := range accounts {
		v.Choices = append(v.Choices, templates.LoginChoice{
			Provider: a.Provider.Name, Role: string(a.User.Role), Token: s.signAccount(c, purposeChoice, a.User, exp),
		})
	}
	return v
}

// Purposes of a signedAccount: a value signed for one is refused by the other.
const (
	purposeChoice = "tether sign-in choice v1"
	purposeStep   = "tether sign-in second step v1"
)

// signAccount is a proof the server signs for this browser that it typed u's password a moment ago: the
// provider and user ids and an expiry, with an HMAC over them, the purpose (a choice of account on the
// chooser, the second step of a two-factor sign-in) and the browser's CSRF token. Nothing is stored: it is
// worth nothing in another browser (another CSRF cookie), for another purpose or after exp.
func (s *Server) signAccount(c echo.Context, purpose string, u store.User, exp time.Time) string {
	body := u.ProviderID + "." + u.ID + "." + strconv.FormatInt(exp.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(body)) + "." + s.accountMAC(c, purpose, body)
}

func (s *Server) accountMAC(c echo.Context, purpose, body string) string {
	csrf, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(purpose + "\x00" + body + "\x00" + csrf))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// openAccount checks a signAccount value for purpose and returns its provider and user ids; ok false when
// it is forged, for another purpose, from another browser or expired.
func (s *Server) openAccount(c echo.Context, purpose, tok string) (providerID, userID string, ok bool) {
	enc, mac, found := strings.Cut(tok, ".")
	if !found || len(tok) > 256 {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", "", false
	}
	body := string(raw)
	if !hmac.Equal([]byte(mac), []byte(s.accountMAC(c, purpose, body))) {
		return "", "", false
	}
	parts := strings.Split(body, ".")
	if len(parts) != 3 {
		return "", "", false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !s.Now().Before(time.Unix(exp, 0)) {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// loginChoose signs in to the account picked on the chooser.
func (s *Server) loginChoose(c echo.Context) error {
	providerID, userID, ok := s.openAccount(c, purposeChoice, c.FormValue("choice"))
	if !ok {
		s.Log.Warn("sign-in choice refused: invalid or expired", "addr", c.RealIP())
		v := templates.Login{Page: s.page(c, "", defaultBrand)}
		v.Title, v.Error = v.Say("console_signin_submit"), v.Say("console_signin_choice_expired")
		return s.render(c, http.StatusForbidden, templates.LoginView(v))
	}
	ctx := c.Request().Context()
	// The ids came from this server's signature: an account whose password this browser just typed.
	u, err := s.Store.UserByID(ctx, providerID, userID)
	if err != nil {
		return err
	}
	p, err := s.Store.ProviderByID(ctx, providerID)
	if err != nil {
		return err
	}
	if u.Disabled() || p.Disabled() {
		v := templates.Login{Page: s.page(c, "", defaultBrand)}
		v.Title, v.Error = v.Say("console_signin_submit"), v.Say("console_signin_choice_closed")
		return s.render(c, http.StatusForbidden, templates.LoginView(v))
	}
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	return s.passwordAccepted(c, st, u)
}

// hasOtherAccounts reports whether the engineer's email has an account at another provider.
func (s *Server) hasOtherAccounts(c echo.Context, en engineer) bool {
	users, err := s.Store.UsersByEmail(c.Request().Context(), en.User.Email)
	if err != nil {
		s.Log.Error("look up other accounts", "user", en.User.ID, "err", err)
		return false
	}
	for _, u := range users {
		if u.ProviderID != en.Provider.ID {
			return true
		}
	}
	return false
}

// switchPage lists the other providers where the signed-in email has an account; each leads to that
// provider's sign-in page, which asks for that account's password.
func (s *Server) switchPage(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	users, err := s.Store.UsersByEmail(ctx, en.User.Email)
	if err != nil {
		return err
	}
	v := templates.SwitchPage{Page: s.titled(c, en, "console_switch_provider")}
	for _, u := range users {
		if u.ProviderID == en.Provider.ID {
			continue
		}
		p, err := s.Store.ProviderByID(ctx, u.ProviderID)
		if err != nil {
			return err
		}
		v.Accounts = append(v.Accounts, templates.SwitchAccount{
			Provider: p.Name, Disabled: p.Disabled() || u.Disabled(),
			URL: s.providerURL(p) + "/login?email=" + url.QueryEscape(u.Email),
		})
	}
	return s.render(c, http.StatusOK, templates.SwitchView(v))
}
