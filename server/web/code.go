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
	brand, help, lang := defaultBrand, "", ""
	if st.Own() {
		brand, help, lang = brandOf(st.Provider), st.Prefix+"/help", st.Provider.DefaultLanguage
	}
	return templates.CodeEntry{Page: s.customerPage(c, "customer_title_code", brand, lang), Action: st.Prefix + "/code", HelpURL: help}
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
	sess, no, err := s.redeemCode(c, st, v.Code)
	if err != nil {
		return err
	}
	if no != nil {
		v.Error = v.Say(no.message)
		return s.render(c, no.status, templates.CodeView(v))
	}
	return c.Redirect(http.StatusSeeOther, st.Prefix+"/i/"+s.codeToken(sess.ID))
}

// codeRefusal is why a typed code leads nowhere, in the customer's words: message is a message id.
type codeRefusal struct {
	status  int
	message string
}

var errCodeInvalid = &codeRefusal{http.StatusNotFound, "customer_code_invalid"}

// redeemCode finds the waiting session a typed code names on this address
// (the code page and the website widget), after spending one attempt of the
// client's and the server's code budgets. A refusal says why in words for
// the customer; err is a failure of the server.
func (s *Server) redeemCode(c echo.Context, st site, typed string) (store.Session, *codeRefusal, error) {
	ip := c.RealIP()
	spent, err := s.spend(c, "code attempt", codeBudgets(ip)...)
	if err != nil {
		return store.Session{}, nil, err
	}
	if spent != nil {
		r := &codeRefusal{http.StatusTooManyRequests, "customer_code_too_many"}
		if spent.key == codeAll {
			r.message = "customer_code_too_many_server"
		}
		return store.Session{}, r, nil
	}
	if err := s.liveReady(); err != nil {
		return store.Session{}, nil, err
	}
	code, ok := auth.NormalizeCode(typed)
	if !ok {
		s.Log.Info("code attempt failed", "addr", ip)
		return store.Session{}, errCodeInvalid, nil
	}
	sess, err := s.Store.SessionByCode(c.Request().Context(), code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (sess.State != store.StateWaiting || !s.Now().Before(sess.ExpiresAt) || !st.owns(sess.ProviderID))) {
		s.Log.Info("code attempt failed", "addr", ip)
		return store.Session{}, errCodeInvalid, nil
	}
	if err != nil {
		return store.Session{}, nil, err
	}
	return sess, nil, nil
}
