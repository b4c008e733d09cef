package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
)

// Notifications is what the console's notifications need from the store (notify).
type Notifications interface {
	NotifyPrefs(ctx context.Context, providerID, userID string) (store.NotifyPrefs, error)
	SetNotifyPrefs(ctx context.Context, providerID, userID string, p store.NotifyPrefs) error
	ConsoleWatch(ctx context.Context, providerID, userID string, deskIDs []string, since time.Time) ([]store.Session, []store.TakenRequest, error)
}

// notifyPanel is the console's "Notifications" menu for en.
func (s *Server) notifyPanel(c echo.Context, en engineer) (templates.NotifyPanel, error) {
	prefs, err := s.Store.NotifyPrefs(c.Request().Context(), en.Provider.ID, en.User.ID)
	if err != nil {
		return templates.NotifyPanel{}, err
	}
	tok, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	n := templates.NotifyPanel{CSRF: tok, SoundRequest: s.assets.url("audio/request.wav"),
		SoundJoined: s.assets.url("audio/joined.wav"), SoundLeft: s.assets.url("audio/left.wav")}
	for _, k := range protocol.NotifyKinds {
		n.Kinds = append(n.Kinds, templates.NotifyKind{Kind: k, Desktop: prefs.Desktop[k], Sound: prefs.Sound[k]})
	}
	return n, nil
}

// notifySave saves the engineer's notification choices: the form's "desktop" and "sound" values name
// the kinds chosen, every other kind is off. The console's script posts it on every change and gets
// {"ok": true}; without script the form posts and returns to the console. A kind the server does not
// know saves nothing and says so.
func (s *Server) notifySave(c echo.Context, en engineer) error {
	form, err := c.FormParams()
	if err != nil {
		return &httpError{status: http.StatusBadRequest, heading: "Not saved", message: "The form could not be read.", cause: err}
	}
	p := store.NotifyPrefs{Desktop: map[string]bool{}, Sound: map[string]bool{}}
	for _, k := range form["desktop"] {
		p.Desktop[k] = true
	}
	for _, k := range form["sound"] {
		p.Sound[k] = true
	}
	err = s.Store.SetNotifyPrefs(c.Request().Context(), en.Provider.ID, en.User.ID, p)
	if errors.Is(err, store.ErrInvalidArgument) {
		loc := s.localizer(c, en.User.Language, "")
		return &httpError{status: http.StatusUnprocessableEntity, heading: loc.T("notify_not_saved"), message: loc.T("notify_unknown_kind"), cause: err}
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]bool{"ok": true})
	}
	return c.Redirect(http.StatusSeeOther, "/console")
}
