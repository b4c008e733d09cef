package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/mail"
	"tether/server/store"
	"tether/templates"
)

// ownerLinkLifetime is how long the link a new provider's owner chooses their password with works.
const ownerLinkLifetime = 72 * time.Hour

// operatorOnly lets only the server's operator through; to anyone else the operator's pages do not
// exist.
func operatorOnly(h func(echo.Context, engineer) error) func(echo.Context, engineer) error {
	return func(c echo.Context, en engineer) error {
		if !en.User.Operator {
			return notFound("There is nothing here.")
		}
		return h(c, en)
	}
}

func (s *Server) operatorRow(en engineer, p store.ProviderSummary) templates.OperatorRow {
	return templates.OperatorRow{
		ID: p.ID, Name: p.Name, Address: s.providerURL(p.Provider), OwnerName: p.OwnerName, OwnerEmail: p.OwnerEmail,
		Engineers: p.Engineers, MaxEngineers: p.MaxEngineers, Sessions: p.LiveSessions, MaxSessions: p.MaxSessions,
		Desks: p.Desks, MaxDesks: p.MaxDesks, Created: p.CreatedAt,
		Disabled: p.Disabled(), Own: p.ID == en.Provider.ID,
	}
}

// operatorHome fills the operator's page.
func (s *Server) operatorHome(c echo.Context, en engineer) (templates.OperatorHome, error) {
	ctx := c.Request().Context()
	ps, err := s.Store.ListProviders(ctx)
	if err != nil {
		return templates.OperatorHome{}, err
	}
	open, err := s.Store.SignupOpen(ctx)
	if err != nil {
		return templates.OperatorHome{}, err
	}
	v := templates.OperatorHome{Page: s.shellPage(c, s.speak(c, en).T("admin_op_title"), en), SignupOpen: open, Mail: s.Mail != nil}
	for _, p := range ps {
		v.Providers = append(v.Providers, s.operatorRow(en, p))
	}
	return v, nil
}

func (s *Server) operatorPage(c echo.Context, en engineer) error {
	v, err := s.operatorHome(c, en)
	if err != nil {
		return err
	}
	switch c.QueryParam("done") {
	case "signup-open":
		v.Notice = v.Say("admin_op_notice_open")
	case "signup-closed":
		v.Notice = v.Say("admin_op_notice_closed")
	}
	return s.render(c, http.StatusOK, templates.OperatorHomeView(v))
}

func (s *Server) operatorSignup(c echo.Context, en engineer) error {
	open := c.FormValue("open") == "1"
	if err := s.Store.SetSignupOpen(c.Request().Context(), open); err != nil {
		return err
	}
	s.Log.Info("self-service sign-up switched", "open", open, "operator", en.User.ID)
	done := "signup-closed"
	if open {
		done = "signup-open"
	}
	return c.Redirect(http.StatusSeeOther, "/operator?done="+done)
}

// operatorCreate creates a provider and its owner. The owner gets no password from the operator: a
// one-time link lets them choose their own, so the operator never knows it and nothing secret travels
// in a chat or a mail that stays readable. The link is mailed, or shown once for the operator to hand
// over when no SMTP server is configured.
func (s *Server) operatorCreate(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	name := strings.TrimSpace(c.FormValue("provider"))
	owner := strings.TrimSpace(c.FormValue("name"))
	email := strings.TrimSpace(c.FormValue("email"))
	fail := func(msg string) error {
		v, err := s.operatorHome(c, en)
		if err != nil {
			return err
		}
		v.NewName, v.NewOwner, v.NewEmail, v.Error = name, owner, email, msg
		return s.render(c, http.StatusBadRequest, templates.OperatorHomeView(v))
	}
	loc := s.speak(c, en)
	switch {
	case name == "" || utf8.RuneCountInString(name) > store.MaxProviderName:
		return fail(loc.T("admin_op_need_company", map[string]any{"Max": store.MaxProviderName}))
	case owner == "" || utf8.RuneCountInString(owner) > 100:
		return fail(loc.T("admin_op_need_owner"))
	case !validEmail(email):
		return fail(loc.T("admin_op_need_email"))
	}
	p, u, err := s.Store.CreateProviderWithOwner(ctx, name, owner, email, "")
	if errors.Is(err, store.ErrInvalidArgument) {
		return fail(loc.T("admin_op_company_unusable", map[string]any{"Reason": err.Error()}))
	}
	if err != nil {
		return err
	}
	tok := auth.NewToken()
	if err := s.Store.CreatePasswordLink(ctx, auth.HashToken(tok), u.ID, s.Now().Add(ownerLinkLifetime)); err != nil {
		return err
	}
	link := s.Config.BaseURL + "/welcome/" + tok
	s.Log.Info("provider created by the operator", "provider", p.ID, "owner", u.ID, "operator", en.User.ID)
	v, err := s.operatorHome(c, en)
	if err != nil {
		return err
	}
	created := &templates.OperatorCreated{Name: p.Name, OwnerEmail: u.Email, Hours: int(ownerLinkLifetime / time.Hour)}
	if s.Mail != nil {
		words := map[string]any{"Name": u.Name, "Provider": p.Name, "Server": s.Config.BaseURL, "Hours": created.Hours, "Link": link}
		err := s.Mail.Send(ctx, mail.Message{To: u.Email, Subject: loc.T("admin_mail_owner_subject", words), Text: loc.T("admin_mail_owner_text", words)})
		if err != nil {
			// The provider exists; the link is shown instead so that the owner still gets in.
			s.Log.Error("mail owner link", "provider", p.ID, "err", err)
		} else {
			created.Mailed = true
		}
	}
	if !created.Mailed {
		created.Link = link
	}
	v.Created = created
	return s.render(c, http.StatusOK, templates.OperatorHomeView(v))
}

