package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/store"
	"tether/templates"
)

// admin lets only a provider's owner and admins through to h.
func admin(h func(echo.Context, engineer) error) func(echo.Context, engineer) error {
	return func(c echo.Context, en engineer) error {
		if en.User.Role != store.RoleOwner && en.User.Role != store.RoleAdmin {
			return &httpError{status: http.StatusForbidden, heading: "Not allowed", message: "Only the owner and admins of " + en.Provider.Name + " can change its settings."}
		}
		return h(c, en)
	}
}

func (s *Server) settingsPage(c echo.Context, en engineer) error {
	return s.renderSettings(c, en, en.Provider.Policy, http.StatusOK, "", c.QueryParam("saved") == "1")
}

func (s *Server) settingsSubmit(c echo.Context, en engineer) error {
	var p store.Policy
	var bad []string
	num := func(name, label string) int {
		n, err := strconv.Atoi(strings.TrimSpace(c.FormValue(name)))
		if err != nil {
			bad = append(bad, label)
		}
		return n
	}
	p.SessionMaxMinutes = num("session_max_minutes", "maximum session length")
	p.IdleTimeoutMinutes = num("idle_timeout_minutes", "idle timeout")
	p.RecordingRetentionDays = num("recording_retention_days", "recording retention")
	p.FileMaxMB = num("file_max_mb", "file size limit")
	p.RequestTimeoutMinutes = num("request_timeout_minutes", "wait for a free engineer")
	p.Recording = c.FormValue("recording") == "1"
	en.Provider.Require2FA = c.FormValue("require_2fa") == "1"
	if len(bad) > 0 {
		return s.renderSettings(c, en, p, http.StatusBadRequest, "Enter whole numbers for: "+strings.Join(bad, ", ")+".", false)
	}
	err := s.Store.SetPolicy(c.Request().Context(), en.Provider.ID, p)
	if errors.Is(err, store.ErrInvalidArgument) {
		msg := strings.TrimPrefix(err.Error(), store.ErrInvalidArgument.Error()+": ")
		return s.renderSettings(c, en, p, http.StatusBadRequest, "Not saved: "+msg+".", false)
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

func (s *Server) renderSettings(c echo.Context, en engineer, p store.Policy, status int, msg string, saved bool) error {
	return s.render(c, status, templates.SettingsView(templates.Settings{
		Page:              s.shellPage(c, "Settings", en),
		SessionMaxMinutes: p.SessionMaxMinutes, IdleTimeoutMinutes: p.IdleTimeoutMinutes,
		Recording: p.Recording, RecordingRetentionDays: p.RecordingRetentionDays, FileMaxMB: p.FileMaxMB,
		RequestTimeoutMinutes: p.RequestTimeoutMinutes,
		Require2FA:            en.Provider.Require2FA,
		Error:                 msg, Saved: saved,
	}))
}
