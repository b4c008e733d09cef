package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// deskPage shows one desk: GET /settings/desks/:id (owners and admins). Another provider's desk is 404.
func (s *Server) deskPage(c echo.Context, en engineer) error {
	d, err := s.Store.DeskByID(c.Request().Context(), en.Provider.ID, c.Param("id"))
	if err != nil {
		return err
	}
	members, err := s.deskMembers(c, en, d.ID)
	if err != nil {
		return err
	}
	return s.renderDesk(c, en, d, members, "", c.QueryParam("saved") != "", http.StatusOK)
}

// deskMembers returns the ids of the desk's members.
func (s *Server) deskMembers(c echo.Context, en engineer, deskID string) (map[string]bool, error) {
	desks, err := s.Store.Desks(c.Request().Context(), en.Provider.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, d := range desks {
		if d.ID == deskID {
			for _, id := range d.Members {
				out[id] = true
			}
		}
	}
	return out, nil
}

func (s *Server) renderDesk(c echo.Context, en engineer, d store.Desk, members map[string]bool, msg string, saved bool, status int) error {
	ctx := c.Request().Context()
	users, err := s.Store.DeskCandidates(ctx, en.Provider.ID)
	if err != nil {
		return err
	}
	loc := s.speak(c, en)
	v := templates.DeskEdit{Page: s.shellPage(c, loc.T("admin_desk_title", map[string]any{"Name": d.Name}), en), ID: d.ID, Name: d.Name, Default: d.IsDefault, Error: msg, Saved: saved}
	desks, err := s.Store.Desks(ctx, en.Provider.ID)
	if err != nil {
		return err
	}
	for _, x := range desks {
		if x.ID == d.ID {
			v.Live, v.Waiting = x.Live, x.Waiting
		}
	}
	for _, u := range users {
		v.Members = append(v.Members, templates.DeskMemberChoice{ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), Member: members[u.ID]})
	}
	for _, g := range protocol.Each() {
		v.Grants = append(v.Grants, templates.DeskGrantChoice{
			Name: g.String(), Short: adminGrantShort(loc, g), Label: adminGrantLabel(loc, g),
			Allowed: d.Allowed&g != 0, Default: d.Defaults&g != 0, Required: g == protocol.GrantView,
		})
	}
	return s.render(c, status, templates.DeskView(v))
}

// deskSave changes a desk's name, members and permission template in one form: POST /settings/desks/:id.
// Everything is checked before anything is stored; a refusal keeps what was typed and says why.
func (s *Server) deskSave(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	d, err := s.Store.DeskByID(ctx, en.Provider.ID, c.Param("id"))
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return badRequest("The form could not be read.")
	}
	tpl := store.DeskTemplate{Allowed: protocol.GrantView, Defaults: protocol.GrantView}
	for _, name := range form["allowed"] {
		g, err := protocol.ParseGrants("view," + name)
		if err != nil {
			return badRequest("Unknown permission " + name + ".")
		}
		tpl.Allowed |= g
	}
	for _, name := range form["default"] {
		g, err := protocol.ParseGrants("view," + name)
		if err != nil {
			return badRequest("Unknown permission " + name + ".")
		}
		tpl.Defaults |= g
	}
	members := map[string]bool{}
	for _, id := range form["member"] {
		members[id] = true
	}
	edited := d
	edited.Name, edited.DeskTemplate = form.Get("name"), tpl
	refuse := func(err error) error {
		if msg, ok := deskRefusal(s.speak(c, en), err); ok {
			return s.renderDesk(c, en, edited, members, msg, false, statusOf(err))
		}
		return err
	}
	name, err := store.NormalizeDeskName(form.Get("name"))
	if err == nil {
		err = tpl.Validate()
	}
	if err != nil {
		return refuse(err)
	}
	if name != d.Name {
		if _, err := s.Store.RenameDesk(ctx, en.Provider.ID, d.ID, name); err != nil {
			return refuse(err)
		}
	}
	ids := make([]string, 0, len(members))
	for id := range members {
		ids = append(ids, id)
	}
	if err := s.Store.SetDeskMembers(ctx, en.Provider.ID, d.ID, ids); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return refuse(&httpError{status: http.StatusBadRequest, heading: "Not saved", message: s.speak(c, en).T("admin_desk_member_gone")})
		}
		return err
	}
	if err := s.Store.SetDeskTemplate(ctx, en.Provider.ID, d.ID, tpl); err != nil {
		return refuse(err)
	}
	s.Log.Info("desk saved", "provider", en.Provider.ID, "desk", d.ID, "by", en.User.ID, "members", len(ids), "allowed", tpl.Allowed.String(), "defaults", tpl.Defaults.String())
	return c.Redirect(http.StatusSeeOther, "/settings/desks/"+d.ID+"?saved=1")
}

// deskDelete deletes an empty desk: POST /settings/desks/:id/delete. The default desk and a desk with
// sessions not yet ended are refused, saying why.
func (s *Server) deskDelete(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	d, err := s.Store.DeskByID(ctx, en.Provider.ID, c.Param("id"))
	if err != nil {
		return err
	}
	if err := s.Store.DeleteDesk(ctx, en.Provider.ID, d.ID); err != nil {
		msg, ok := deskRefusal(s.speak(c, en), err)
		if !ok {
			return err
		}
		members, merr := s.deskMembers(c, en, d.ID)
		if merr != nil {
			return merr
		}
		return s.renderDesk(c, en, d, members, msg, false, statusOf(err))
	}
	s.Log.Info("desk deleted", "provider", en.Provider.ID, "desk", d.ID, "by", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/settings/desks?deleted="+url.QueryEscape(d.Name))
}

// deskRefusal words a refusal the admin can act on; ok is false for any other error.
func deskRefusal(loc locales.Localizer, err error) (string, bool) {
	var qe *store.QuotaError
	var he *httpError
	switch {
	case err == nil:
		return "", false
	case errors.As(err, &qe):
		return sayReason(loc, err), true
	case errors.As(err, &he):
		return he.message, true
	}
	for _, sentinel := range []error{store.ErrInvalidArgument, store.ErrDeskNameTaken, store.ErrDeskInUse} {
		if errors.Is(err, sentinel) {
			return sayReason(loc, err), true
		}
	}
	return "", false
}

// statusOf is the HTTP status of a refusal deskRefusal words.
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.Is(err, store.ErrOverQuota), errors.Is(err, store.ErrDeskNameTaken), errors.Is(err, store.ErrDeskInUse):
		return http.StatusConflict
	case errors.As(err, &he):
		return he.status
	}
	return http.StatusBadRequest
}
