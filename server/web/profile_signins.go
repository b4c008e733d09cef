package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/store"
)

// signInID names a sign-in on the page: the first 16 hex digits of its token's hash. The hash is not the
// token (the cookie), and the id opens nothing; it only picks one of the user's own sign-ins.
func signInID(tokenHash string) string {
	if len(tokenHash) < 16 {
		return tokenHash
	}
	return tokenHash[:16]
}

// profileSignInEnd signs one of the user's other sign-ins out; another user's id answers 404.
func (s *Server) profileSignInEnd(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	logins, err := s.Store.UserLogins(ctx, en.User.ID)
	if err != nil {
		return err
	}
	for _, l := range logins {
		if len(id) == 16 && strings.HasPrefix(l.TokenHash, id) && l.TokenHash != en.LoginHash {
			if err := s.Store.EndUserLogin(ctx, en.User.ID, l.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			s.endSignIn(l.TokenHash)
			s.Log.Info("sign-in ended by its user", "user", en.User.ID)
			return c.Redirect(http.StatusSeeOther, "/profile?saved=signin#profile-signins")
		}
	}
	return store.ErrNotFound
}

// profileSignInsOthers signs the user out everywhere but here.
func (s *Server) profileSignInsOthers(c echo.Context, en engineer) error {
	ended, err := s.Store.EndOtherLogins(c.Request().Context(), en.User.ID, en.LoginHash)
	if err != nil {
		return err
	}
	for _, h := range ended {
		s.endSignIn(h)
	}
	s.Log.Info("signed out everywhere else", "user", en.User.ID, "sign_ins_ended", len(ended))
	return c.Redirect(http.StatusSeeOther, "/profile?saved=signins#profile-signins")
}

// deviceOf summarises a User-Agent as "Chrome on Windows", from the tokens browsers send; unknown
// when nothing is recognised.
func deviceOf(ua, unknown string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"},
		{"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	if browser == "Chrome" && strings.Contains(ua, "HeadlessChrome") {
		browser = "Headless Chrome"
	}
	os := ""
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"},
		{"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			os = o.name
			break
		}
	}
	switch {
	case browser != "" && os != "":
		return browser + " · " + os
	case browser != "":
		return browser
	case os != "":
		return os
	}
	return unknown
}
