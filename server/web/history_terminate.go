package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
)

// historyBack is where the terminate form returns to: a view of the history (with its filters), never
// another site or page.
func historyBack(v string) string {
	if v == "/history" || strings.HasPrefix(v, "/history?") {
		return v
	}
	return "/history"
}

// historyTerminatePage asks to confirm ending a live session: the history's Terminate button without a
// script (with one, a dialog on the history page asks instead).
func (s *Server) historyTerminatePage(c echo.Context, en engineer) error {
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	back := historyBack(c.QueryParam("back"))
	if !sess.Live() {
		return c.Redirect(http.StatusSeeOther, back)
	}
	page := s.shellPage(c, "", en)
	page.Title = page.Say("history_terminate_title")
	item := historyItem(page, store.HistoryRow{Session: sess}, s.Now(), back)
	return s.render(c, http.StatusOK, templates.HistoryTerminateView(templates.HistoryTerminate{Page: page, Item: item, Back: back}))
}

// historyTerminate ends a live session from the history: the same end as the viewer's End session
// button (the reason names the engineer; agent, viewer and the customer's page learn it at once, on
// whichever instance they are), logged first as "terminated" by the engineer.
func (s *Server) historyTerminate(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	back := historyBack(c.FormValue("back"))
	if sess.Live() {
		if _, err := s.Store.AppendEvent(ctx, store.Event{SessionID: sess.ID, ProviderID: sess.ProviderID, Kind: store.EventTerminated,
			Actor: store.ActorEngineer(en.User.ID), Detail: "connection history"}); err != nil {
			return err
		}
		if _, _, err := s.Live.End(ctx, sess.ID, protocol.EndedBy(en.User.Name), store.ActorEngineer(en.User.ID)); err != nil {
			return err
		}
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	return c.Redirect(http.StatusSeeOther, back+sep+url.Values{"ended": {sess.ID}}.Encode())
}
