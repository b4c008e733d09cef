package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/store"
	"tether/templates"
)

// The website widget: a provider's code-entry box, framed by the provider's own website. The frame is
// third-party there, so the widget works without cookies: its script posts the code to /widget/code
// (same origin as the frame, no CSRF cookie needed: the endpoint acts for nobody signed in, and accepts
// only its own origin and the provider's allowed ones), gets the invitation's address back as JSON and
// sends the top window there. Without script, the form posts to the same endpoint with target=_top and
// the answer is a redirect. See docs/security.md, "Website widget".

// errNoWidget answers the widget on the server's own address: the widget is always a provider's.
var errNoWidget = sayError(http.StatusNotFound, "customer_error_404_heading", "customer_widget_not_here")

// widgetPage is the framed code-entry box. Its Content-Security-Policy lets the provider's allowed
// origins frame it (and Tether's own pages, for the admin preview); X-Frame-Options, which cannot name
// origins, is dropped for this page alone.
func (s *Server) widgetPage(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	if !st.Own() {
		return errNoWidget
	}
	s.allowFraming(c, st.Provider)
	return s.render(c, http.StatusOK, templates.WidgetView(s.widgetBox(c, st)))
}

func (s *Server) widgetBox(c echo.Context, st site) templates.WidgetBox {
	v := templates.WidgetBox{Page: s.customerPage(c, "customer_title_invite", brandOf(st.Provider), st.Provider.DefaultLanguage), Action: st.Prefix + "/widget/code"}
	if st.Provider.WidgetHelp {
		v.HelpURL = s.providerURL(st.Provider) + "/help?from=widget"
	}
	return v
}

// widgetAncestors is the frame-ancestors source list for a provider's widget: Tether's own addresses
// (the widget's own, the server's and the provider's, for the admin page's preview) and the origins the
// provider allowed.
func (s *Server) widgetAncestors(p store.Provider) string {
	list := []string{"'self'"}
	for _, o := range append([]string{originOf(s.Config.BaseURL), originOf(s.providerURL(p))}, p.Origins()...) {
		if o != "" && !slices.Contains(list, o) {
			list = append(list, o)
		}
	}
	return strings.Join(list, " ")
}

func (s *Server) allowFraming(c echo.Context, p store.Provider) {
	h := c.Response().Header()
	h.Del(echo.HeaderXFrameOptions)
	h.Set(echo.HeaderContentSecurityPolicy, strings.Replace(contentSecurityPolicy, "frame-ancestors 'none'", "frame-ancestors "+s.widgetAncestors(p), 1))
}

// originOf is the origin (scheme://host[:port]) of an absolute URL; "" if it has none.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// ownOrigin reports whether origin is one of Tether's own addresses for this request: the one it came
// to, the server's, or the provider's.
func (s *Server) ownOrigin(c echo.Context, p store.Provider, origin string) bool {
	origin = strings.ToLower(origin)
	for _, o := range []string{c.Scheme() + "://" + c.Request().Host, originOf(s.Config.BaseURL), originOf(s.providerURL(p))} {
		if o != "" && strings.ToLower(o) == origin {
			return true
		}
	}
	return false
}

// widgetAnswer is what /widget/code answers a script: where to send the customer, or why not.
type widgetAnswer struct {
	URL   string `json:"url,omitempty"`
	Error string `json:"error,omitempty"`
}

// maxWidgetBody bounds what /widget/code reads: a code and little else.
const maxWidgetBody = 1 << 10

