package web

import (
	"encoding/json"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/protocol"
	"tether/static/locales"
	"tether/templates"
)

// Customer pages speak the customer's language: the one chosen with the switcher (?lang=, remembered),
// else the browser's (Accept-Language), else the provider's default customer language, else English.
// The provider's own words (name, welcome, contact) stay as the provider wrote them.

// customerPage is the layout's model of a page customers read, titled by the message titleID.
func (s *Server) customerPage(c echo.Context, titleID string, brand templates.Brand, fallback string) templates.Page {
	p := s.page(c, "", brand)
	loc := s.localizer(c, "", fallback)
	p.Lang, p.T = loc.Lang(), loc.T
	return p.WithTitle(titleID)
}

// siteLanguage is the default customer language of the provider whose address the request came to; ""
// on the server's own address.
func (s *Server) siteLanguage(c echo.Context) string {
	st, err := s.siteOf(c)
	if err != nil || !st.Own() {
		return ""
	}
	return st.Provider.DefaultLanguage
}

// sayError is an error a customer reads, in their language: heading and message are message ids,
// translated by handleError.
func sayError(status int, headingID, messageID string, data ...map[string]any) error {
	e := &httpError{status: status, heading: headingID, message: messageID, say: true}
	if len(data) > 0 {
		e.sayData = data[0]
	}
	return e
}

// said is he's heading and message in the visitor's language when they are message ids.
func (s *Server) said(c echo.Context, he *httpError) (string, string) {
	if !he.say {
		return he.heading, he.message
	}
	loc := s.localizer(c, "", s.siteLanguage(c))
	return loc.T(he.heading), loc.T(he.message, he.sayData)
}

// grantSentence says what the engineer may do: "Erin can see your screen and use your mouse and
// keyboard." static/js/invite.js words it the same, from inviteWords.
func grantSentence(loc locales.Localizer, engineer string, g protocol.Grants) string {
	var labels []string
	for _, n := range g.Names() {
		labels = append(labels, loc.Grant(n))
	}
	if len(labels) == 0 {
		return ""
	}
	return loc.T("customer_can", map[string]any{"Engineer": engineer, "Things": loc.List(labels)})
}

// grantLabelsJSON maps every grant's name to its label in loc's language, for the invitation page's script.
func grantLabelsJSON(loc locales.Localizer) string {
	m := map[string]string{}
	for _, n := range protocol.All().Names() {
		m[n] = loc.Grant(n)
	}
	return mustJSON(m)
}

// inviteWords are the sentences the invitation page's scripts (invite.js, request-wait.js) say, in the
// page's language; {name} marks what the script fills in.
func inviteWords(loc locales.Localizer, brand string) string {
	v := func(k string) string { return "{" + k + "}" }
	words := map[string]string{
		"engineer":       loc.T("customer_the_engineer"),
		"an_engineer":    loc.T("customer_an_engineer"),
		"error":          loc.T("customer_error_status", map[string]any{"Status": v("status")}),
		"can":            loc.T("customer_can", map[string]any{"Engineer": v("engineer"), "Things": v("things")}),
		"comma":          loc.T("customer_list_comma"),
		"and":            loc.T("customer_list_and"),
		"waiting":        loc.T("invite_waiting"),
		"joined":         loc.T("customer_status_joined"),
		"ended":          loc.T("customer_status_ended"),
		"ended_reason":   loc.T("customer_status_ended_reason", map[string]any{"Reason": v("reason")}),
		"stop_any_time":  loc.T("customer_stop_any_time"),
		"agent_lost":     loc.T("customer_agent_lost"),
		"paused":         loc.T("customer_paused", map[string]any{"Engineer": v("engineer")}),
		"estimate_none":  loc.T("customer_queue_estimate_none"),
		"estimate":       loc.T("customer_queue_estimate", map[string]any{"Minutes": v("n")}),
		"estimate_one":   loc.T("customer_queue_estimate_one"),
		"place_next":     loc.T("customer_queue_next"),
		"place_n":        loc.T("customer_queue_number", map[string]any{"Position": v("n")}),
		"place_unknown":  loc.T("customer_queue_in"),
		"request":        loc.T("customer_request_headline", map[string]any{"Provider": brand}),
		"nobody_title":   loc.T("customer_request_nobody_title"),
		"nobody_text":    loc.T("customer_request_nobody_text", map[string]any{"Provider": brand}),
		"closed_title":   loc.T("customer_request_closed_title"),
		"closed_text":    loc.T("customer_request_closed_text", map[string]any{"Reason": v("reason")}),
		"accepted_title": loc.T("customer_request_accepted_title", map[string]any{"Engineer": v("engineer"), "Provider": brand}),
		"accepted_text":  loc.T("customer_request_accepted_text", map[string]any{"Engineer": v("engineer")}),
		"ended_by":       loc.T("customer_reason_ended_by", map[string]any{"Name": v("name")}),
	}
	for _, r := range protocol.EndReasons() {
		words["reason:"+r] = locales.CustomerEndReason(loc.T, r)
	}
	return mustJSON(words)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Maps of strings always encode.
		return "{}"
	}
	return string(b)
}

// grantShorts names the grants in g as the report's table does ("View · Control"), in the page's language.
func grantShorts(page templates.Page, g protocol.Grants) string {
	var out []string
	for _, n := range g.Names() {
		switch n {
		case "view":
			out = append(out, page.Say("customer_grant_short_view"))
		case "control":
			out = append(out, page.Say("customer_grant_short_control"))
		case "limited":
			out = append(out, page.Say("customer_grant_short_limited"))
		case "clipboard":
			out = append(out, page.Say("customer_grant_short_clipboard"))
		case "files":
			out = append(out, page.Say("customer_grant_short_files"))
		default:
			out = append(out, n)
		}
	}
	return strings.Join(out, " · ")
}

// agentLabel is an agent build's button label in loc's language.
func agentLabel(loc locales.Localizer, os, arch string) string {
	switch os + "-" + arch {
	case "windows-amd64":
		return loc.T("customer_platform_windows")
	case "linux-amd64":
		return loc.T("customer_platform_linux")
	case "linux-arm64":
		return loc.T("customer_platform_linux_arm")
	}
	return os + " " + arch
}