// operatorSummary is one provider's row; another id than a provider's answers 404.
func (s *Server) operatorSummary(c echo.Context, id string) (store.ProviderSummary, error) {
	ps, err := s.Store.ListProviders(c.Request().Context())
	if err != nil {
		return store.ProviderSummary{}, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return store.ProviderSummary{}, fmt.Errorf("provider %q: %w", id, store.ErrNotFound)
}

func (s *Server) operatorProviderView(c echo.Context, en engineer) (templates.OperatorProvider, error) {
	p, err := s.operatorSummary(c, c.Param("id"))
	if err != nil {
		return templates.OperatorProvider{}, err
	}
	return templates.OperatorProvider{
		Page: s.shellPage(c, p.Name, en), Row: s.operatorRow(en, p),
		MaxEngineers: strconv.Itoa(p.MaxEngineers), MaxSessions: strconv.Itoa(p.MaxSessions), MaxDesks: strconv.Itoa(p.MaxDesks),
	}, nil
}

func (s *Server) operatorProvider(c echo.Context, en engineer) error {
	v, err := s.operatorProviderView(c, en)
	if err != nil {
		return err
	}
	switch c.QueryParam("done") {
	case "quotas":
		v.Notice = v.Say("admin_op_notice_quotas")
	case "disabled":
		v.Notice = v.Say("admin_op_notice_disabled", map[string]any{"Name": v.Row.Name})
	case "enabled":
		v.Notice = v.Say("admin_op_notice_enabled", map[string]any{"Name": v.Row.Name})
	}
	return s.render(c, http.StatusOK, templates.OperatorProviderView(v))
}

func (s *Server) operatorQuotas(c echo.Context, en engineer) error {
	v, err := s.operatorProviderView(c, en)
	if err != nil {
		return err
	}
	v.MaxEngineers = strings.TrimSpace(c.FormValue("max_engineers"))
	v.MaxSessions = strings.TrimSpace(c.FormValue("max_sessions"))
	v.MaxDesks = strings.TrimSpace(c.FormValue("max_desks"))
	var q store.Quotas
	for _, f := range []struct {
		text string
		to   *int
		what string
	}{{v.MaxEngineers, &q.MaxEngineers, "engineers"}, {v.MaxSessions, &q.MaxSessions, "concurrent sessions"}, {v.MaxDesks, &q.MaxDesks, "desks"}} {
		n, err := strconv.Atoi(f.text)
		if err != nil || n < 0 || n > store.MaxQuota {
			v.Error = v.Say("admin_op_bad_quota", map[string]any{"What": adminQuotaWhat(s.speak(c, en), f.what), "Max": store.MaxQuota})
			return s.render(c, http.StatusBadRequest, templates.OperatorProviderView(v))
		}
		*f.to = n
	}
	if err := s.Store.SetQuotas(c.Request().Context(), v.Row.ID, q); err != nil {
		return err
	}
	s.Log.Info("quotas set", "provider", v.Row.ID, "engineers", q.MaxEngineers, "sessions", q.MaxSessions, "desks", q.MaxDesks, "operator", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/operator/providers/"+v.Row.ID+"?done=quotas")
}

// operatorDisable disables a provider: in one transaction its sign-ins are deleted and its live
// sessions end; then their connections close on every instance. The operator's own provider is
// refused, since disabling it would lock the operator out of this page.
func (s *Server) operatorDisable(c echo.Context, en engineer) error {
	v, err := s.operatorProviderView(c, en)
	if err != nil {
		return err
	}
	if v.Row.Own {
		v.Error = v.Say("admin_op_own")
		return s.render(c, http.StatusBadRequest, templates.OperatorProviderView(v))
	}
	if c.FormValue("confirm") != v.Row.Name {
		v.Error = v.Say("admin_op_tick_to_disable", map[string]any{"Name": v.Row.Name})
		return s.render(c, http.StatusBadRequest, templates.OperatorProviderView(v))
	}
	logins, ended, err := s.Store.DisableProvider(c.Request().Context(), v.Row.ID)
	if err != nil {
		return err
	}
	// Sessions first: their viewers and pages learn why they ended before the sign-ins' connections
	// close, which would otherwise only say "signed out".
	s.Live.Ended(ended...)
	for _, h := range logins {
		s.endSignIn(h)
	}
	s.Log.Info("provider disabled", "provider", v.Row.ID, "sign_ins_ended", len(logins), "sessions_ended", len(ended), "operator", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/operator/providers/"+v.Row.ID+"?done=disabled")
}

func (s *Server) operatorEnable(c echo.Context, en engineer) error {
	id := c.Param("id")
	if _, err := s.operatorSummary(c, id); err != nil {
		return err
	}
	if err := s.Store.SetProviderDisabled(c.Request().Context(), id, false); err != nil {
		return err
	}
	s.Log.Info("provider enabled", "provider", id, "operator", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/operator/providers/"+id+"?done=enabled")
}
