package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/store"
	"tether/templates"
)

func (s *Server) codePage(c echo.Context) error {
	done, err := s.configured(c)
	if err != nil {
		return err
	}
	if !done {
		return s.render(c, http.StatusOK, templates.SetupPending(s.page(c, "Setup", defaultBrand)))
	}
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.CodeView(s.codeEntry(c, st)))
}

// codeEntry is the code page on the address it was asked for: the provider's brand and links on a
// provider's address, Tether's on the server's own.
func (s *Server) codeEntry(c echo.Context, st site) templates.CodeEntry {
	brand, help := defaultBrand, ""
	if st.Own() {
		brand, help = brandOf(st.Provider), st.Prefix+"/help"
	}
	return templates.CodeEntry{Page: s.page(c, "Enter your code", brand), Action: st.Prefix + "/code", HelpURL: help}
}

// codeSubmit turns a typed code into the same invitation page a link opens,
// under the session's code token (see codeToken), so the agent downloaded
// from there carries 160 bits, not the 6-character code, and the session
// record tells the customer came by code.
func (s *Server) codeSubmit(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	v := s.codeEntry(c, st)
	v.Code = c.FormValue("code")
	ctx := c.Request().Context()
	ip := c.RealIP()
	spent, err := s.spend(c, "code attempt", codeBudgets(ip)...)
	if err != nil {
		return err
	}
	if spent != nil {
		v.Error = "Too many attempts from your network. Wait a minute and try again."
		if spent.key == codeAll {
			v.Error = "Too many codes are being tried on this server right now. Wait a minute and try again, or use the invitation link from your support engineer."
		}
		return s.render(c, http.StatusTooManyRequests, templates.CodeView(v))
	}
	if err := s.liveReady(); err != nil {
		return err
	}
	code, ok := auth.NormalizeCode(v.Code)
	invalid := func() error {
		s.Log.Info("code attempt failed", "addr", ip)
		v.Error = "That code is not valid or has expired. Check it with your support engineer."
		return s.render(c, http.StatusNotFound, templates.CodeView(v))
	}
	if !ok {
		return invalid()
	}
	sess, err := s.Store.SessionByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (sess.State != store.StateWaiting || !s.Now().Before(sess.ExpiresAt) || !st.owns(sess.ProviderID))) {
		return invalid()
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, st.Prefix+"/i/"+s.codeToken(sess.ID))
}
