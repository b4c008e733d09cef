package web

import (
	"maps"
	"time"

	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"tether/server/auth"

	"tether/server/store"
)

// routeRule says how the isolation walk treats one route: which of the first provider's values fill its
// parameters, and who asks for it (the second provider's owner, or a visitor on the second provider's
// address). A route the walk does not know fails the test, so every new route is classified here.
type routeRule struct {
	// why a route is left out: it names nothing that belongs to a provider.
	skip string
	// onOtherSite asks on the second provider's address (/p/{its subdomain}/…) as a visitor, for the
	// routes customers and agents reach; otherwise the second provider's owner asks on the server's own
	// address.
	onOtherSite bool
	// ids names what the route's parameters are: "" a session (its id, invitation token, screenshot
	// number), "user", "invite", "provider", "join" (an invitation to the team), "reset" (a password
	// reset link), "apitoken" (an API token's id), "crm" (a session's permanent console link).
	ids string
	// bearer asks with the second provider's API token instead of its owner's sign-in (the session API).
	bearer bool
}

// isolationRules classifies every route by method and path.
var isolationRules = map[string]routeRule{
	"GET /healthz":  {skip: "health check"},
	"GET /readyz":   {skip: "readiness check"},
	"GET /metrics":  {skip: "server-wide counters, loopback or token only"},
	"GET /static/*": {skip: "static files"},
	"GET /setup":    {skip: "one-time installation setup"},
	"POST /setup":   {skip: "one-time installation setup"},
	"GET /login":    {skip: "sign-in form"},
	"POST /login":   {skip: "sign-in"},
	"POST /logout":  {skip: "sign-out"},
	"GET /":         {skip: "code page: takes no id"},
	"GET /code":     {skip: "code page: takes no id"},
	"POST /code":    {skip: "checked by TestPortalAddresses: another provider's code is invalid on an address"},
	"GET /console":  {skip: "the signed-in provider's own list"},

	"GET /console/sessions": {skip: "the signed-in provider's own list"},
	"POST /sessions":        {skip: "creates in the signed-in provider"},
	"GET /settings":         {skip: "the signed-in provider's own settings"},
	"POST /settings":        {skip: "the signed-in provider's own settings"},
	"GET /ws/console":       {skip: "the signed-in provider's own live list"},
	"GET /ws/agent":         {skip: "the agent proves its invitation token inside the socket (live tests)"},

	"GET /sessions/:id":                   {},
	"GET /sessions/:id/view":              {},
	"GET /sessions/:id/events.csv":        {},
	"GET /sessions/:id/events.json":       {},
	"POST /sessions/:id/end":              {},
	"POST /sessions/:id/summary":          {},
	"GET /sessions/:id/report":            {},
	"GET /sessions/:id/report/download":   {},
	"POST /sessions/:id/screenshots":      {},
	"GET /sessions/:id/screenshots/:n":    {},
	"POST /sessions/:id/recording/chunks": {},
	"GET /sessions/:id/recording":         {},
	"GET /sessions/:id/recording/data":    {},
	"GET /sessions/:id/terminate":         {},
	"POST /sessions/:id/terminate":        {},
	"GET /history":                        {skip: "the signed-in provider's own list"},
	"GET /history.csv":                    {skip: "the signed-in provider's own list"},
	"GET /ws/viewer/:id":                  {},
	"GET /i/:token":                       {onOtherSite: true},
	"GET /i/:token/agent/:platform":       {onOtherSite: true},
	"POST /i/:token/consent":              {skip: "refuses every request alike: consent is given on the customer's computer"},
	"POST /i/:token/stop":                 {onOtherSite: true},
	"POST /i/:token/survey":               {onOtherSite: true},
	"GET /i/:token/report":                {onOtherSite: true},
	"GET /i/:token/report/download":       {onOtherSite: true},
	"GET /i/:token/screenshots/:n":        {onOtherSite: true},
	"GET /ws/invite/:token":               {onOtherSite: true},

	"POST /login/choose":                   {skip: "a signed choice between the asker's own accounts (TestSignInChooserForOneEmailAtTwoProviders)"},
	"GET /switch":                          {skip: "the signed-in person's own accounts"},
	"GET /signup":                          {skip: "creates a new provider"},
	"POST /signup":                         {skip: "creates a new provider"},
	"GET /signup/confirm/:token":           {skip: "the token names a pending sign-up, which belongs to no provider yet"},
	"POST /signup/confirm/:token":          {skip: "the token names a pending sign-up, which belongs to no provider yet"},
	"GET /welcome/:token":                  {skip: "the token is the only key: a new owner's one-time password link, on the server's own address"},
	"POST /welcome/:token":                 {skip: "the token is the only key: a new owner's one-time password link, on the server's own address"},
	"GET /operator":                        {skip: "the operator's own page; every operator route answers others 404 (TestOperatorPageIsTheOperatorsOnly)"},
	"POST /operator/signup":                {skip: "server-wide switch, operator only (TestOperatorPageIsTheOperatorsOnly)"},
	"POST /operator/providers":             {skip: "creates a provider, operator only (TestOperatorPageIsTheOperatorsOnly)"},
	"GET /operator/providers/:id":          {ids: "provider"},
	"POST /operator/providers/:id/quotas":  {ids: "provider"},
	"POST /operator/providers/:id/disable": {ids: "provider"},
	"POST /operator/providers/:id/enable":  {ids: "provider"},

	"GET /settings/team":                     {skip: "the signed-in provider's own people"},
	"POST /settings/team/invites":            {skip: "invites into the signed-in provider"},
	"POST /settings/team/invites/:id/revoke": {ids: "invite"},
	"POST /settings/team/owner":              {ids: "user"},
	"POST /settings/team/:id/role":           {ids: "user"},
	"POST /settings/team/:id/deactivate":     {ids: "user"},
	"POST /settings/team/:id/reactivate":     {ids: "user"},
	"POST /settings/team/:id/reset":          {ids: "user"},
	"POST /settings/team/:id/2fa-off":        {ids: "user"},
	"GET /settings/branding":                 {skip: "the signed-in provider's own branding"},
	"POST /settings/branding":                {skip: "the signed-in provider's own branding"},
	"POST /settings/branding/remove":         {skip: "the signed-in provider's own branding"},
	"POST /settings/branding/language":       {skip: "the signed-in provider's own default customer language"},
	"GET /brand/:slug/logo":                  {skip: "public by design: what every customer of the subdomain sees"},
	"GET /brand/:slug/icon.ico":              {skip: "public by design: what every customer of the subdomain sees"},
	"GET /brand/:slug/theme.css":             {skip: "public by design: what every customer of the subdomain sees"},

	"POST /login/2fa":               {skip: "the signed step token names the account; a forged, expired or other browser's token is refused (TestTwoFactorSignIn)"},
	"GET /forgot":                   {skip: "takes no id"},
	"POST /forgot":                  {skip: "takes an email; on a provider's address only its own accounts get a link (TestForgotPassword)"},
	"GET /profile":                  {skip: "the signed-in user's own account"},
	"POST /profile":                 {skip: "the signed-in user's own account"},
	"POST /profile/photo":           {skip: "the signed-in user's own account"},
	"POST /profile/photo/remove":    {skip: "the signed-in user's own account"},
	"GET /photos/:name":             {skip: "public by design (customers check who helps them); the name is a random 160-bit token"},
	"POST /profile/password":        {skip: "the signed-in user's own account"},
	"GET /profile/2fa":              {skip: "the signed-in user's own account"},
	"POST /profile/2fa":             {skip: "the signed-in user's own account"},
	"POST /profile/2fa/recovery":    {skip: "the signed-in user's own account"},
	"POST /profile/2fa/disable":     {skip: "the signed-in user's own account"},
	"POST /profile/signins/others":  {skip: "the signed-in user's own sign-ins"},
	"POST /profile/signins/:id/end": {skip: "picks among the signed-in user's own sign-ins; any other id answers 404 (TestActiveSignIns)"},
	"POST /profile/delete":          {skip: "the signed-in user's own account"},

	"GET /settings/desks":             {skip: "the signed-in provider's own desks"},
	"POST /settings/desks":            {skip: "creates in the signed-in provider"},
	"GET /settings/desks/:id":         {ids: "desk"},
	"POST /settings/desks/:id":        {ids: "desk"},
	"POST /settings/desks/:id/delete": {ids: "desk"},

	"POST /console/notifications": {skip: "the signed-in user's own notification choices; takes no id (TestNotifyPrefsSaved)"},

	"GET /console/requests":     {skip: "the signed-in provider's own queue"},
	"GET /help":                 {skip: "the portal's Get help form: takes no id; the address names the provider"},
	"POST /help":                {skip: "creates a request in the address's provider (TestGetHelpCreatesRequest)"},
	"POST /sessions/:id/accept": {},

	"GET /join/:token":   {onOtherSite: true, ids: "join"},
	"POST /join/:token":  {onOtherSite: true, ids: "join"},
	"GET /reset/:token":  {onOtherSite: true, ids: "reset"},
	"POST /reset/:token": {onOtherSite: true, ids: "reset"},

	"GET /settings/widget":  {skip: "the signed-in provider's own widget settings"},
	"POST /settings/widget": {skip: "the signed-in provider's own widget settings"},
	"GET /widget":           {skip: "the widget of the address asked on; takes no id (TestWidgetFrameAncestors: another provider's origins are not listed)"},
	"POST /widget/code":     {skip: "checked by TestWidgetCodeEndpoint: another provider's code is invalid in a provider's widget"},
	"OPTIONS /widget/code":  {skip: "CORS preflight: takes no id, answers only the address's own allowed origins (TestWidgetCodeEndpoint)"},

	"GET /settings/api":                    {skip: "the signed-in provider's own tokens and webhook"},
	"POST /settings/api/tokens":            {skip: "creates in the signed-in provider"},
	"POST /settings/api/tokens/:id/revoke": {ids: "apitoken"},
	"POST /settings/api/webhook":           {skip: "the signed-in provider's own webhook"},
	"POST /settings/api/webhook/rotate":    {skip: "the signed-in provider's own webhook"},
	"POST /settings/api/webhook/delete":    {skip: "the signed-in provider's own webhook"},
	"GET /api/v1/openapi.json":             {skip: "the API's public contract"},
	"POST /api/v1/sessions":                {skip: "creates in the token's provider; another provider's engineer_id and desk_id answer 404 in TestAPISessionsMatchOpenAPI"},
	"GET /api/v1/sessions/:id":             {bearer: true},
	"GET /go/:ref":                         {ids: "crm"},

	"GET /verify":                {skip: "the address's own verification page: another provider's employee number and code are not found there (TestVerifyAnotherProvidersEngineerNotFound)"},
	"GET /verify/photo/:ref":     {onOtherSite: true, ids: "photo"},
	"POST /console/tour/dismiss": {skip: "the signed-in user's own tour"},
	"GET /manifest.webmanifest":  {skip: "the console's web app manifest: the same for everyone"},
	"GET /sw.js":                 {skip: "the console's service worker: the same for everyone"},
	"GET /offline":               {skip: "the offline page: the same for everyone"},
}

