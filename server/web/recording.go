package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tether/server/recording"
	"tether/server/store"
	"tether/templates"
)

// recordingChunk takes one chunk of a session's recording from the engineer's viewer:
// POST /sessions/{id}/recording/chunks?seq=N with the chunk (protocol.ParseRecording's format) as the
// body. A retried chunk (same number, same bytes) is accepted again. Refusals: another provider's
// session 404, a session or provider that does not record 403, a chunk over recording.MaxChunkSize 413,
// a chunk that is not a recording 400, a number out of turn or other bytes under a kept number 409 (with
// the number expected next), a recording deleted by retention 410.
func (s *Server) recordingChunk(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	if !en.Provider.Policy.Recording {
		return &httpError{status: http.StatusForbidden, heading: "Not recorded", message: en.Provider.Name + " does not record sessions."}
	}
	seq, err := strconv.Atoi(c.QueryParam("seq"))
	if err != nil || seq < 0 {
		return badRequest("The chunk needs its sequence number (seq=0, 1, 2 ...).")
	}
	if c.Request().ContentLength > recording.MaxChunkSize {
		return tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, recording.MaxChunkSize+1))
	if err != nil {
		return fmt.Errorf("read recording chunk: %w", err)
	}
	dup, err := s.Recordings.AddChunk(ctx, en.Provider.ID, sess.ID, seq, body)
	switch {
	case errors.Is(err, recording.ErrChunkTooLarge):
		return tooLarge()
	case errors.Is(err, recording.ErrBadChunk):
		return &httpError{status: http.StatusBadRequest, heading: "Not a recording", message: "This chunk is not a recording this server can keep.", cause: err}
	case errors.Is(err, store.ErrChunkOrder), errors.Is(err, store.ErrChunkConflict):
		rec, rerr := s.Store.Recording(ctx, en.Provider.ID, sess.ID)
		if rerr != nil {
			return rerr
		}
		s.Log.Info("recording chunk out of turn", "session", sess.ID, "seq", seq, "next", rec.Chunks, "err", err)
		return c.JSON(http.StatusConflict, map[string]any{"error": "This chunk is out of turn.", "next": rec.Chunks, "end_ms": rec.DurationMs})
	case errors.Is(err, store.ErrRecordingDeleted):
		return &httpError{status: http.StatusGone, heading: "Recording deleted", message: "This session's recording has been deleted.", cause: err}
	case errors.Is(err, store.ErrNotFound):
		// The session is the provider's (checked above), so it is not recorded: the customer was not told.
		return &httpError{status: http.StatusForbidden, heading: "Not recorded", message: "This session is not recorded: the customer was not told it would be.", cause: err}
	case err != nil:
		return err
	}
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	return c.JSON(status, map[string]any{"seq": seq, "duplicate": dup})
}

func tooLarge() error {
	return &httpError{status: http.StatusRequestEntityTooLarge, heading: "Too large",
		message: fmt.Sprintf("A recording chunk may be at most %d MiB.", recording.MaxChunkSize>>20)}
}

// recordingPage plays a session's recording back in the viewer: GET /sessions/{id}/recording.
func (s *Server) recordingPage(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	ix, err := s.Recordings.Open(ctx, en.Provider.ID, sess.ID)
	loc := s.speak(c, en)
	if errors.Is(err, store.ErrRecordingDeleted) {
		return &httpError{status: http.StatusGone, heading: loc.T("console_event_recording_deleted"),
			message: loc.T("console_rec_deleted_text"), cause: err}
	}
	if err != nil {
		return err
	}
	if ix.Recording.Chunks == 0 {
		return &httpError{status: http.StatusNotFound, heading: loc.T("console_rec_nothing"), message: loc.T("console_rec_nothing_text")}
	}
	row, err := s.sessionRow(c, en, sess, map[string]string{})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, templates.PlaybackView(templates.Playback{
		Page: s.titled(c, en, "console_title_recording", map[string]any{"Customer": sess.CustomerName}), Session: row,
		DataURL: "/sessions/" + sess.ID + "/recording/data", WasmURL: s.assets.url("build/viewer.wasm"),
		DurationMs: ix.Recording.DurationMs, Bytes: ix.Recording.Bytes, Started: ix.Recording.CreatedAt.Local(),
		Keyframes: len(ix.Keyframes()),
	}))
}

// recordingData sends the recording as one file: GET /sessions/{id}/recording/data.
func (s *Server) recordingData(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	ix, err := s.Recordings.Open(ctx, en.Provider.ID, sess.ID)
	if err != nil {
		return err
	}
	// Written to a buffer first so that an error is still an error response, not a cut file.
	var buf bytes.Buffer
	if _, err := s.Recordings.WriteTo(ctx, ix, &buf); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Recording-Duration-Ms", strconv.FormatInt(ix.Recording.DurationMs, 10))
	return c.Blob(http.StatusOK, "application/octet-stream", buf.Bytes())
}

// recordingOf describes a session's recording for its detail page; nil when the session is not recorded.
func (s *Server) recordingOf(c echo.Context, en engineer, sess store.Session) (*templates.RecordingInfo, error) {
	rec, err := s.Store.Recording(c.Request().Context(), en.Provider.ID, sess.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	info := &templates.RecordingInfo{Duration: recording.FormatDuration(rec.DurationMs), Bytes: rec.Bytes, Chunks: rec.Chunks,
		Started: rec.CreatedAt.Local(), KeepDays: en.Provider.Policy.RecordingRetentionDays}
	switch {
	case rec.DeletedAt != nil:
		info.Deleted = rec.DeletedAt.Local()
	case rec.Chunks > 0:
		info.URL = "/sessions/" + sess.ID + "/recording"
		info.DeleteOn = rec.CreatedAt.AddDate(0, 0, en.Provider.Policy.RecordingRetentionDays).Local()
	}
	return info, nil
}

// recorderOf tells the viewer page whether and where to upload the session's recording: when the
// provider records and the session is (or, before the customer's consent, will be) recorded.
func (s *Server) recorderOf(c echo.Context, en engineer, sess store.Session) (templates.Recorder, error) {
	if !en.Provider.Policy.Recording {
		return templates.Recorder{}, nil
	}
	r := templates.Recorder{URL: "/sessions/" + sess.ID + "/recording/chunks"}
	rec, err := s.Store.Recording(c.Request().Context(), en.Provider.ID, sess.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if sess.State == store.StateActive {
			return templates.Recorder{}, nil // the customer agreed before recording was switched on
		}
		return r, nil
	case err != nil:
		return templates.Recorder{}, err
	case rec.DeletedAt != nil:
		return templates.Recorder{}, nil
	}
	// A reloaded viewer goes on where the last one stopped: the gap is left out of the recording.
	r.Next = rec.Chunks
	if rec.Chunks > 0 {
		r.AtMs = rec.DurationMs + 1000
	}
	return r, nil
}

// customerTold reports whether the customer's pages say the session is recorded: it is, or it will be from
// the agent's welcome (the provider records and the customer has not agreed yet).
func (s *Server) customerTold(c echo.Context, sess store.Session, p store.Provider) (bool, error) {
	rec, err := s.Store.Recording(c.Request().Context(), p.ID, sess.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return p.Policy.Recording && sess.State != store.StateActive && sess.State != store.StateEnded, nil
	case err != nil:
		return false, err
	}
	return rec.DeletedAt == nil, nil
}
