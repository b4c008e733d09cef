package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// The audit log's exports: GET /sessions/:id/events.csv and .json, for the
// provider's engineers only (another provider's session answers 404). The
// log is append-only: no route edits or deletes an event.

// auditExport is the JSON export.
type auditExport struct {
	Session    auditSession `json:"session"`
	ExportedAt time.Time    `json:"exported_at"`
	Events     []auditEntry `json:"events"`
}

type auditSession struct {
	ID        string     `json:"id"`
	Customer  string     `json:"customer"`
	Engineer  string     `json:"engineer"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
}

func (s *Server) sessionEventsJSON(c echo.Context, en engineer) error {
	exp, err := s.auditExport(c, en)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return err
	}
	attachment(c, exp.Session.ID, "json")
	return c.Blob(http.StatusOK, "application/json; charset=utf-8", b)
}

func (s *Server) sessionEventsCSV(c echo.Context, en engineer) error {
	exp, err := s.auditExport(c, en)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rows := [][]string{{"seq", "time", "kind", "event", "actor", "who", "description", "detail"}}
	for _, e := range exp.Events {
		rows = append(rows, []string{
			strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.Kind, e.Label,
			e.Actor, spreadsheetSafe(e.Who), spreadsheetSafe(e.Description), spreadsheetSafe(e.Detail),
		})
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	attachment(c, exp.Session.ID, "csv")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// auditExport reads the session of the request, within the engineer's
// provider, and its log.
func (s *Server) auditExport(c echo.Context, en engineer) (auditExport, error) {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return auditExport{}, err
	}
	evs, err := s.Store.Events(ctx, en.Provider.ID, sess.ID)
	if err != nil {
		return auditExport{}, err
	}
	loc := s.speak(c, en)
	log := s.auditLog(ctx, loc, en.Provider.ID, sess, evs)
	return auditExport{
		Session: auditSession{
			ID: sess.ID, Customer: sess.CustomerName, Engineer: s.actorName(ctx, loc, en.Provider.ID, sess, "engineer:"+sess.EngineerID),
			State: string(sess.State), CreatedAt: sess.CreatedAt, EndedAt: sess.EndedAt, EndReason: sess.EndReason,
		},
		ExportedAt: time.Now().UTC(),
		Events:     log,
	}, nil
}

func attachment(c echo.Context, sessionID, ext string) {
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="tether-session-%s-events.%s"`, sessionID, ext))
	c.Response().Header().Set("Cache-Control", "no-store")
}

// spreadsheetSafe keeps a cell the customer could have typed (a chat
// message, a name) from being taken for a formula when the CSV is opened
// in a spreadsheet (CWE-1236): a leading = + - @ or control character gets
// a quote before it, as OWASP's "CSV injection" advice says.
func spreadsheetSafe(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
