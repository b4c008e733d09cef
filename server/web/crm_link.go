package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/store"
)

// nextCookie remembers, across signing in, the console link a signed-out engineer opened.
const nextCookie = "tether_next"

// crmLink opens a session's console page from a CRM's permanent link (consoleLink). A signed-in
// engineer of the session's provider goes to /sessions/{id}, whose own rules say what they may see; a
// signed-out one signs in first and comes back here. A link whose mac does not match answers 404.
func (s *Server) crmLink(c echo.Context) error {
	ref := c.Param("ref")
	id := s.consoleLinkSession(ref)
	if id == "" {
		return notFound("This link to a support session is not valid. Copy it again from where you found it.")
	}
	// signedIn sends a signed-out engineer to the sign-in page; loginSubmit brings them back.
	c.SetCookie(&http.Cookie{Name: nextCookie, Value: "/go/" + ref, Path: "/", HttpOnly: true, Secure: s.Config.Secure(),
		SameSite: http.SameSiteLaxMode, MaxAge: int((10 * time.Minute).Seconds())})
	return s.signedIn(func(c echo.Context, en engineer) error {
		s.clearNext(c)
		sess, err := s.Store.SessionByID(c.Request().Context(), en.Provider.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("This session is not one " + en.User.Email + " at " + en.Provider.Name + " can open. Sign in with the account of the company it belongs to.")
		}
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/sessions/"+sess.ID)
	})(c)
}

func (s *Server) clearNext(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: nextCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// afterSignIn is where a fresh sign-in lands: back on the console link that sent the engineer to sign
// in, if it is one (nothing else is taken from the cookie, so it cannot redirect anywhere else), or
// the console.
func (s *Server) afterSignIn(c echo.Context) string {
	ck, err := c.Cookie(nextCookie)
	if err != nil || ck.Value == "" {
		return "/console"
	}
	s.clearNext(c)
	if ref, ok := strings.CutPrefix(ck.Value, "/go/"); ok && s.consoleLinkSession(ref) != "" {
		return "/go/" + ref
	}
	return "/console"
}
