package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// errInvite is what every unusable invitation gets: the same page whether
// the token never existed, expired or was used, so nothing leaks.
var errInvite = sayError(http.StatusNotFound, "customer_error_404_heading", "customer_invite_invalid")

// invitation is a customer's session as the invitation link in the URL
// names it.
type invitation struct {
	Session store.Session
	// Source is how the customer came (protocol.Source...).
	Source   string
	Provider store.Provider
	// Engineer is who helps; zero while the request waits in a desk's queue.
	Engineer store.User
	// Site is the address the page was asked for on; links it makes keep to it.
	Site site
	// Base is the invitation's own path on that address: links append to it.
	Base string
}

// customerSession resolves the invitation in the URL, with its provider and
// engineer, refusing ones that can no longer be used, and ones asked for on
// another provider's address.
func (s *Server) customerSession(c echo.Context, allowEnded bool) (invitation, error) {
	ctx := c.Request().Context()
	st, err := s.siteOf(c)
	if err != nil {
		return invitation{}, err
	}
	sess, source, err := s.Live.SessionByToken(ctx, c.Param("token"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !st.owns(sess.ProviderID)) {
		return invitation{}, errInvite
	}
	if err != nil {
		return invitation{}, err
	}
	if (sess.State == store.StateEnded && !allowEnded) || (sess.State == store.StateWaiting && !s.Now().Before(sess.ExpiresAt)) {
		return invitation{}, errInvite
	}
	inv := invitation{Session: sess, Source: source, Site: st, Base: st.Prefix + "/i/" + c.Param("token")}
	if inv.Provider, err = s.Store.ProviderByID(ctx, sess.ProviderID); err != nil {
		return invitation{}, err
	}
	if inv.Provider.Disabled() {
		// The same on the server's own address as on the provider's: closed, not unknown.
		return invitation{}, errPortalClosed(inv.Provider)
	}
	if sess.EngineerID != "" {
		if inv.Engineer, err = s.Store.UserByID(ctx, sess.ProviderID, sess.EngineerID); err != nil {
			return invitation{}, err
		}
	}
	return inv, nil
}

func (s *Server) invitePage(c echo.Context) error {
	// An ended invitation leads to the report and the survey for
	// customerReportDays, then answers like a wrong one; a page that is
	// still open learns of the end over its live connection.
	inv, err := s.customerSession(c, true)
	if err != nil {
		return err
	}
	sess, p, eng := inv.Session, inv.Provider, inv.Engineer
	if sess.State == store.StateEnded && !s.customerReportOpen(sess) {
		return errInvite
	}
	tok := c.Param("token")
	loc := s.localizer(c, "", p.DefaultLanguage)
	v := templates.Invite{
		Page: s.customerPage(c, "customer_title_invite", brandOf(p), p.DefaultLanguage), Token: tok, Base: inv.Base,
		Engineer: eng.Name, CustomerName: sess.CustomerName, State: string(sess.State), Grants: sess.Grants.Names(),
		GrantLabels: grantLabelsJSON(loc), Sentence: grantSentence(loc, eng.Name, sess.Grants), Words: inviteWords(loc, p.Name),
		Downloads: s.downloads(loc, inv.Base, p.Name, c.Request().UserAgent()), WSURL: inv.Site.Prefix + "/ws/invite/" + tok, Expires: sess.ExpiresAt,
		ReportURL: inv.Base + "/report", Rated: sess.RatedAt != nil, Contact: loc.T("customer_report_recording", map[string]any{"Provider": p.Name}), MaxComment: store.MaxRatingComment,
		WindowsFile: agentFileName(p.Name, "windows"), LinuxFile: agentFileName(p.Name, "linux"),
		VerifyURL: s.verifyURL(inv.Site, p, sess.Code),
	}
	if v.Recorded, err = s.customerTold(c, sess, p); err != nil {
		return err
	}
	if v.Request, err = s.requestWait(c, inv); err != nil {
		return err
	}
	if v.Request != nil {
		v.Request.Reason = locales.CustomerEndReason(loc.T, v.Request.Reason)
		// Nobody accepted the request yet: the page speaks of "an engineer" until one does.
		v.Engineer, v.Sentence = loc.T("customer_an_engineer"), grantSentence(loc, loc.T("customer_the_engineer"), sess.Grants)
	}
	if v.Request == nil && eng.ID != "" {
		v.Helper = engineerCard(eng)
	}
	return s.render(c, http.StatusOK, templates.InviteView(v))
}

// inviteConsent answers what older invitation pages (and anyone forging
// one) post: consent is given only in the support program on the
// customer's computer, never through the server.
func (s *Server) inviteConsent(c echo.Context) error {
	s.Log.Warn("consent posted to the server refused", "addr", c.RealIP())
	return sayError(http.StatusGone, "customer_invite_approve_heading", "customer_consent_not_here")
}

func (s *Server) inviteStop(c echo.Context) error {
	inv, err := s.customerSession(c, true)
	if err != nil {
		return err
	}
	if _, _, err := s.Live.End(c.Request().Context(), inv.Session.ID, protocol.EndCustomerStopped, store.ActorCustomer); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// agentBuild is one agent binary the server can hand out; it downloads under the provider's name
// (agentFileName).
type agentBuild struct {
	os, arch, file string
}

var agentBuilds = []agentBuild{
	{"windows", "amd64", "tether-agent-windows-amd64.exe"},
	{"linux", "amd64", "tether-agent-linux-amd64"},
	{"linux", "arm64", "tether-agent-linux-arm64"},
}

// downloads lists the agents that exist, the one for the visitor's OS first, named after the provider.
func (s *Server) downloads(loc locales.Localizer, base, provider, userAgent string) []templates.AgentDownload {
	guess := guessPlatform(userAgent)
	var out []templates.AgentDownload
	for _, b := range agentBuilds {
		st, err := s.assets.stat("build/agents/" + b.file)
		if err != nil {
			continue
		}
		d := templates.AgentDownload{OS: b.os, Arch: b.arch, Label: agentLabel(loc, b.os, b.arch), FileName: agentFileName(provider, b.os),
			URL: base + "/agent/" + b.os + "-" + b.arch, Size: st.Size()}
		if b.os+"-"+b.arch == guess {
			out = append([]templates.AgentDownload{d}, out...)
		} else {
			out = append(out, d)
		}
	}
	return out
}

// guessPlatform reads the OS and CPU from a User-Agent header. Browsers
// freeze parts of it, so it is a hint for ordering, never a restriction.
func guessPlatform(ua string) string {
	ua = strings.ToLower(ua)
	switch {
	case strings.Contains(ua, "windows"):
		return "windows-amd64"
	case strings.Contains(ua, "linux") && (strings.Contains(ua, "aarch64") || strings.Contains(ua, "arm64")):
		return "linux-arm64"
	case strings.Contains(ua, "linux") || strings.Contains(ua, "x11"):
		return "linux-amd64"
	}
	return "windows-amd64"
}
