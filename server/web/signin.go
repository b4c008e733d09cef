package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/hub"
	"tether/server/store"
	"tether/templates"
)

const (
	loginCookie   = "tether_login"
	loginLifetime = 12 * time.Hour
)

// engineer is the signed-in user and their provider, handed explicitly to
// every handler that needs them.
type engineer struct {
	User     store.User
	Provider store.Provider
	// LoginHash names the sign-in (the hash of its cookie token), so that
	// its websockets close when it ends.
	LoginHash string
}

// signedIn wraps a handler that needs an engineer. Pages redirect to the
// sign-in page; websockets and scripts get 401.
func (s *Server) signedIn(h func(echo.Context, engineer) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(loginCookie)
		if err == nil && ck.Value != "" {
			ctx := c.Request().Context()
			hash := auth.HashToken(ck.Value)
			u, _, err := s.Store.LoginUser(ctx, hash)
			if err == nil {
				p, err := s.Store.ProviderByID(ctx, u.ProviderID)
				if err != nil {
					return err
				}
				if p.Disabled() {
					return &httpError{status: http.StatusForbidden, heading: "Account closed",
						message: p.Name + "'s account on this server is disabled. Ask the operator of this server."}
				}
				en := engineer{User: u, Provider: p, LoginHash: hash}
				if done, err := s.twoFactorGate(c, en); done || err != nil {
					return err
				}
				if !strings.HasPrefix(c.Path(), "/ws/") {
					if err := s.Store.TouchLogin(ctx, hash, c.RealIP(), touchEvery); err != nil {
						s.Log.Error("note sign-in seen", "err", err)
					}
				}
				return h(c, en)
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if c.Request().Method == http.MethodGet && !strings.HasPrefix(c.Path(), "/ws/") && !strings.HasPrefix(c.Path(), "/console/") {
			if err == nil {
				// The browser had a sign-in that ended (signed out elsewhere, expired, deactivated, password
				// reset): the sign-in page says so.
				return c.Redirect(http.StatusSeeOther, "/login?ended=1")
			}
			return c.Redirect(http.StatusSeeOther, "/login")
		}
		return &httpError{status: http.StatusUnauthorized, heading: "Signed out", message: "Your sign-in has expired. Sign in again."}
	}
}

func (s *Server) shellPage(c echo.Context, title string, en engineer) templates.Page {
	p := s.page(c, title, brandOf(en.Provider))
	loc := s.localizer(c, en.User.Language, "")
	p.Lang, p.T = loc.Lang(), loc.T
	p.Zone, p.Clock12h = en.User.Zone(), en.User.Clock12h
	p.User = &templates.User{Name: en.User.Name, Email: en.User.Email, Provider: en.Provider.Name, Role: string(en.User.Role),
		Operator: en.User.Operator, OtherAccounts: s.hasOtherAccounts(c, en), LanguageSet: en.User.Language != ""}
	return p
}

// loginView is the sign-in page's model for the address the request came to: on a provider's
// address it names the provider and posts back there, so that only that provider's account is tried.
func (s *Server) loginView(c echo.Context, st site, email string) templates.Login {
	v := templates.Login{Page: s.page(c, "", defaultBrand), Email: email, Prefix: st.Prefix}
	v.Title = v.Say("console_signin_submit")
	if st.Own() {
		v.Page.Brand = brandOf(st.Provider)
		v.Provider = st.Provider.Name
	} else if open, err := s.Store.SignupOpen(c.Request().Context()); err != nil {
		s.Log.Error("read sign-up switch", "err", err)
	} else {
		v.SignupOpen = open
	}
	return v
}

func (s *Server) loginPage(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	email := c.QueryParam("email")
	if len(email) > 254 {
		email = ""
	}
	v := s.loginView(c, st, email)
	if c.QueryParam("ended") == "1" {
		v.Notice = v.Say("console_signin_ended")
	}
	if c.QueryParam("deleted") == "1" {
		v.Notice = v.Say("profile_deleted_notice")
	}
	return s.render(c, http.StatusOK, templates.LoginView(v))
}

// signInLock is the backoff after repeated failed sign-ins to one account,
// from any address: five failures are free, then the account waits 30 s,
// doubling with every further failure up to 15 minutes. A day without
// failures starts the count over.
func signInLock(failures int) time.Duration {
	if failures < 5 {
		return 0
	}
	return min(30*time.Second<<min(failures-5, 10), 15*time.Minute)
}

// signInForget is how long failures are remembered.
const signInForget = 24 * time.Hour

// accountKey names an account for the per-account limit by a hash of the
// email as typed, so unknown emails are limited exactly like known ones and
// the limit tells nothing about which accounts exist.
func accountKey(email string) string {
	return "acct:" + auth.HashToken(store.NormalizeEmail(email))[:32]
}

func (s *Server) loginSubmit(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	view := s.loginView(c, st, email)
	ctx := c.Request().Context()
	ip := c.RealIP()
	if done, err := s.signInBudget(c, view); done || err != nil {
		return err
	}
	key := accountKey(email)
	if done, err := s.signInLocked(c, view, key); done || err != nil {
		return err
	}
	matched, err := s.checkSignIn(c, st, email, pw)
	if err != nil {
		return err
	}
	if len(matched) == 0 {
		return s.signInFailed(c, view, key)
	}
	// A right password clears the failures, unless a code is still to come: then only the code does, so
	// that someone who knows the password cannot try codes without end.
	if !slices.ContainsFunc(matched, func(u store.User) bool { return u.TwoFactor() }) {
		if err := s.Store.ClearSignInFailures(ctx, key); err != nil {
			return err
		}
	}
	// The password is right; the accounts it opens that may sign in now are the ones to offer.
	var open []engineer
	refusal := ""
	for _, u := range matched {
		p, err := s.Store.ProviderByID(ctx, u.ProviderID)
		if err != nil {
			return err
		}
		switch {
		case u.Disabled():
			s.Log.Warn("sign-in refused: user deactivated", "addr", ip, "user", u.ID)
			refusal = view.Say("console_signin_deactivated")
		case p.Disabled():
			s.Log.Warn("sign-in refused: provider disabled", "addr", ip, "user", u.ID, "provider", p.ID)
			refusal = view.Say("console_signin_provider_disabled", map[string]any{"Provider": p.Name})
		default:
			open = append(open, engineer{User: u, Provider: p})
		}
	}
	switch len(open) {
	case 0:
		view.Error = refusal
		return s.render(c, http.StatusForbidden, templates.LoginView(view))
	case 1:
		return s.passwordAccepted(c, st, open[0].User)
	}
	return s.render(c, http.StatusOK, templates.LoginChooserView(s.chooser(c, store.NormalizeEmail(email), open)))
}

// signInBudget takes one attempt from the address's sign-in budget (the password step and the code step
// share it); true when it answered with the refusal.
func (s *Server) signInBudget(c echo.Context, view templates.Login) (bool, error) {
	spent, err := s.spend(c, "sign-in", budget{"signin:" + clientKey(c.RealIP()), rateSignInAddr})
	if err != nil || spent == nil {
		return false, err
	}
	view.Error = view.Say("console_signin_too_many_network")
	return true, s.render(c, http.StatusTooManyRequests, templates.LoginView(view))
}

// signInLocked refuses a sign-in to an account locked after failures; true when it answered.
func (s *Server) signInLocked(c echo.Context, view templates.Login, key string) (bool, error) {
	lock, err := s.Store.SignInLock(c.Request().Context(), key)
	if err != nil || lock.LockedUntil.IsZero() {
		return false, err
	}
	s.Log.Warn("sign-in refused: account locked after failures", "addr", c.RealIP(), "account", key, "failures", lock.Failures)
	view.Error = view.Say("console_signin_locked", untilData(lock.LockedUntil.Sub(s.Now())))
	return true, s.render(c, http.StatusTooManyRequests, templates.LoginView(view))
}

// signInFailed counts a failed sign-in (a wrong password or a wrong code: the same answer for both) and
// answers it.
func (s *Server) signInFailed(c echo.Context, view templates.Login, key string) error {
	f, err := s.Store.RecordSignInFailure(c.Request().Context(), key, signInForget, signInLock)
	if err != nil {
		return err
	}
	s.Log.Warn("sign-in failed", "addr", c.RealIP(), "account", key, "failures", f.Failures)
	view.Error = view.Say("console_signin_wrong")
	if !f.LockedUntil.IsZero() {
		view.Error += " " + view.Say("console_signin_now_locked", untilData(f.LockedUntil.Sub(s.Now())))
	}
	return s.render(c, http.StatusUnauthorized, templates.LoginView(view))
}

// checkSignIn finds the accounts the email and password open: on a provider's address only that
// provider's, on the server's own address every provider's (a person who works for two providers has an
// account with each, each with its own password). None when no account does. An unknown email still
// costs one bcrypt comparison (auth.CheckPassword with an empty hash), so neither the answer nor its
// timing tells whether an account exists.
func (s *Server) checkSignIn(c echo.Context, st site, email, pw string) ([]store.User, error) {
	users, err := s.Store.UsersByEmail(c.Request().Context(), email)
	if err != nil {
		return nil, err
	}
	checked := false
	var matched []store.User
	for _, u := range users {
		if st.Own() && u.ProviderID != st.Provider.ID {
			continue
		}
		checked = true
		if auth.CheckPassword(u.PasswordHash, pw) == nil {
			matched = append(matched, u)
		}
	}
	if !checked {
		_ = auth.CheckPassword("", pw)
	}
	return matched, nil
}

// untilData is a wait for the messages that say it ("in 30 seconds", "in 4 minutes"): Seconds under a
// minute, else Minutes, rounded up.
func untilData(d time.Duration) map[string]any {
	if d < time.Minute {
		return map[string]any{"Seconds": max(int(d.Seconds()+0.999), 1)}
	}
	return map[string]any{"Minutes": int(d.Minutes() + 0.999)}
}

func (s *Server) startLogin(c echo.Context, u store.User) error {
	// A browser holds one sign-in: the one this replaces (switching provider, signing in again) ends,
	// with its open consoles and viewers.
	if ck, err := c.Cookie(loginCookie); err == nil && ck.Value != "" {
		hash := auth.HashToken(ck.Value)
		if err := s.Store.DeleteLogin(c.Request().Context(), hash); err != nil {
			return err
		}
		s.endSignIn(hash)
	}
	tok := auth.NewToken()
	if err := s.Store.CreateLogin(c.Request().Context(), auth.HashToken(tok), u.ID, s.Now().Add(loginLifetime)); err != nil {
		return err
	}
	if err := s.Store.NoteLogin(c.Request().Context(), auth.HashToken(tok), c.Request().UserAgent(), c.RealIP()); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: loginCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.Config.Secure(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(loginLifetime / time.Second),
	})
	s.Log.Info("signed in", "user", u.ID)
	return nil
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(loginCookie); err == nil && ck.Value != "" {
		hash := auth.HashToken(ck.Value)
		if err := s.Store.DeleteLogin(c.Request().Context(), hash); err != nil {
			return err
		}
		// Viewers and consoles opened with this sign-in close now, on
		// whichever instance they are.
		s.endSignIn(hash)
	}
	c.SetCookie(&http.Cookie{Name: loginCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
	return c.Redirect(http.StatusSeeOther, "/login")
}

// endSignIn closes every websocket opened with the sign-in tokenHash.
func (s *Server) endSignIn(tokenHash string) {
	s.Live.Hub().Send(tokenHash, hub.RoleSignIn, hub.Message{Close: "signed out"})
}
