package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/live"
	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// customerReportDays is how long after the end the invitation link still
// opens the customer's copy of the report and the survey; after that it
// answers like any unusable link.
const customerReportDays = 30

// reportFor builds a session's report. shot gives a screenshot's address
// from its number, for the page; standalone embeds the images instead.
func (s *Server) reportFor(ctx context.Context, page templates.Page, sess store.Session, p store.Provider, forCustomer, standalone bool, shot func(n int64) string) (templates.Report, error) {
	evs, err := s.Store.Events(ctx, sess.ProviderID, sess.ID)
	if err != nil {
		return templates.Report{}, err
	}
	names := actorNames{s: s, providerID: sess.ProviderID, customer: sess.CustomerName, names: map[string]string{}}
	engineer, err := names.name(ctx, store.ActorEngineer(sess.EngineerID))
	if err != nil {
		return templates.Report{}, err
	}
	r := templates.Report{
		Page: page, ForCustomer: forCustomer, Standalone: standalone, SessionID: sess.ID,
		Provider: p.Name, Engineer: engineer, CustomerName: sess.CustomerName, AgentHost: sess.AgentHost,
		State: string(sess.State), StateLabel: stateLabel(page.Say, sess.State),
		Created: sess.CreatedAt.Local(), Started: localPtr(sess.ActiveAt), Ended: localPtr(sess.EndedAt), EndReason: sess.EndReason,
		Summary: sess.Summary, SummaryAt: localPtr(sess.SummaryAt), Rating: sess.Rating, Comment: sess.RatingComment,
		Generated: s.Now().Local(),
	}
	if !forCustomer {
		r.Note = sess.Note
	}
	if standalone {
		// The file is kept and opened offline: the logo goes in it, and the brand's colours with report.css.
		if r.Page.Brand.LogoURL, err = s.logoDataURL(ctx, p); err != nil {
			return templates.Report{}, err
		}
		r.CSS = themeCSS(p.PrimaryColor, p.AccentColor)
	}
	if sess.ActiveAt != nil && sess.EndedAt != nil {
		r.Duration = humanDuration(sess.EndedAt.Sub(*sess.ActiveAt))
	}
	if sess.SummaryBy != "" {
		if r.SummaryBy, err = names.name(ctx, store.ActorEngineer(sess.SummaryBy)); err != nil {
			return templates.Report{}, err
		}
	}
	if forCustomer {
		r.Contact = page.Say("customer_report_recording", map[string]any{"Provider": p.Name})
	}
	if forCustomer {
		// The customer reads why in their language; the engineer's copy keeps the log's words.
		r.EndReason = locales.CustomerEndReason(page.Say, sess.EndReason)
	}
	for _, e := range evs {
		at := e.At.Local()
		switch e.Kind {
		case store.EventConsentGiven, store.EventGrantsChanged:
			what := page.Say("customer_report_approved_change")
			if e.Kind == store.EventGrantsChanged {
				what = page.Say("customer_report_changed")
			}
			allowed := page.Say("customer_report_nothing")
			if g, err := protocol.ParseGrants(e.Detail); err == nil && len(g.Names()) > 0 {
				allowed = grantShorts(page, g)
			}
			r.Grants = append(r.Grants, templates.ReportGrant{At: at, What: what, Grants: allowed})
		case protocol.AuditFileToCustomer, protocol.AuditFileToEngineer, protocol.AuditFileFailed:
			var a protocol.Audit
			if err := json.Unmarshal([]byte(e.Detail), &a); err != nil {
				return templates.Report{}, fmt.Errorf("report: file event %d: %w", e.Seq, err)
			}
			r.Files = append(r.Files, templates.ReportFile{At: at, Direction: fileDirection(page, e.Kind), Failed: e.Kind == protocol.AuditFileFailed,
				Name: a.Name, Size: a.Size, SHA256: a.SHA256, Note: a.Note})
		case store.EventScreenshot:
			sh, err := store.ParseScreenshot(e.Detail)
			if err != nil {
				return templates.Report{}, err
			}
			by, err := names.name(ctx, e.Actor)
			if err != nil {
				return templates.Report{}, err
			}
			url := ""
			if standalone {
				if url, err = s.dataURL(ctx, sh.Blob); err != nil {
					return templates.Report{}, err
				}
			} else {
				url = shot(e.Seq)
			}
			r.Screenshots = append(r.Screenshots, templates.ReportShot{N: e.Seq, At: at, By: by, URL: url, Width: sh.Width, Height: sh.Height})
		case live.EventChat:
			var m struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal([]byte(e.Detail), &m); err != nil {
				return templates.Report{}, fmt.Errorf("report: chat event %d: %w", e.Seq, err)
			}
			from, err := names.name(ctx, e.Actor)
			if err != nil {
				return templates.Report{}, err
			}
			r.Chat = append(r.Chat, templates.ReportChat{At: at, From: from, Engineer: strings.HasPrefix(e.Actor, "engineer:"), Text: m.Text})
		}
	}
	return r, nil
}

// fileDirection words a file event's direction in the page's language.
func fileDirection(page templates.Page, kind string) string {
	switch kind {
	case protocol.AuditFileToCustomer:
		return page.Say("customer_report_to_customer")
	case protocol.AuditFileToEngineer:
		return page.Say("customer_report_from_customer")
	}
	return page.Say("customer_report_not_delivered")
}

