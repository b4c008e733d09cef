package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/store"
	"tether/templates"
)

// How long the one-time links of the team page work.
const (
	inviteLifetime = 7 * 24 * time.Hour
	resetLifetime  = 24 * time.Hour
)

// teamExtras is what one request adds to the team page: a refusal, a notice, a link to hand over once,
// the invitation form as it was submitted.
type teamExtras struct {
	status int
	err    string
	notice string
	// noticeID is a message of teamNotices, said with the name of the user the query names.
	noticeID string
	link     templates.TeamLink
	form     templates.TeamInviteForm
	desks    []string // ticked in the invitation form
}

// teamNotices are what a redirect back to the team page may say (?done=…&user=…): fixed sentences, so a
// crafted link cannot put words on the page; the name comes from the provider's own team.
var teamNotices = map[string]string{
	"deactivated": "admin_team_notice_deactivated",
	"reactivated": "admin_team_notice_reactivated",
	"role":        "admin_team_notice_role",
	"owner":       "admin_team_notice_owner",
	"revoked":     "admin_team_notice_revoked",
	"2fa_off":     "admin_team_notice_2fa_off",
}

func (s *Server) teamPage(c echo.Context, en engineer) error {
	var x teamExtras
	if id, ok := teamNotices[c.QueryParam("done")]; ok {
		x.noticeID = id
	}
	return s.renderTeam(c, en, x)
}

// teamDone goes back to the team page saying what happened to whom.
func teamDone(c echo.Context, done, userID string) error {
	return c.Redirect(http.StatusSeeOther, "/settings/team?done="+done+"&user="+userID)
}

func (s *Server) renderTeam(c echo.Context, en engineer, x teamExtras) error {
	ctx := c.Request().Context()
	members, err := s.Store.TeamMembers(ctx, en.Provider.ID)
	if err != nil {
		return err
	}
	invites, err := s.Store.Invites(ctx, en.Provider.ID)
	if err != nil {
		return err
	}
	desks, err := s.Store.ProviderDesks(ctx, en.Provider.ID)
	if err != nil {
		return err
	}
	loc := s.speak(c, en)
	v := templates.Team{
		Page:   s.shellPage(c, loc.T("admin_team_title"), en),
		Owner:  en.User.Role == store.RoleOwner,
		Mail:   s.Mail != nil,
		Invite: x.form,
		Error:  x.err,
		Link:   x.link,
	}
	names := map[string]string{}
	deskNames := map[string]string{}
	for _, d := range desks {
		deskNames[d.ID] = d.Name
		// A fresh form puts the new person in the default desk (the only one, for most providers); a
		// refused one keeps what was ticked.
		checked := d.IsDefault && x.form.Email == ""
		for _, id := range x.desks {
			checked = checked || id == d.ID
		}
		v.Desks = append(v.Desks, templates.TeamDesk{ID: d.ID, Name: d.Name, Checked: checked})
	}
	active := 0
	for _, m := range members {
		names[m.ID] = m.Name
		tm := templates.TeamMember{
			ID: m.ID, Name: m.Name, Email: m.Email, Role: string(m.Role), Active: !m.Disabled(), TwoFactor: m.TwoFactor(),
			LastSignIn: m.LastSignInAt, You: m.ID == en.User.ID,
			Manage: store.CanManage(en.User, m.User) == nil,
		}
		tm.SetRole = tm.Manage && en.User.Role == store.RoleOwner
		for _, d := range m.Desks {
			tm.Desks = append(tm.Desks, d.Name)
		}
		if tm.Active {
			active++
			if m.Role != store.RoleOwner {
				v.Transfer = append(v.Transfer, templates.TeamChoice{ID: m.ID, Label: m.Name + " (" + m.Email + ")"})
			}
		}
		v.Members = append(v.Members, tm)
	}
	pending := 0
	now := s.Now()
	for _, inv := range invites {
		ti := templates.TeamInvite{
			ID: inv.ID, Email: inv.Email, Name: inv.Name, Role: string(inv.Role), InvitedBy: names[inv.CreatedBy],
			Expires: inv.ExpiresAt, Expired: !inv.ExpiresAt.After(now), Revoke: store.CanGrant(en.User, inv.Role) == nil,
		}
		if !ti.Expired {
			pending++
		}
		for _, id := range inv.DeskIDs {
			if n, ok := deskNames[id]; ok {
				ti.Desks = append(ti.Desks, n)
			}
		}
		v.Invites = append(v.Invites, ti)
	}
	if q := en.Provider.MaxEngineers; q > 0 {
		v.Seats = loc.T("admin_team_seats", map[string]any{"N": active + pending, "Max": q})
	}
	v.Notice = x.notice
	if x.noticeID == "admin_team_notice_revoked" {
		v.Notice = loc.T(x.noticeID)
	} else if name, ok := names[c.QueryParam("user")]; ok && x.noticeID != "" {
		v.Notice = loc.T(x.noticeID, map[string]any{"Name": name})
	}
	status := x.status
	if status == 0 {
		status = http.StatusOK
	}
	return s.render(c, status, templates.TeamView(v))
}

// teamRefusal answers a refused team change: a rule of the team (store.ErrNotAllowed), a quota, a taken
// email or a bad value re-render the team page saying why; any other error is returned as it is.
func (s *Server) teamRefusal(c echo.Context, en engineer, err error, x teamExtras) error {
	var qe *store.QuotaError
	loc := s.speak(c, en)
	switch {
	case errors.As(err, &qe):
		x.status, x.err = http.StatusForbidden, sayReason(loc, err)
	case errors.Is(err, store.ErrNotAllowed):
		x.status, x.err = http.StatusForbidden, sayReason(loc, err)
	case errors.Is(err, store.ErrEmailTaken):
		x.status, x.err = http.StatusConflict, loc.T("admin_team_email_taken", map[string]any{"Email": x.form.Email, "Provider": en.Provider.Name})
	case errors.Is(err, store.ErrInvalidArgument):
		x.status, x.err = http.StatusBadRequest, sayReason(loc, err)
	default:
		return err
	}
	s.Log.Info("team change refused", "provider", en.Provider.ID, "by", en.User.ID, "err", err)
	return s.renderTeam(c, en, x)
}

// sentence capitalises msg and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
