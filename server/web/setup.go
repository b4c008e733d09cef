package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"tether/server/store"
	"tether/templates"
)

// configured reports whether the first provider exists.
func (s *Server) configured(c echo.Context) (bool, error) {
	return s.Store.HasProvider(c.Request().Context())
}

func (s *Server) setupTokenOK(tok string) bool {
	return s.SetupToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.SetupToken)) == 1
}

func (s *Server) setupPage(c echo.Context) error {
	done, err := s.configured(c)
	if err != nil {
		return err
	}
	if done {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if !s.setupTokenOK(c.QueryParam("token")) {
		return s.render(c, http.StatusForbidden, templates.SetupPending(s.setupLayout(c)))
	}
	return s.render(c, http.StatusOK, templates.SetupView(templates.Setup{Page: s.setupLayout(c), Token: c.QueryParam("token")}))
}

func (s *Server) setupSubmit(c echo.Context) error {
	done, err := s.configured(c)
	if err != nil {
		return err
	}
	if done {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	tok := c.FormValue("token")
	if !s.setupTokenOK(tok) {
		return s.render(c, http.StatusForbidden, templates.SetupPending(s.setupLayout(c)))
	}
	v := templates.Setup{
		Page:     s.setupLayout(c),
		Token:    tok,
		Provider: strings.TrimSpace(c.FormValue("provider")),
		Name:     strings.TrimSpace(c.FormValue("name")),
		Email:    strings.TrimSpace(c.FormValue("email")),
	}
	var hash string
	switch {
	case v.Provider == "" || utf8.RuneCountInString(v.Provider) > store.MaxProviderName:
		// The store's bound on a provider's display name, which customers see.
		v.Error = v.Say("console_setup_bad_company", map[string]any{"Max": store.MaxProviderName})
	case v.Name == "" || len(v.Name) > 100:
		v.Error = v.Say("console_setup_bad_name")
	case !validEmail(v.Email):
		v.Error = v.Say("console_setup_bad_email")
	default:
		hash, v.Error = choosePassword(c.FormValue("password"), c.FormValue("password2"))
	}
	if v.Error != "" {
		return s.render(c, http.StatusBadRequest, templates.SetupView(v))
	}
	_, u, err := s.Store.SetUp(c.Request().Context(), v.Provider, v.Name, v.Email, hash)
	if errors.Is(err, store.ErrAlreadySetUp) {
		// Another request (another tab, another instance) set up first.
		s.Log.Warn("setup refused: already set up", "addr", c.RealIP())
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if errors.Is(err, store.ErrEmailTaken) {
		v.Error = v.Say("console_setup_email_taken")
		return s.render(c, http.StatusBadRequest, templates.SetupView(v))
	}
	if err != nil {
		return err
	}
	s.Log.Info("setup complete", "provider", u.ProviderID)
	if err := s.startLogin(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}

// setupLayout is the setup pages' layout model, titled in the visitor's language.
func (s *Server) setupLayout(c echo.Context) templates.Page {
	p := s.page(c, "", defaultBrand)
	p.Title = p.Say("console_setup_title")
	return p
}

func validEmail(e string) bool {
	if len(e) > 254 {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Contains(e, "@")
}
