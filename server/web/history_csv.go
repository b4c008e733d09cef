package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

var (
	// historyCSVCap is the most sessions one export holds; the page says so when more match, and the file
	// ends with a line saying it was cut. A variable for the tests.
	historyCSVCap = 100_000
	// historyCSVBatch is how many rows the export reads at a time: it streams, never holding the whole
	// list, and never holds a database connection while the client reads.
	historyCSVBatch = 500
)

// historyCSVHeader names the export's columns; stable keys, for spreadsheets and scripts alike.
var historyCSVHeader = []string{"id", "started", "duration_seconds", "customer", "computer", "os", "engineer",
	"origin", "source", "state", "end_reason", "rating", "rating_comment", "description", "code"}

// historyCSV exports the history's filtered list (every page) as CSV: UTF-8 with a byte order mark (so
// that spreadsheets read names in any script), times in RFC 3339 in the reader's zone, cells a customer
// could have typed guarded against formulas.
func (s *Server) historyCSV(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	page := s.shellPage(c, "", en)
	_, byID, err := s.historyEngineers(ctx, en)
	if err != nil {
		return err
	}
	zone := page.Location()
	now := s.Now()
	_, f, _ := parseHistory(c.QueryParams(), byID, zone, now)
	f.VisibleTo = deskScope(en)
	// The export is of the sessions that existed when it started: one opened meanwhile would shift the
	// batches after it.
	if snap := now.Add(time.Microsecond); f.To == nil || f.To.After(snap) {
		f.To = &snap
	}
	total, err := s.Store.HistoryCount(ctx, en.Provider.ID, f)
	if err != nil {
		return err
	}

	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="tether-history-%s.csv"`, now.In(zone).Format("2006-01-02")))
	h.Set("Cache-Control", "no-store")
	if total > historyCSVCap {
		h.Set("X-Tether-Truncated", fmt.Sprintf("%d of %d", historyCSVCap, total))
	}
	c.Response().WriteHeader(http.StatusOK)
	if _, err := c.Response().Write([]byte("\uFEFF")); err != nil {
		return err
	}
	w := csv.NewWriter(c.Response())
	if err := w.Write(historyCSVHeader); err != nil {
		return err
	}
	written := 0
	for f.Offset = 0; written < historyCSVCap; f.Offset += historyCSVBatch {
		f.Limit = min(historyCSVBatch, historyCSVCap-written)
		rows, err := s.Store.HistoryRows(ctx, en.Provider.ID, f)
		if err != nil {
			return err
		}
		for _, r := range rows {
			dur := ""
			if r.JoinedAt != nil {
				dur = strconv.FormatInt(int64(r.Duration(now)/time.Second), 10)
			}
			rating := ""
			if r.Rating > 0 {
				rating = strconv.Itoa(r.Rating)
			}
			rec := []string{r.ID, r.CreatedAt.In(zone).Format(time.RFC3339), dur, spreadsheetSafe(r.CustomerName),
				spreadsheetSafe(r.AgentHost), spreadsheetSafe(r.AgentOS), spreadsheetSafe(r.EngineerName), r.Origin, r.Source,
				string(r.State), spreadsheetSafe(r.EndReason), rating, spreadsheetSafe(r.RatingComment),
				spreadsheetSafe(r.Description), r.Code}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		written += len(rows)
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		c.Response().Flush()
		if len(rows) < f.Limit {
			break
		}
	}
	if total > written {
		if err := w.Write([]string{page.Say("history_csv_truncated_line", map[string]any{"Cap": written, "Total": total})}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
