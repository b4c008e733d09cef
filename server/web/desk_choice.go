package web

import (
	"context"
	"fmt"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// newSessionDesks lists the desks en may open a session in, and picks want among them: an engineer's own
// desks, every desk for owners and admins. The default is the default desk when offered, else the first
// (an engineer's only desk). An engineer in no desk opens sessions in the default desk, which stay theirs.
// A desk not offered answers 404, as another provider's would.
func (s *Server) newSessionDesks(ctx context.Context, en engineer, want string) ([]templates.DeskChoice, string, error) {
	var desks []store.Desk
	if seesAllDesks(en) {
		all, err := s.Store.Desks(ctx, en.Provider.ID)
		if err != nil {
			return nil, "", err
		}
		for _, d := range all {
			desks = append(desks, d.Desk)
		}
	} else {
		var err error
		if desks, err = s.Store.DesksOf(ctx, en.Provider.ID, en.User.ID); err != nil {
			return nil, "", err
		}
	}
	if len(desks) == 0 {
		d, err := s.Store.DefaultDesk(ctx, en.Provider.ID)
		if err != nil {
			return nil, "", fmt.Errorf("default desk: %w", err)
		}
		desks = []store.Desk{d}
	}
	out := make([]templates.DeskChoice, len(desks))
	chosen := desks[0].ID // the default desk sorts first
	for i, d := range desks {
		out[i] = templates.DeskChoice{ID: d.ID, Name: d.Name}
		if d.ID == want {
			chosen = d.ID
		}
	}
	if want != "" && chosen != want {
		loc, _ := locales.For(en.User.Language)
		return nil, "", notFound(loc.T("admin_err_no_desk"))
	}
	return out, chosen, nil
}

// requestable lists the grants the session's desk lets its engineer ask the customer for (control
// brings limited control), for the viewer's Request menu.
func (s *Server) requestable(c echo.Context, sess store.Session) ([]string, error) {
	tpl, err := s.Store.DeskTemplateOf(c.Request().Context(), sess.ProviderID, sess.DeskID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range protocol.Each() {
		if g != protocol.GrantView && tpl.Allowed.Has(g) {
			out = append(out, g.String())
		}
	}
	return out, nil
}

// deskNames maps the provider's desk ids to names for session lists, or is empty when the provider has
// one desk (nothing to tell apart). Sessions of a deleted desk show no desk.
func (s *Server) deskNames(ctx context.Context, en engineer) (map[string]string, error) {
	desks, err := s.Store.ProviderDesks(ctx, en.Provider.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(desks) < 2 {
		return out, nil
	}
	for _, d := range desks {
		out[d.ID] = d.Name
	}
	return out, nil
}