// widgetCode redeems a code typed into the widget (or a script-free form on the provider's website)
// and leads to the invitation page under the session's widget token, so the session records that the
// customer came through the website. A script (Accept: application/json) gets {"url"} or {"error"}; a
// form gets a redirect, or the code page with the reason.
func (s *Server) widgetCode(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	if !st.Own() {
		return errNoWidget
	}
	req := c.Request()
	asJSON := acceptsJSON(req)
	origin := req.Header.Get(echo.HeaderOrigin)
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderOrigin)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	loc := s.localizer(c, "", st.Provider.DefaultLanguage)
	refuse := func(status int, message string) error {
		if asJSON {
			return c.JSON(status, widgetAnswer{Error: message})
		}
		v := s.codeEntry(c, st)
		v.Action, v.Error = st.Prefix+"/widget/code", message
		return s.render(c, status, templates.CodeView(v))
	}
	// A browser names the page that sent the code. Another website than the provider's allowed ones
	// is refused, whatever it sends; a client that names no origin is no browser, and a page it could
	// attack does not exist (this endpoint acts for nobody signed in).
	if origin != "" && !s.ownOrigin(c, st.Provider, origin) {
		if !st.Provider.AllowsOrigin(origin) {
			s.Log.Info("widget code from an origin not allowed", "provider", st.Provider.ID, "origin", origin)
			return refuse(http.StatusForbidden, loc.T("customer_widget_origin", map[string]any{"Provider": st.Provider.Name, "URL": s.providerURL(st.Provider)}))
		}
		c.Response().Header().Set(echo.HeaderAccessControlAllowOrigin, origin)
	}
	typed, err := widgetTypedCode(req)
	if err != nil {
		return refuse(http.StatusBadRequest, loc.T("customer_code_type"))
	}
	sess, no, err := s.redeemCode(c, st, typed)
	if err != nil {
		return err
	}
	if no != nil {
		return refuse(no.status, loc.T(no.message))
	}
	tok := s.widgetToken(sess.ID)
	err = s.Store.SetWidgetToken(req.Context(), st.Provider.ID, sess.ID, auth.HashToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		// Taken or ended between the lookup and now.
		return refuse(errCodeInvalid.status, loc.T(errCodeInvalid.message))
	}
	if err != nil {
		return err
	}
	if asJSON {
		return c.JSON(http.StatusOK, widgetAnswer{URL: s.providerURL(st.Provider) + "/i/" + tok})
	}
	return c.Redirect(http.StatusSeeOther, st.Prefix+"/i/"+tok)
}

// widgetPreflight answers a CORS preflight for /widget/code: allowed only to the provider's listed
// origins. A script sends the code as a form with Accept: application/json and needs no preflight;
// one that sends JSON does.
func (s *Server) widgetPreflight(c echo.Context) error {
	st, err := s.siteOf(c)
	if err != nil {
		return err
	}
	if !st.Own() {
		return errNoWidget
	}
	origin := c.Request().Header.Get(echo.HeaderOrigin)
	h := c.Response().Header()
	h.Add(echo.HeaderVary, echo.HeaderOrigin)
	if origin == "" || !st.Provider.AllowsOrigin(origin) {
		return c.NoContent(http.StatusForbidden)
	}
	h.Set(echo.HeaderAccessControlAllowOrigin, origin)
	h.Set(echo.HeaderAccessControlAllowMethods, http.MethodPost)
	h.Set(echo.HeaderAccessControlAllowHeaders, "Content-Type, Accept")
	h.Set(echo.HeaderAccessControlMaxAge, "600")
	return c.NoContent(http.StatusNoContent)
}

// acceptsJSON: the caller is a script that wants JSON back.
func acceptsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get(echo.HeaderAccept), ",") {
		if t, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && t == echo.MIMEApplicationJSON {
			return true
		}
	}
	return false
}

// widgetTypedCode reads the code from a form or a JSON body {"code": "..."}.
func widgetTypedCode(r *http.Request) (string, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxWidgetBody)
	if t, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); t == echo.MIMEApplicationJSON {
		var in struct {
			Code string `json:"code"`
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(b, &in); err != nil {
			return "", err
		}
		return in.Code, nil
	}
	if err := r.ParseForm(); err != nil {
		return "", err
	}
	return r.PostForm.Get("code"), nil
}
