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
	v := templates.Console{Page: s.shellPage(c, "Sessions", en), Groups: groups, OpenViewer: true, Desks: desks, DeskID: chosen,
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
	return s.render(c, http.StatusOK, templates.SessionList(groups))
}

var stateGroups = []struct {
	state        store.State
	title, empty string
}{
	{store.StateWaiting, "Waiting for the customer", "No open invitations."},
	{store.StateJoined, "Customer joined", "Nobody is waiting for approval."},
	{store.StateActive, "Active", "No session is running."},
	{store.StateEnded, "Ended", "No ended sessions yet."},
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
	groups := make([]templates.SessionGroup, len(stateGroups))
	for i, g := range stateGroups {
		groups[i] = templates.SessionGroup{State: string(g.state), Title: g.title, Empty: g.empty}
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

var stateLabels = map[store.State]string{
	store.StateWaiting: "Waiting",
	store.StateJoined:  "Awaiting approval",
	store.StateActive:  "Active",
	store.StateEnded:   "Ended",
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
	return templates.SessionRow{
		ID: sess.ID, CustomerName: sess.CustomerName, Note: sess.Note, Description: sess.Description, Engineer: name,
		State: string(sess.State), StateLabel: stateLabels[sess.State], Grants: sess.Grants.Shorts(),
		Code: auth.FormatCode(sess.Code), Created: sess.CreatedAt.Local(), Ended: localPtr(sess.EndedAt), EndReason: sess.EndReason,
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
