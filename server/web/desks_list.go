package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/templates"
)

// desksPage lists the provider's desks: GET /settings/desks (owners and admins).
func (s *Server) desksPage(c echo.Context, en engineer) error {
	v := templates.DesksPage{}
	if name := c.QueryParam("deleted"); name != "" {
		v.Notice = s.speak(c, en).T("admin_desks_deleted", map[string]any{"Name": name})
	}
	return s.renderDesks(c, en, v, http.StatusOK)
}

func (s *Server) renderDesks(c echo.Context, en engineer, v templates.DesksPage, status int) error {
	ctx := c.Request().Context()
	desks, err := s.Store.Desks(ctx, en.Provider.ID)
	if err != nil {
		return err
	}
	users, err := s.Store.DeskCandidates(ctx, en.Provider.ID)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	loc := s.speak(c, en)
	v.Page = s.shellPage(c, loc.T("admin_desks_title"), en)
	v.Desks = v.Desks[:0]
	for _, d := range desks {
		row := templates.DeskRow{ID: d.ID, Name: d.Name, Default: d.IsDefault, Live: d.Live, Waiting: d.Waiting, Allowed: adminGrantShorts(loc, d.Allowed)}
		for _, id := range d.Members {
			if n, ok := names[id]; ok { // deactivated users are no one's colleagues any more
				row.Members = append(row.Members, n)
			}
		}
		v.Desks = append(v.Desks, row)
	}
	if max := en.Provider.Quotas.MaxDesks; max > 0 {
		v.Quota = loc.T("admin_desks_quota", map[string]any{"N": len(desks), "Max": max})
		v.Full = len(desks) >= max
	}
	return s.render(c, status, templates.DesksView(v))
}

// deskCreate adds a desk: POST /settings/desks with its name. A refused name or the plan's limit is said
// on the page, with the name kept.
func (s *Server) deskCreate(c echo.Context, en engineer) error {
	name := c.FormValue("name")
	d, err := s.Store.CreateDesk(c.Request().Context(), en.Provider.ID, name)
	if msg, ok := deskRefusal(s.speak(c, en), err); ok {
		return s.renderDesks(c, en, templates.DesksPage{Name: name, Error: msg}, statusOf(err))
	}
	if err != nil {
		return err
	}
	s.Log.Info("desk created", "provider", en.Provider.ID, "desk", d.ID, "by", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/settings/desks/"+d.ID+"?saved=created")
}
