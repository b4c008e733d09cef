package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
)

// profileDelete deletes the user's own account, with the current password. The owner is refused (the
// page says to transfer ownership first, with a link to Team). Their sessions not yet ended end; ended
// sessions keep their name in history (store.DeleteAccount keeps the row, scrubbed).
func (s *Server) profileDelete(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	refuse := func(status int, id string) error {
		v, err := s.profileView(c, en)
		if err != nil {
			return err
		}
		v.DeleteError = v.Say(id)
		return s.render(c, status, templates.ProfileView(v))
	}
	if en.User.Role == store.RoleOwner {
		return refuse(http.StatusForbidden, "profile_delete_owner")
	}
	if !s.checkCurrent(c, en) {
		return refuse(http.StatusUnauthorized, "profile_err_current_password")
	}
	live, err := s.Store.LiveSessionsOf(ctx, en.Provider.ID, en.User.ID)
	if err != nil {
		return err
	}
	ended, photo, err := s.Store.DeleteAccount(ctx, en.Provider.ID, en.User.ID)
	if errors.Is(err, store.ErrNotAllowed) {
		return refuse(http.StatusForbidden, "profile_delete_owner")
	}
	if err != nil {
		return err
	}
	for _, h := range ended {
		s.endSignIn(h)
	}
	for _, id := range live {
		if _, _, err := s.Live.End(ctx, id, protocol.EndEngineerDeleted, store.ActorEngineer(en.User.ID)); err != nil {
			s.Log.Error("end session of deleted account", "session", id, "err", err)
		}
	}
	s.deletePhoto(ctx, photo)
	s.Log.Info("account deleted by its user", "provider", en.Provider.ID, "user", en.User.ID, "sessions_ended", len(live))
	c.SetCookie(&http.Cookie{Name: loginCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: -1})
	return c.Redirect(http.StatusSeeOther, "/login?deleted=1")
}
