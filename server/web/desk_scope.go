package web

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/labstack/echo/v4"

	"tether/server/hub"
	"tether/server/protocol"
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

// consoleAdmit filters the provider's console updates for en: an update about a session (a payload with
// a session_id) reaches an engineer only if they may see that session, so the console of desk A learns
// nothing of desk B's sessions, not even their ids. Owners and admins get every update (nil).
func (s *Server) consoleAdmit(ctx context.Context, en engineer) func(hub.Message) bool {
	if seesAllDesks(en) {
		return nil
	}
	return func(m hub.Message) bool {
		if m.Binary || len(m.Data) == 0 {
			return true
		}
		env, err := protocol.DecodeSignal(m.Data)
		if err != nil {
			return false
		}
		var about struct {
			SessionID string `json:"session_id"`
		}
		if json.Unmarshal(env.Payload, &about) != nil || about.SessionID == "" {
			return true
		}
		_, err = s.Store.SessionVisibleTo(ctx, en.Provider.ID, en.User.ID, about.SessionID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.Log.Warn("console update: visibility", "session", about.SessionID, "err", err)
		}
		return err == nil
	}
}
