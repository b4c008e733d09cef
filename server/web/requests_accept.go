package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
)

// queueDesks are the desks whose requests en sees: nil for all.
func (s *Server) queueDesks(c echo.Context, en engineer) ([]string, error) {
	if seesAllDesks(en) {
		return nil, nil
	}
	desks, err := s.Store.DesksOf(c.Request().Context(), en.Provider.ID, en.User.ID)
	ids := make([]string, len(desks))
	for i, d := range desks {
		ids[i] = d.ID
	}
	return ids, err
}

// requestQueue is the console's queue of waiting requests for en.
func (s *Server) requestQueue(c echo.Context, en engineer) (templates.RequestQueue, error) {
	ctx := c.Request().Context()
	tok, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	q := templates.RequestQueue{AllDesks: seesAllDesks(en), CSRF: tok}
	loc := s.localizer(c, en.User.Language, "")
	q.Page = templates.Page{Lang: loc.Lang(), T: loc.T, Zone: en.User.Zone(), Clock12h: en.User.Clock12h}
	desks, err := s.queueDesks(c, en)
	if err != nil {
		return q, err
	}
	reqs, err := s.Store.WaitingRequests(ctx, en.Provider.ID, desks)
	if err != nil {
		return q, err
	}
	names, err := s.deskNames(ctx, en)
	if err != nil {
		return q, err
	}
	for _, r := range reqs {
		q.Requests = append(q.Requests, templates.RequestRow{
			ID: r.ID, CustomerName: r.CustomerName, Description: r.Description, Desk: names[r.DeskID],
			Origin: r.Origin, Created: r.CreatedAt.Local(), Joined: r.State != store.StateWaiting,
		})
	}
	return q, nil
}

// consoleRequests renders just the queue, for the console's script.
func (s *Server) consoleRequests(c echo.Context, en engineer) error {
	q, err := s.requestQueue(c, en)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.RequestQueueView(q))
}

// mayTake reports whether en may see and accept a request of desk deskID.
func (s *Server) mayTake(c echo.Context, en engineer, deskID string) (bool, error) {
	desks, err := s.queueDesks(c, en)
	if err != nil {
		return false, err
	}
	return desks == nil || slices.Contains(desks, deskID), nil
}

// requestAccept takes a waiting request for the signed-in engineer (live.Accept: the first to press
// wins, atomically in the database). The winner lands on the session's page; the others are told who
// took it. A script asking for JSON gets {"url": ...} or the error.
func (s *Server) requestAccept(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.Store.SessionByID(ctx, en.Provider.ID, c.Param("id"))
	if err != nil {
		return err
	}
	if ok, err := s.mayTake(c, en, sess.DeskID); err != nil {
		return err
	} else if !ok {
		// Another desk's request is as invisible as another provider's.
		return store.ErrNotFound
	}
	sess, err = s.Live.Accept(ctx, en.Provider.ID, sess.ID, en.User)
	switch {
	case errors.Is(err, store.ErrAlreadyTaken) && sess.EngineerID == en.User.ID:
		// A second click of the winner.
	case errors.Is(err, store.ErrAlreadyTaken):
		name := "another engineer"
		if u, uerr := s.Store.UserByID(ctx, en.Provider.ID, sess.EngineerID); uerr == nil {
			name = u.Name
		}
		return &httpError{status: http.StatusConflict, heading: "Already taken", message: "Taken by " + name + ".", cause: err}
	case errors.Is(err, store.ErrSessionEnded):
		return &httpError{status: http.StatusConflict, heading: "Request closed",
			message: "This request has ended: the customer cancelled it, or nobody took it in time.", cause: err}
	case err != nil:
		return err
	}
	url := "/sessions/" + sess.ID
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]string{"url": url, "engineer": en.User.Name})
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// requestWait is the invitation page's queue panel for a customer's request: its place while it
// waits, or why it ended; nil for a session with an engineer.
func (s *Server) requestWait(c echo.Context, inv invitation) (*templates.RequestWait, error) {
	sess := inv.Session
	if sess.EngineerID != "" {
		return nil, nil
	}
	w := &templates.RequestWait{Description: sess.Description, Contact: inv.Provider.Contact, HelpURL: inv.Site.Prefix + "/help"}
	if sess.State == store.StateEnded {
		w.Ended, w.Reason, w.NobodyFree = true, sess.EndReason, sess.EndReason == protocol.EndNobodyFree
		return w, nil
	}
	up, ok, err := s.Live.QueueOf(c.Request().Context(), sess)
	if err != nil {
		return nil, err
	}
	if ok {
		w.Position, w.Waiting, w.EstimateMinutes = up.Position, up.Waiting, up.EstimateMinutes
	}
	return w, nil
}