// actorNames words a log's actors, looking each engineer up once.
type actorNames struct {
	s          *Server
	providerID string
	customer   string
	names      map[string]string
}

func (a actorNames) name(ctx context.Context, actor string) (string, error) {
	id, ok := strings.CutPrefix(actor, "engineer:")
	if !ok {
		switch actor {
		case store.ActorCustomer:
			if a.customer != "" {
				return a.customer, nil
			}
			return "Customer", nil
		case store.ActorAgent:
			return "Support program", nil
		}
		return "Tether", nil
	}
	if n, ok := a.names[id]; ok {
		return n, nil
	}
	u, err := a.s.Store.UserByID(ctx, a.providerID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u.Name = "An engineer no longer at the provider"
	case err != nil:
		return "", err
	}
	a.names[id] = u.Name
	return u.Name, nil
}

// humanDuration: "1 h 05 min", "12 min 30 s", "45 s".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %02d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, sec)
	}
	return fmt.Sprintf("%d s", sec)
}

// dataURL reads a screenshot into a data: URL for the standalone report.
func (s *Server) dataURL(ctx context.Context, key string) (string, error) {
	rc, _, err := s.Blobs.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var b strings.Builder
	b.WriteString("data:image/png;base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	if _, err := io.Copy(enc, io.LimitReader(rc, maxScreenshotBytes)); err != nil {
		return "", fmt.Errorf("report: read %s: %w", key, err)
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// reportCSS is the report's style sheet for the standalone file.
func (s *Server) reportCSS() (string, error) {
	var out bytes.Buffer
	for _, name := range []string{"css/report.css"} {
		b, err := fs.ReadFile(s.Static, name)
		if err != nil {
			return "", fmt.Errorf("report: %w", err)
		}
		out.Write(b)
	}
	return out.String(), nil
}

// sendReport renders the report as a page, or as a file to keep.
func (s *Server) sendReport(c echo.Context, r templates.Report) error {
	if !r.Standalone {
		return s.render(c, http.StatusOK, templates.ReportView(r))
	}
	css, err := s.reportCSS()
	if err != nil {
		return err
	}
	r.CSS = css + r.CSS
	var buf bytes.Buffer
	if err := templates.ReportDocument(r).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": reportFileName(r)}))
	return c.Blob(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// reportFileName: "support-report-2026-11-22-maria-lopez.html".
func reportFileName(r templates.Report) string {
	var slug strings.Builder
	dash := false
	for _, ch := range strings.ToLower(r.CustomerName) {
		switch {
		case ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9':
			slug.WriteRune(ch)
			dash = false
		case !dash && slug.Len() > 0 && slug.Len() < 40:
			slug.WriteByte('-')
			dash = true
		}
		if slug.Len() >= 40 {
			break
		}
	}
	name := strings.TrimSuffix(slug.String(), "-")
	if name == "" {
		name = "session"
	}
	return "support-report-" + r.Created.Format("2006-01-02") + "-" + name + ".html"
}

// sessionReport is the engineer's report page (and, under /download, file).
func (s *Server) sessionReport(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	sess, err := s.sessionOf(c, en)
	if err != nil {
		return err
	}
	base := "/sessions/" + sess.ID
	r, err := s.reportFor(ctx, s.shellPage(c, "Report · "+sess.CustomerName, en), sess, en.Provider, false,
		strings.HasSuffix(c.Path(), "/download"), func(n int64) string { return base + "/screenshots/" + strconv.FormatInt(n, 10) })
	if err != nil {
		return err
	}
	r.BackURL, r.DownloadURL = base, base+"/report/download"
	return s.sendReport(c, r)
}

// customerEnded resolves the invitation of an ended session whose report
// the customer may still open.
func (s *Server) customerEnded(c echo.Context) (store.Session, store.Provider, string, error) {
	inv, err := s.customerSession(c, true)
	sess, p := inv.Session, inv.Provider
	if err != nil {
		return sess, p, "", err
	}
	if sess.State != store.StateEnded {
		return sess, p, "", sayError(http.StatusConflict, "customer_not_ready_heading", "customer_not_ready")
	}
	if !s.customerReportOpen(sess) {
		return sess, p, "", errInvite
	}
	return sess, p, inv.Base, nil
}

// customerReportOpen says whether the invitation link still leads to an
// ended session's report and survey.
func (s *Server) customerReportOpen(sess store.Session) bool {
	return sess.EndedAt != nil && s.Now().Before(sess.EndedAt.AddDate(0, 0, customerReportDays))
}

// customerReport is the customer's copy of the report, through the
// invitation link.
func (s *Server) customerReport(c echo.Context) error {
	sess, p, base, err := s.customerEnded(c)
	if err != nil {
		return err
	}
	r, err := s.reportFor(c.Request().Context(), s.customerPage(c, "customer_report_heading", brandOf(p), p.DefaultLanguage), sess, p, true,
		strings.HasSuffix(c.Path(), "/download"), func(n int64) string { return base + "/screenshots/" + strconv.FormatInt(n, 10) })
	if err != nil {
		return err
	}
	r.BackURL, r.DownloadURL = base, base+"/report/download"
	return s.sendReport(c, r)
}
