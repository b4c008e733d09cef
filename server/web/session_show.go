package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
)

func (s *Server) sessionShow(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.Store.SessionByID(ctx, en.Provider.ID, c.Param("id"))
	if err != nil {
		return err
	}
	row, err := s.sessionRow(c, en, sess, map[string]string{})
	if err != nil {
		return err
	}
	evs, err := s.Store.Events(ctx, en.Provider.ID, sess.ID)
	if err != nil {
		return err
	}
	d := templates.SessionDetail{
		Page: s.shellPage(c, sess.CustomerName, en), Session: row,
		CodeURL: s.Config.BaseURL + "/code", Expires: sess.ExpiresAt.Local(),
		BytesSent: sess.BytesToViewer, BytesRecvd: sess.BytesToAgent,
	}
	if sess.State == store.StateWaiting || sess.State == store.StateJoined {
		d.InviteURL = s.inviteURL(sess.ID)
	}
	if d.Recording, err = s.recordingOf(c, en, sess); err != nil {
		return err
	}
	for _, e := range evs {
		detail := e.Detail
		if e.Kind == store.EventConsentGiven || e.Kind == store.EventGrantsChanged {
			if g, err := protocol.ParseGrants(e.Detail); err == nil {
				detail = strings.Join(g.Shorts(), " · ")
			}
		}
		label, ok := eventLabels[e.Kind]
		if !ok {
			label = e.Kind
		}
		d.Events = append(d.Events, templates.Event{At: e.At.Local(), Kind: e.Kind, Label: label, Actor: e.Actor, Detail: detail})
	}
	return s.render(c, http.StatusOK, templates.SessionView(d))
}

// eventLabels words the session log's kinds for the engineer.
var eventLabels = map[string]string{
	store.EventCreated:          "Invitation created",
	store.EventAgentConnected:   "Support program connected",
	store.EventConsentGiven:     "Customer approved",
	store.EventGrantsChanged:    "Customer changed what the engineer may do",
	store.EventAgentLost:        "Support program disconnected",
	store.EventViewerConnected:  "Viewer connected",
	store.EventEnded:            "Session ended",
	store.EventRecordingDeleted: "Recording deleted",
}

func (s *Server) sessionViewer(c echo.Context, en engineer) error {
	sess, err := s.Store.SessionByID(c.Request().Context(), en.Provider.ID, c.Param("id"))
	if err != nil {
		return err
	}
	if sess.State == store.StateEnded {
		return c.Redirect(http.StatusSeeOther, "/sessions/"+sess.ID)
	}
	row, err := s.sessionRow(c, en, sess, map[string]string{})
	if err != nil {
		return err
	}
	v := templates.Viewer{
		Page: s.shellPage(c, "Viewer · "+sess.CustomerName, en), Session: row,
		WSURL: "/ws/viewer/" + sess.ID, WasmURL: s.assets.url("build/viewer.wasm"), CodeURL: s.Config.BaseURL + "/code",
	}
	if sess.State == store.StateWaiting || sess.State == store.StateJoined {
		v.InviteURL = s.inviteURL(sess.ID)
	}
	if v.Recorder, err = s.recorderOf(c, en, sess); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.ViewerView(v))
}

func (s *Server) sessionEnd(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.Store.SessionByID(ctx, en.Provider.ID, c.Param("id"))
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
