package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/live"
	"tether/server/store"
	"tether/templates"
)

// errInvite is what every unusable invitation gets: the same page whether
// the token never existed, expired or was used, so nothing leaks.
var errInvite = notFound("This invitation link is not valid. It may have expired or already been used. Ask your support engineer for a new one.")

// customerSession resolves the invitation in the URL, with its provider and
// engineer, refusing ones that can no longer be used.
func (s *Server) customerSession(c echo.Context, allowEnded bool) (store.Session, string, store.Provider, store.User, error) {
	ctx := c.Request().Context()
	sess, source, err := s.lookupToken(ctx, c.Param("token"))
	if errors.Is(err, store.ErrNotFound) {
		return sess, "", store.Provider{}, store.User{}, errInvite
	}
	if err != nil {
		return sess, "", store.Provider{}, store.User{}, err
	}
	if (sess.State == store.StateEnded && !allowEnded) || (sess.State == store.StateWaiting && !s.Now().Before(sess.ExpiresAt)) {
		return sess, "", store.Provider{}, store.User{}, errInvite
	}
	p, err := s.Store.ProviderByID(ctx, sess.ProviderID)
	if err != nil {
		return sess, "", p, store.User{}, err
	}
	u, err := s.Store.UserByID(ctx, sess.ProviderID, sess.EngineerID)
	return sess, source, p, u, err
}

func (s *Server) invitePage(c echo.Context) error {
	// A used (ended) invitation answers like a wrong one; a page that is
	// still open learns of the end over its live connection.
	sess, _, p, eng, err := s.customerSession(c, false)
	if err != nil {
		return err
	}
	tok := c.Param("token")
	v := templates.Invite{
		Page: s.page(c, "Remote support", brandOf(p)), Token: tok,
		Engineer: eng.Name, CustomerName: sess.CustomerName, State: string(sess.State), Level: sess.ConsentLevel,
		Downloads: s.downloads(tok, c.Request().UserAgent()), WSURL: "/ws/invite/" + tok, Expires: sess.ExpiresAt.Local(),
	}
	return s.render(c, http.StatusOK, templates.InviteView(v))
}

// consentRequest is the consent page's JSON body.
type consentRequest struct {
	ConsentKey string `json:"consent_key"`
	Level      string `json:"level"`
}

func (s *Server) inviteConsent(c echo.Context) error {
	sess, _, _, _, err := s.customerSession(c, false)
	if err != nil {
		return err
	}
	var req consentRequest
	if err := c.Bind(&req); err != nil {
		return badRequest("The request was not understood.")
	}
	if req.Level != "view" && req.Level != "control" && req.Level != "deny" {
		return badRequest("Choose view only, full control or deny.")
	}
	if !s.Live.CheckConsentKey(sess.ID, req.ConsentKey) {
		return &httpError{status: http.StatusForbidden, heading: "Not allowed", message: "Approve from the page the support program opened on your computer."}
	}
	_, err = s.Live.Consent(c.Request().Context(), sess.ID, req.Level, true)
	if errors.Is(err, live.ErrNoAgent) {
		return &httpError{status: http.StatusConflict, heading: "Not connected", message: "The support program is not running any more. Start it again."}
	}
	if errors.Is(err, store.ErrInvalidTransition) {
		return &httpError{status: http.StatusConflict, heading: "Too late", message: "This session has already ended."}
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) inviteStop(c echo.Context) error {
	sess, _, _, _, err := s.customerSession(c, true)
	if err != nil {
		return err
	}
	if _, _, err := s.Live.End(c.Request().Context(), sess.ID, live.ReasonCustomerStop, store.ActorCustomer); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// agentBuild is one agent binary the server can hand out.
type agentBuild struct {
	os, arch, label, file, download string
}

var agentBuilds = []agentBuild{
	{"windows", "amd64", "Windows (64-bit)", "tether-agent-windows-amd64.exe", "TetherSupport.exe"},
	{"linux", "amd64", "Linux (x86-64)", "tether-agent-linux-amd64", "tether-support"},
	{"linux", "arm64", "Linux (ARM 64-bit)", "tether-agent-linux-arm64", "tether-support"},
}

// downloads lists the agents that exist, the one for the visitor's OS first.
func (s *Server) downloads(token, userAgent string) []templates.AgentDownload {
	guess := guessPlatform(userAgent)
	var out []templates.AgentDownload
	for _, b := range agentBuilds {
		st, err := s.assets.stat("build/agents/" + b.file)
		if err != nil {
			continue
		}
		d := templates.AgentDownload{OS: b.os, Arch: b.arch, Label: b.label, FileName: b.download,
			URL: "/i/" + token + "/agent/" + b.os + "-" + b.arch, Size: st.Size()}
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