var routeParam = regexp.MustCompile(`:[a-z_]+`)

// TestTenantIsolationWalk walks every route of the route table with the ids of one provider, asked by
// another provider (its owner, or a visitor on its address), and proves each answers 404 and changes
// nothing.
func TestTenantIsolationWalk(t *testing.T) {
	h := newHarness(t)
	acme := h.signedUp("Acme", "erin@acme.test")
	id, token := h.newSession(acme, "Maria Lopez")
	ctx := context.Background()
	_, gus, err := h.st.CreateProviderWithOwner(ctx, "Globex", "Gus", "gus@globex.test", "h")
	if err != nil {
		t.Fatal(err)
	}
	globex := h.browser()
	if err := h.srv.startLoginFor(globex, gus); err != nil {
		t.Fatal(err)
	}
	acmeID := mustProvider(t, h, id)
	desk, err := h.st.DefaultDesk(ctx, acmeID)
	if err != nil {
		t.Fatal(err)
	}
	erin, err := userByEmail(h.st, "erin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	eve, err := h.st.CreateUser(ctx, store.User{ProviderID: acmeID, Email: "eve@acme.test", Name: "Eve", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	joinToken, resetToken := auth.NewToken(), auth.NewToken()
	invite, err := h.st.CreateInvite(ctx, store.NewInvite{ProviderID: acmeID, ActorID: erin.ID, Email: "finn@acme.test",
		TokenHash: auth.HashToken(joinToken), Expires: h.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.st.CreateReset(ctx, acmeID, erin.ID, eve.ID, auth.HashToken(resetToken), h.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	acmeToken, err := h.st.CreateAPIToken(ctx, store.APIToken{ProviderID: acmeID, Name: "Acme CRM", TokenHash: auth.HashToken(newAPIToken()), Hint: "abcd"})
	if err != nil {
		t.Fatal(err)
	}
	globexToken := newAPIToken()
	if _, err := h.st.CreateAPIToken(ctx, store.APIToken{ProviderID: gus.ProviderID, Name: "Globex CRM", TokenHash: auth.HashToken(globexToken), Hint: "wxyz"}); err != nil {
		t.Fatal(err)
	}
	// The first provider's values for every parameter a route may name, by what the route names.
	values := map[string]map[string]string{
		"":         {":id": id, ":token": token, ":n": "1", ":platform": "linux-amd64"},
		"user":     {":id": eve.ID},
		"invite":   {":id": invite.ID},
		"provider": {":id": acmeID},
		"desk":     {":id": desk.ID},
		"join":     {":token": joinToken},
		"reset":    {":token": resetToken},
		"apitoken": {":id": acmeToken.ID},
		"crm":      {":ref": strings.TrimPrefix(h.srv.consoleLink(id), h.srv.Config.BaseURL+"/go/")},
		"photo":    {":ref": photoRef(t, h, eve)},
	}
	// Forms carry the first provider's ids too, for the routes that take them from the body.
	form := url.Values{"summary": {"overwritten"}, "rating": {"1"}, "user": {eve.ID}, "role": {"admin"},
		"name": {"Mallory"}, "password": {"correct horse battery"}, "password2": {"correct horse battery"},
		"max_engineers": {"1"}, "max_sessions": {"1"}, "max_desks": {"1"}, "confirm": {"1"}, "members": {eve.ID},
		"allowed": {"view"}, "defaults": {"view"}}
	before, err := h.st.Events(ctx, acmeID, id)
	if err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	var walked []string
	for _, r := range h.srv.e.Routes() {
		path := strings.TrimPrefix(r.Path, sitePrefix)
		if path == "" {
			path = "/"
		}
		key := r.Method + " " + path
		if seen[key] || r.Method == "echo_route_not_found" {
			continue
		}
		seen[key] = true
		rule, ok := isolationRules[key]
		if !ok {
			t.Errorf("route %s is not classified in isolationRules: say how it is scoped", key)
			continue
		}
		if rule.skip != "" {
			continue
		}
		var missing []string
		target := routeParam.ReplaceAllStringFunc(path, func(p string) string {
			v, ok := values[rule.ids][p]
			if !ok {
				missing = append(missing, p)
			}
			return v
		})
		if len(missing) > 0 {
			t.Errorf("route %s: no first-provider value for %v", key, missing)
			continue
		}
		who := globex
		if rule.onOtherSite {
			target = "/p/globex" + target
			who = h.browser()
			if code, _, _ := who.get("/p/globex/"); code != http.StatusOK {
				t.Fatalf("the other provider's portal: %d", code)
			}
		} else {
			who.get("/console")
		}
		var code int
		var body string
		switch {
		case rule.bearer:
			code, body = bearerGet(t, h, globexToken, target)
		case r.Method == http.MethodGet:
			code, body, _ = who.get(target)
		case r.Method == http.MethodPost:
			code, body, _ = who.post(target, maps.Clone(form))
		default:
			t.Errorf("route %s: the walk knows no %s", key, r.Method)
			continue
		}
		if code != http.StatusNotFound {
			t.Errorf("%s %s as the other provider: %d, want 404: %.200s", r.Method, target, code, body)
		}
		walked = append(walked, key)
	}
	for key := range isolationRules {
		if !seen[key] {
			t.Errorf("isolationRules names %s, which is not a route any more", key)
		}
	}
	if _, err := h.st.APITokenByHash(ctx, acmeToken.TokenHash); err != nil {
		t.Errorf("the first provider's API token after the walk: %v", err)
	}
	sort.Strings(walked)
	t.Logf("walked %d routes with another provider's ids:\n%s", len(walked), strings.Join(walked, "\n"))

	// Nothing changed: the session is live and has the same events, the people and the provider are
	// as they were.
	after, err := h.st.Events(ctx, acmeID, id)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := h.st.SessionByIDUnscoped(ctx, id)
	if err != nil || sess.State == store.StateEnded || sess.Summary != "" || len(after) != len(before) {
		t.Errorf("after the walk: state %s, summary %q, events %d → %d, %v", sess.State, sess.Summary, len(before), len(after), err)
	}
	if u, err := h.st.UserByID(ctx, acmeID, eve.ID); err != nil || u.Disabled() || u.Role != store.RoleEngineer || u.PasswordHash != "h" {
		t.Errorf("after the walk: Eve is %+v, %v", u, err)
	}
	if p, err := h.st.ProviderByID(ctx, acmeID); err != nil || p.Disabled() || p.Quotas != (store.Quotas{}) {
		t.Errorf("after the walk: Acme is %+v, %v", p, err)
	}
	if d, err := h.st.DeskByID(ctx, acmeID, desk.ID); err != nil || d.Name != desk.Name {
		t.Errorf("after the walk: Acme's desk is %+v, %v", d, err)
	}
}

// bearerGet asks the session API with an API token.
func bearerGet(t *testing.T, h *harness, token, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
