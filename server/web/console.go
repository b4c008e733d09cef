package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/store"
	"tether/templates"
)

// consoleEndedLimit is how many ended sessions the console lists.
const consoleEndedLimit = 20

func (s *Server) console(c echo.Context, en engineer) error {
	groups, err := s.sessionGroups(c, en)
	if err != nil {
		return err
	}
	desks, chosen, err := s.newSessionDesks(c.Request().Context(), en, "")
	if err != nil {
		return err
	}
	v := templates.Console{Page: s.titled(c, en, "console_nav_sessions"), Groups: groups, OpenViewer: true, Desks: desks, DeskID: chosen,
		Tour: consoleTour(en)}
	if v.Queue, err = s.requestQueue(c, en); err != nil {
		return err
	}
	if v.Notify, err = s.notifyPanel(c, en); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.ConsoleView(v))
}

// consoleSessions renders just the live list, for the console's script.
func (s *Server) consoleSessions(c echo.Context, en engineer) error {
	groups, err := s.sessionGroups(c, en)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.SessionList(s.shellPage(c, "", en), groups))
}

// stateGroups are the console's groups, in order, with the message ids of their title and of the line
// an empty group shows.
var stateGroups = []struct {
	state        store.State
	title, empty string
}{
	{store.StateWaiting, "console_group_waiting", "console_group_waiting_empty"},
	{store.StateJoined, "console_group_joined", "console_group_joined_empty"},
	{store.StateActive, "console_group_active", "console_group_active_empty"},
	{store.StateEnded, "console_group_ended", "console_group_ended_empty"},
}

func (s *Server) sessionGroups(c echo.Context, en engineer) ([]templates.SessionGroup, error) {
	ctx := c.Request().Context()
	live, err := s.Store.ListSessions(ctx, en.Provider.ID, store.ListFilter{States: []store.State{store.StateWaiting, store.StateJoined, store.StateActive}, VisibleTo: deskScope(en)})
	if err != nil {
		return nil, err
	}
	ended, err := s.Store.ListSessions(ctx, en.Provider.ID, store.ListFilter{States: []store.State{store.StateEnded}, Limit: consoleEndedLimit, VisibleTo: deskScope(en)})
	if err != nil {
		return nil, err
	}
	desks, err := s.deskNames(ctx, en)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	loc := s.speak(c, en)
	groups := make([]templates.SessionGroup, len(stateGroups))
	for i, g := range stateGroups {
		groups[i] = templates.SessionGroup{State: string(g.state), Title: loc.T(g.title), Empty: loc.T(g.empty)}
	}
	for _, sess := range append(live, ended...) {
		if sess.EngineerID == "" && sess.State != store.StateEnded {
			// A customer's request nobody accepted yet is in the queue above (requests).
			continue
		}
		row, err := s.sessionRow(c, en, sess, names)
		if err != nil {
			return nil, err
		}
		row.Desk = desks[sess.DeskID]
		for i, g := range stateGroups {
			if g.state == sess.State {
				groups[i].Sessions = append(groups[i].Sessions, row)
			}
		}
	}
	return groups, nil
}

// sessionRow turns a stored session into what pages show. names caches
// engineer names across rows.
func (s *Server) sessionRow(c echo.Context, en engineer, sess store.Session, names map[string]string) (templates.SessionRow, error) {
	name, ok := names[sess.EngineerID]
	if !ok {
		switch sess.EngineerID {
		case "":
			// A customer's request waiting in its desk's queue.
		case en.User.ID:
			name = en.User.Name
		default:
			u, err := s.Store.UserByID(c.Request().Context(), en.Provider.ID, sess.EngineerID)
			if err != nil {
				return templates.SessionRow{}, err
			}
			name = u.Name
		}
		names[sess.EngineerID] = name
	}
	loc := s.speak(c, en)
	return templates.SessionRow{
		ID: sess.ID, CustomerName: sess.CustomerName, Note: sess.Note, Description: sess.Description, Engineer: name,
		State: string(sess.State), StateLabel: stateLabel(loc.T, sess.State), Grants: grantWords(loc.T, sess.Grants),
		Code: auth.FormatCode(sess.Code), Created: sess.CreatedAt.Local(), Ended: localPtr(sess.EndedAt), EndReason: endReason(loc.T, sess.EndReason),
		AgentHost: sess.AgentHost,
		Feedback:  templates.Feedback{Rating: sess.Rating, Comment: sess.RatingComment, At: localPtr(sess.RatedAt)},
	}, nil
}

func localPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	l := t.Local()
	return &l
}
