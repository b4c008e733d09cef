package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/server/store"
	"tether/templates"
)

// Tours is what the console's first-sign-in tour needs from the database.
type Tours interface {
	DismissTour(ctx context.Context, providerID, userID string) error
}

// tourDismiss records that the engineer finished or closed the console tour: it is not shown again by
// itself (the console's "Take the tour" link replays it). The console's script posts it with the CSRF
// header.
func (s *Server) tourDismiss(c echo.Context, en engineer) error {
	if err := s.Store.DismissTour(c.Request().Context(), en.Provider.ID, en.User.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// consoleTour is the tour of the console for this engineer: shown by itself until they dismiss it,
// with the settings step for those who have settings.
func consoleTour(en engineer) templates.Tour {
	return templates.Tour{Start: en.User.TourDismissedAt == nil, Admin: en.User.Role == store.RoleOwner || en.User.Role == store.RoleAdmin,
		DismissURL: "/console/tour/dismiss"}
}
