package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/templates"
)

// profilePassword changes the password: the current one first, then the new one by choosePassword's rule.
// Every other sign-in of the user ends (their websockets close on every instance); this one stays.
func (s *Server) profilePassword(c echo.Context, en engineer) error {
	refuse := func(status int, msg func(templates.Page) string) error {
		v, err := s.profileView(c, en)
		if err != nil {
			return err
		}
		v.PasswordError = msg(v.Page)
		return s.render(c, status, templates.ProfileView(v))
	}
	if auth.CheckPassword(en.User.PasswordHash, c.FormValue("current")) != nil {
		s.Log.Warn("password change refused: wrong current password", "user", en.User.ID, "addr", c.RealIP())
		return refuse(http.StatusUnauthorized, func(p templates.Page) string { return p.Say("profile_err_current_password") })
	}
	hash, msg := choosePassword(c.FormValue("password"), c.FormValue("password2"))
	if msg != "" {
		return refuse(http.StatusBadRequest, func(templates.Page) string { return msg })
	}
	ended, err := s.Store.ChangePassword(c.Request().Context(), en.User.ID, hash, en.LoginHash)
	if err != nil {
		return err
	}
	for _, h := range ended {
		s.endSignIn(h)
	}
	s.Log.Info("password changed", "user", en.User.ID, "sign_ins_ended", len(ended))
	return c.Redirect(http.StatusSeeOther, "/profile?saved=password")
}

// checkCurrent reports whether the form's "current" field is the user's password.
func (s *Server) checkCurrent(c echo.Context, en engineer) bool {
	if auth.CheckPassword(en.User.PasswordHash, c.FormValue("current")) == nil {
		return true
	}
	s.Log.Warn("refused: wrong current password", "path", c.Path(), "user", en.User.ID, "addr", c.RealIP())
	return false
}
