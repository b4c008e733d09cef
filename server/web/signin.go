package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
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
}

// signedIn wraps a handler that needs an engineer. Pages redirect to the
// sign-in page; websockets and scripts get 401.
func (s *Server) signedIn(h func(echo.Context, engineer) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(loginCookie)
		if err == nil && ck.Value != "" {
			ctx := c.Request().Context()
			u, err := s.Store.LoginUser(ctx, auth.HashToken(ck.Value))
			if err == nil {
				p, err := s.Store.ProviderByID(ctx, u.ProviderID)
				if err != nil {
					return err
				}
				return h(c, engineer{User: u, Provider: p})
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if c.Request().Method == http.MethodGet && !strings.HasPrefix(c.Path(), "/ws/") && !strings.HasPrefix(c.Path(), "/console/") {
			return c.Redirect(http.StatusSeeOther, "/login")
		}
		return &httpError{status: http.StatusUnauthorized, heading: "Signed out", message: "Your sign-in has expired. Sign in again."}
	}
}

func (s *Server) shellPage(c echo.Context, title string, en engineer) templates.Page {
	p := s.page(c, title, brandOf(en.Provider))
	p.User = &templates.User{Name: en.User.Name, Email: en.User.Email, Provider: en.Provider.Name, Role: string(en.User.Role)}
	return p
}

func (s *Server) loginPage(c echo.Context) error {
	return s.render(c, http.StatusOK, templates.LoginView(templates.Login{Page: s.page(c, "Sign in", defaultBrand)}))
}

func (s *Server) loginSubmit(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	view := templates.Login{Page: s.page(c, "Sign in", defaultBrand), Email: email}
	if !s.loginLimiter.Allow(c.RealIP()) {
		view.Error = "Too many attempts. Wait a minute and try again."
		return s.render(c, http.StatusTooManyRequests, templates.LoginView(view))
	}
	ctx := c.Request().Context()
	u, err := s.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// An unknown email still costs one bcrypt comparison (auth.CheckPassword
	// with an empty hash), so neither the answer nor its timing tells
	// whether the account exists.
	if err := auth.CheckPassword(u.PasswordHash, pw); err != nil {
		view.Error = "Wrong email or password."
		return s.render(c, http.StatusUnauthorized, templates.LoginView(view))
	}
	if err := s.startLogin(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}

func (s *Server) startLogin(c echo.Context, u store.User) error {
	tok := auth.NewToken()
	if err := s.Store.CreateLogin(c.Request().Context(), auth.HashToken(tok), u.ID, s.Now().Add(loginLifetime)); err != nil {
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
		if err := s.Store.DeleteLogin(c.Request().Context(), auth.HashToken(ck.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: loginCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
	return c.Redirect(http.StatusSeeOther, "/login")
}
