package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// admin lets only a provider's owner and admins through to h.
func admin(h func(echo.Context, engineer) error) func(echo.Context, engineer) error {
	return func(c echo.Context, en engineer) error {
		if en.User.Role != store.RoleOwner && en.User.Role != store.RoleAdmin {
			// Before any page: the profile's language, else the browser's.
			loc, _ := locales.For(en.User.Language, c.Request().Header.Get("Accept-Language"))
			return &httpError{status: http.StatusForbidden, heading: loc.T("console_error_not_allowed"),
				message: loc.T("console_error_admins_only", map[string]any{"Provider": en.Provider.Name})}
		}
		return h(c, en)
	}
}

func (s *Server) settingsPage(c echo.Context, en engineer) error {
	return s.renderSettings(c, en, en.Provider.Policy, http.StatusOK, "", c.QueryParam("saved") == "1")
}

// policyFields are the settings form's numbers: the form field, the message ids of its name and of its
// bounds (with the store's limits), and where it goes in the policy.
var policyFields = []struct {
	name, label, bounds string
	limits              map[string]any
	field               func(*store.Policy) *int
}{
	{"session_max_minutes", "console_settings_max_length", "console_settings_bad_session_max_minutes",
		map[string]any{"Hours": store.MaxSessionMinutes / 60}, func(p *store.Policy) *int { return &p.SessionMaxMinutes }},
	{"idle_timeout_minutes", "console_settings_idle", "console_settings_bad_idle_timeout_minutes",
		map[string]any{"Minutes": store.MaxIdleTimeoutMinutes}, func(p *store.Policy) *int { return &p.IdleTimeoutMinutes }},
	{"recording_retention_days", "console_settings_keep", "console_settings_bad_recording_retention_days",
		map[string]any{"Days": store.MaxRetentionDays}, func(p *store.Policy) *int { return &p.RecordingRetentionDays }},
	{"file_max_mb", "console_settings_file_max", "console_settings_bad_file_max_mb",
		map[string]any{"GB": store.MaxFileMB >> 10}, func(p *store.Policy) *int { return &p.FileMaxMB }},
	{"request_timeout_minutes", "console_settings_request_wait", "console_settings_bad_request_timeout_minutes",
		map[string]any{"Hours": store.MaxRequestMinutes / 60}, func(p *store.Policy) *int { return &p.RequestTimeoutMinutes }},
}

func (s *Server) settingsSubmit(c echo.Context, en engineer) error {
	loc := s.speak(c, en)
	var p store.Policy
	var bad []string
	for _, f := range policyFields {
		n, err := strconv.Atoi(strings.TrimSpace(c.FormValue(f.name)))
		if err != nil {
			bad = append(bad, loc.T(f.label))
		}
		*f.field(&p) = n
	}
	p.Recording = c.FormValue("recording") == "1"
	en.Provider.Require2FA = c.FormValue("require_2fa") == "1"
	if len(bad) > 0 {
		return s.renderSettings(c, en, p, http.StatusBadRequest, loc.T("console_settings_not_numbers", map[string]any{"Fields": strings.Join(bad, ", ")}), false)
	}
	err := s.Store.SetPolicy(c.Request().Context(), en.Provider.ID, p)
	if errors.Is(err, store.ErrInvalidArgument) {
		return s.renderSettings(c, en, p, http.StatusBadRequest, policyRefusal(loc, p, err), false)
	}
	if err != nil {
		return err
	}
	if err := s.Store.SetRequire2FA(c.Request().Context(), en.Provider.ID, en.Provider.Require2FA); err != nil {
		return err
	}
	s.Log.Info("session policy changed", "provider", en.Provider.ID, "by", en.User.ID, "policy", p, "require_2fa", en.Provider.Require2FA)
	return c.Redirect(http.StatusSeeOther, "/settings?saved=1")
}

// policyRefusal words why the store refused p: the first setting that store.Policy.Validate refuses on
// its own (tried in a default policy), with its bounds. The store's English when none is found alone.
func policyRefusal(loc locales.Localizer, p store.Policy, err error) string {
	for _, f := range policyFields {
		q := store.DefaultPolicy()
		*f.field(&q) = *f.field(&p)
		if q.Validate() != nil {
			return loc.T(f.bounds, f.limits)
		}
	}
	return loc.T("console_settings_not_saved", map[string]any{"Reason": strings.TrimPrefix(err.Error(), store.ErrInvalidArgument.Error()+": ")})
}

func (s *Server) renderSettings(c echo.Context, en engineer, p store.Policy, status int, msg string, saved bool) error {
	return s.render(c, status, templates.SettingsView(templates.Settings{
		Page:              s.titled(c, en, "console_settings_title"),
		SessionMaxMinutes: p.SessionMaxMinutes, IdleTimeoutMinutes: p.IdleTimeoutMinutes,
		Recording: p.Recording, RecordingRetentionDays: p.RecordingRetentionDays, FileMaxMB: p.FileMaxMB,
		RequestTimeoutMinutes: p.RequestTimeoutMinutes,
		Require2FA:            en.Provider.Require2FA,
		Error:                 msg, Saved: saved,
	}))
}
