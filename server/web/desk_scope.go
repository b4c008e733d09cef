package web

import (
	"github.com/labstack/echo/v4"

	"tether/server/store"
)

// seesAllDesks reports whether the engineer sees every session of their provider: owners and admins do;
// engineers see the sessions and requests of their own desks (and the sessions they run).
func seesAllDesks(en engineer) bool {
	return en.User.Role == store.RoleOwner || en.User.Role == store.RoleAdmin
}

// deskScope is the store's visibility filter for en: "" (everything of the provider) for owners and
// admins, their user id for engineers (store.ListFilter.VisibleTo).
func deskScope(en engineer) string {
	if seesAllDesks(en) {
		return ""
	}
	return en.User.ID
}

// sessionOf is the one lookup of every /sessions/:id route (pages, exports, screenshots, recordings, the
// viewer's websocket): the session named by the path, if en may see it. Another provider's session and
// a session of a desk en is not in both answer store.ErrNotFound, so 404 alike.
func (s *Server) sessionOf(c echo.Context, en engineer) (store.Session, error) {
	return s.Store.SessionVisibleTo(c.Request().Context(), en.Provider.ID, deskScope(en), c.Param("id"))
}
