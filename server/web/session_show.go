package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/server/store"
	"tether/templates"
)

func (s *Server) sessionShow(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	row, err := s.sessionRow(c, en, sess, map[string]string{})
	if err != nil {
		return err
	}
	desks, err := s.deskNames(ctx, en)
	if err != nil {
		return err
	}
	row.Desk = desks[sess.DeskID]
	evs, err := s.Store.Events(ctx, en.Provider.ID, sess.ID)
	if err != nil {
		return err
	}
	d := templates.SessionDetail{
		Page: s.titled(c, en, "console_title_session", map[string]any{"Customer": sess.CustomerName}), Session: row,
		CodeURL: s.providerURL(en.Provider) + "/code", Expires: sess.ExpiresAt.Local(),
		BytesSent: sess.BytesToViewer, BytesRecvd: sess.BytesToAgent,
		Summary: sess.Summary, CanEditSummary: mayEditSummary(en, sess), SummarySaved: c.QueryParam("saved") == "summary",
	}
	if sess.EngineerID == "" && sess.State != store.StateEnded {
		if ok, err := s.mayTake(c, en, sess.DeskID); err != nil {
			return err
		} else if ok {
			d.AcceptURL = "/sessions/" + sess.ID + "/accept"
		}
	}
	if d.Screenshots, err = s.screenshotsOf(c.Request().Context(), sess, evs); err != nil {
		return err
	}
	if sess.State == store.StateWaiting || sess.State == store.StateJoined {
		d.InviteURL = s.inviteURL(en.Provider, sess.ID)
	}
	if d.Recording, err = s.recordingOf(c, en, sess); err != nil {
		return err
	}
	for _, e := range s.auditLog(ctx, s.speak(c, en), en.Provider.ID, sess, evs) {
		d.Events = append(d.Events, templates.Event{Seq: e.Seq, At: e.At.Local(), Kind: e.Kind, Label: e.Label, Actor: e.Actor, Who: e.Who, Detail: e.Description})
	}
	d.Facts = s.historyFacts(ctx, s.speak(c, en), en.Provider.ID, d.Page, sess, row.Engineer, evs)
	return s.render(c, http.StatusOK, templates.SessionView(d))
}

func (s *Server) sessionViewer(c echo.Context, en engineer) error {
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	if sess.State == store.StateEnded || sess.EngineerID == "" {
		// A customer's request is accepted on its page first (requests).
		return c.Redirect(http.StatusSeeOther, "/sessions/"+sess.ID)
	}
	row, err := s.sessionRow(c, en, sess, map[string]string{})
	if err != nil {
		return err
	}
	v := templates.Viewer{
		Page: s.titled(c, en, "console_title_viewer", map[string]any{"Customer": sess.CustomerName}), Session: row,
		WSURL: "/ws/viewer/" + sess.ID, WasmURL: s.assets.url("build/viewer.wasm"), CodeURL: s.providerURL(en.Provider) + "/code",
	}
	if sess.State == store.StateWaiting || sess.State == store.StateJoined {
		v.InviteURL = s.inviteURL(en.Provider, sess.ID)
	}
	if v.Recorder, err = s.recorderOf(c, en, sess); err != nil {
		return err
	}
	if v.Requestable, err = s.requestable(c, sess); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.ViewerView(v))
}

func (s *Server) sessionEnd(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	if _, _, err := s.Live.End(ctx, sess.ID, "ended by "+en.User.Name, store.ActorEngineer(en.User.ID)); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, "/sessions/"+sess.ID)
}
