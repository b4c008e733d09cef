package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/store"
	"tether/server/webhook"
	"tether/templates"
)

// apiDeliveriesShown is how many of the latest webhook deliveries the API page lists.
const apiDeliveriesShown = 15

// apiNotices are the confirmations a redirect back to the API page may ask for.
var apiNotices = map[string]string{
	"revoked": "admin_api_notice_revoked",
	"webhook": "admin_api_notice_webhook",
	"rotated": "admin_api_notice_rotated",
	"removed": "admin_api_notice_removed",
}

func (s *Server) apiSettings(c echo.Context, en engineer) error {
	v, err := s.apiSettingsView(c, en)
	if err != nil {
		return err
	}
	if id, ok := apiNotices[c.QueryParam("done")]; ok {
		v.Notice = v.Say(id)
	}
	return s.render(c, http.StatusOK, templates.APISettingsView(v))
}

// apiSettingsView fills the API page from the store.
func (s *Server) apiSettingsView(c echo.Context, en engineer) (templates.APISettings, error) {
	ctx := c.Request().Context()
	loc := s.speak(c, en)
	v := templates.APISettings{
		Page: s.shellPage(c, loc.T("admin_api_title"), en), APIBase: s.Config.BaseURL + "/api/v1", DocsURL: s.Config.BaseURL + "/api/v1/openapi.json",
		Webhook: templates.APIWebhook{Private: s.Config.WebhookAllowPrivate},
	}
	toks, err := s.Store.APITokens(ctx, en.Provider.ID)
	if err != nil {
		return v, err
	}
	for _, t := range toks {
		v.Tokens = append(v.Tokens, templates.APIToken{ID: t.ID, Name: t.Name, Hint: t.Hint, CreatedBy: t.CreatorName,
			CreatedAt: t.CreatedAt, LastUsed: t.LastUsedAt, RevokedAt: t.RevokedAt})
	}
	wh, err := s.Store.WebhookOf(ctx, en.Provider.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return v, nil
	case err != nil:
		return v, err
	}
	v.Webhook.Set, v.Webhook.URL, v.Webhook.Secret = true, wh.URL, wh.Secret
	ds, err := s.Store.WebhookDeliveries(ctx, en.Provider.ID, apiDeliveriesShown)
	if err != nil {
		return v, err
	}
	for _, d := range ds {
		row := templates.APIDelivery{At: d.CreatedAt, Event: d.Event, SessionID: d.SessionID, Attempts: d.Attempts}
		switch {
		case d.DeliveredAt != nil:
			row.Status, row.Detail = "delivered", httpStatusText(d.LastStatus)
		case d.FailedAt != nil && d.Attempts == 1:
			row.Status, row.Detail = "failed", loc.T("admin_api_gave_up_one", map[string]any{"Error": d.LastError})
		case d.FailedAt != nil:
			row.Status, row.Detail = "failed", loc.T("admin_api_gave_up", map[string]any{"N": d.Attempts, "Error": d.LastError})
		case d.Attempts == 1:
			row.Status, row.Detail = "retrying", loc.T("admin_api_attempt_failed_one", map[string]any{"Error": d.LastError})
		case d.Attempts > 0:
			row.Status, row.Detail = "retrying", loc.T("admin_api_attempts_failed", map[string]any{"N": d.Attempts, "Error": d.LastError})
		default:
			row.Status = "pending"
		}
		v.Deliveries = append(v.Deliveries, row)
	}
	return v, nil
}

func httpStatusText(code int) string {
	if code == 0 {
		return ""
	}
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// apiTokenCreate makes a token and shows it on this one answer; only its hash is kept.
func (s *Server) apiTokenCreate(c echo.Context, en engineer) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if err := store.ValidAPITokenName(name); err != nil {
		v, verr := s.apiSettingsView(c, en)
		if verr != nil {
			return verr
		}
		v.TokenName, v.TokenError = name, v.Say("admin_api_token_name")
		return s.render(c, http.StatusBadRequest, templates.APISettingsView(v))
	}
	tok := newAPIToken()
	t, err := s.Store.CreateAPIToken(c.Request().Context(), store.APIToken{
		ProviderID: en.Provider.ID, Name: name, TokenHash: auth.HashToken(tok), Hint: tok[len(tok)-4:], CreatedBy: en.User.ID,
	})
	if err != nil {
		return err
	}
	s.Log.Info("api token created", "provider", en.Provider.ID, "token", t.ID, "by", en.User.ID)
	v, err := s.apiSettingsView(c, en)
	if err != nil {
		return err
	}
	v.NewToken, v.NewTokenName = tok, t.Name
	return s.render(c, http.StatusOK, templates.APISettingsView(v))
}

func (s *Server) apiTokenRevoke(c echo.Context, en engineer) error {
	t, err := s.Store.RevokeAPIToken(c.Request().Context(), en.Provider.ID, c.Param("id"))
	if err != nil {
		return err
	}
	s.Log.Info("api token revoked", "provider", en.Provider.ID, "token", t.ID, "by", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/settings/api?done=revoked")
}

// newWebhookSecret makes a signing secret.
func newWebhookSecret() string { return "whsec_" + auth.NewToken() }

func (s *Server) apiWebhookSave(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	typed := c.FormValue("url")
	u, err := webhook.ValidURL(typed, s.Config.WebhookAllowPrivate)
	if err != nil {
		v, verr := s.apiSettingsView(c, en)
		if verr != nil {
			return verr
		}
		v.Webhook.URL, v.WebhookError = strings.TrimSpace(typed), v.Say("admin_not_saved_colon", map[string]any{"Reason": sayWebhookReason(s.speak(c, en), err)})
		return s.render(c, http.StatusBadRequest, templates.APISettingsView(v))
	}
	secret := newWebhookSecret()
	if old, err := s.Store.WebhookOf(ctx, en.Provider.ID); err == nil {
		secret = old.Secret
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := s.Store.SetWebhook(ctx, en.Provider.ID, u, secret); err != nil {
		return err
	}
	s.Log.Info("webhook saved", "provider", en.Provider.ID, "by", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/settings/api?done=webhook#api-webhook")
}

func (s *Server) apiWebhookRotate(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	wh, err := s.Store.WebhookOf(ctx, en.Provider.ID)
	if err != nil {
		return err
	}
	if _, err := s.Store.SetWebhook(ctx, en.Provider.ID, wh.URL, newWebhookSecret()); err != nil {
		return err
	}
	s.Log.Info("webhook secret rotated", "provider", en.Provider.ID, "by", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/settings/api?done=rotated#api-webhook")
}

func (s *Server) apiWebhookDelete(c echo.Context, en engineer) error {
	if err := s.Store.DeleteWebhook(c.Request().Context(), en.Provider.ID); err != nil {
		return err
	}
	s.Log.Info("webhook removed", "provider", en.Provider.ID, "by", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/settings/api?done=removed")
}
