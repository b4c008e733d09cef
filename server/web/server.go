// Package web is Tether's HTTP side: one route table, one file per action,
// one error handler.
package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"tether/server/blob"
	"tether/server/config"
	"tether/server/live"
	"tether/server/mail"
	"tether/server/metrics"
	"tether/server/recording"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// Accounts is what sign-in and setup need from the database.
type Accounts interface {
	HasProvider(ctx context.Context) (bool, error)
	SetUp(ctx context.Context, providerName, ownerName, email, passwordHash string) (store.Provider, store.User, error)
	UsersByEmail(ctx context.Context, email string) ([]store.User, error)
	UserByID(ctx context.Context, providerID, id string) (store.User, error)
	ProviderByID(ctx context.Context, id string) (store.Provider, error)
	ProviderBySlug(ctx context.Context, slug string) (store.Provider, error)
	ProviderByFormerSlug(ctx context.Context, slug string) (store.Provider, error)
	SetPolicy(ctx context.Context, providerID string, p store.Policy) error
	CreateLogin(ctx context.Context, tokenHash, userID string, expires time.Time) error
	LoginUser(ctx context.Context, tokenHash string) (store.User, time.Time, error)
	DeleteLogin(ctx context.Context, tokenHash string) error
}

// Sessions is what the engineer's pages need from the database.
type Sessions interface {
	DefaultDesk(ctx context.Context, providerID string) (store.Desk, error)
	CreateSession(ctx context.Context, n store.NewSession) (store.Session, error)
	SessionByID(ctx context.Context, providerID, id string) (store.Session, error)
	SessionByCode(ctx context.Context, code string) (store.Session, error)
	ListSessions(ctx context.Context, providerID string, f store.ListFilter) ([]store.Session, error)
	Events(ctx context.Context, providerID, sessionID string) ([]store.Event, error)
	SetSummary(ctx context.Context, providerID, id, userID, text string) (store.Session, error)
	Rate(ctx context.Context, id string, rating int, comment string) (store.Session, error)
	AddScreenshot(ctx context.Context, providerID, id, actor string, sh store.Screenshot) (store.Event, error)
	ScreenshotBySeq(ctx context.Context, providerID, id string, seq int64) (store.Event, store.Screenshot, error)
}

// Limits is where attempts are counted: in the database, so that every
// instance counts the same attempts.
type Limits interface {
	Allow(ctx context.Context, key string, r store.Rate) (bool, time.Duration, error)
	SignInLock(ctx context.Context, key string) (store.SignInFailures, error)
	RecordSignInFailure(ctx context.Context, key string, forget time.Duration, lock func(int) time.Duration) (store.SignInFailures, error)
	ClearSignInFailures(ctx context.Context, key string) error
}

// Team is what the team pages need from the database: people, invitations, password resets, roles.
type Team interface {
	TeamMembers(ctx context.Context, providerID string) ([]store.TeamMember, error)
	ProviderDesks(ctx context.Context, providerID string) ([]store.Desk, error)
	Invites(ctx context.Context, providerID string) ([]store.AccountToken, error)
	CreateInvite(ctx context.Context, n store.NewInvite) (store.AccountToken, error)
	RevokeInvite(ctx context.Context, providerID, actorID, id string) (store.AccountToken, error)
	AccountTokenByHash(ctx context.Context, kind store.TokenKind, tokenHash string) (store.AccountToken, error)
	AcceptInvite(ctx context.Context, tokenHash, name, passwordHash string) (store.User, error)
	CreateReset(ctx context.Context, providerID, actorID, targetID, tokenHash string, expires time.Time) (store.AccountToken, store.User, error)
	ResetPassword(ctx context.Context, tokenHash, passwordHash string) (store.User, []string, error)
	ChangeRole(ctx context.Context, providerID, actorID, targetID string, role store.Role) (store.User, error)
	TransferOwnership(ctx context.Context, providerID, actorID, targetID string) (store.User, error)
	DeactivateUser(ctx context.Context, providerID, actorID, targetID string) (store.User, []string, error)
	ReactivateUser(ctx context.Context, providerID, actorID, targetID string) (store.User, error)
	LiveSessionsOf(ctx context.Context, providerID, userID string) ([]string, error)
}

// Operator is what the operator's page, self-service sign-up and the owners' password links need.
type Operator interface {
	ListProviders(ctx context.Context) ([]store.ProviderSummary, error)
	CreateProviderWithOwner(ctx context.Context, providerName, ownerName, email, passwordHash string) (store.Provider, store.User, error)
	SetQuotas(ctx context.Context, providerID string, q store.Quotas) error
	DisableProvider(ctx context.Context, providerID string) ([]string, []store.Session, error)
	SetProviderDisabled(ctx context.Context, id string, disabled bool) error
	SignupOpen(ctx context.Context) (bool, error)
	SetSignupOpen(ctx context.Context, open bool) error
	CreateSignup(ctx context.Context, su store.Signup) error
	SignupByToken(ctx context.Context, tokenHash string) (store.Signup, error)
	ConfirmSignup(ctx context.Context, tokenHash string) (store.Provider, store.User, error)
	CreatePasswordLink(ctx context.Context, tokenHash, userID string, expires time.Time) error
	PasswordLinkUser(ctx context.Context, tokenHash string) (store.User, error)
}

// Widgets is what the website widget and its admin page need from the database.
type Widgets interface {
	SetWidget(ctx context.Context, providerID string, origins []string, help bool) error
	SetWidgetToken(ctx context.Context, providerID, sessionID, tokenHash string) error
}

// Desks is what the desks page and desk-scoped visibility need from the database.
type Desks interface {
	Desks(ctx context.Context, providerID string) ([]store.DeskSummary, error)
	DeskByID(ctx context.Context, providerID, id string) (store.Desk, error)
	DesksOf(ctx context.Context, providerID, userID string) ([]store.Desk, error)
	CreateDesk(ctx context.Context, providerID, name string) (store.Desk, error)
	RenameDesk(ctx context.Context, providerID, id, name string) (store.Desk, error)
	DeleteDesk(ctx context.Context, providerID, id string) error
	SetDeskMembers(ctx context.Context, providerID, deskID string, userIDs []string) error
	SetDeskTemplate(ctx context.Context, providerID, id string, t store.DeskTemplate) error
	DeskTemplateOf(ctx context.Context, providerID, deskID string) (store.DeskTemplate, error)
	SessionVisibleTo(ctx context.Context, providerID, userID, id string) (store.Session, error)
	DeskCandidates(ctx context.Context, providerID string) ([]store.User, error)
}

// API is what the session API and its admin page need from the database (api_*.go).
type API interface {
	CreateAPIToken(ctx context.Context, t store.APIToken) (store.APIToken, error)
	APITokens(ctx context.Context, providerID string) ([]store.APIToken, error)
	RevokeAPIToken(ctx context.Context, providerID, id string) (store.APIToken, error)
	APITokenByHash(ctx context.Context, tokenHash string) (store.APIToken, error)
	TouchAPIToken(ctx context.Context, id string) error
	UserByEmail(ctx context.Context, providerID, email string) (store.User, error)
	WebhookOf(ctx context.Context, providerID string) (store.Webhook, error)
	SetWebhook(ctx context.Context, providerID, url, secret string) (store.Webhook, error)
	DeleteWebhook(ctx context.Context, providerID string) error
	WebhookDeliveries(ctx context.Context, providerID string, limit int) ([]store.WebhookDelivery, error)
}

// Store is what the handlers need from the database.
type Store interface {
	Accounts
	Operator
	Sessions
	Desks
	Requests
	Limits
	Team
	Widgets
	API
	recording.Store
	Branding
	Verification
	Tours
	Profiles
	History
	Notifications
	CustomerLanguages
}

// Deps is everything the web layer is built from.
type Deps struct {
	Config config.Config
	Store  Store
	Live   *live.Service
	Log    *slog.Logger
	Now    func() time.Time
	// Static is css/, js/, img/, wasm_exec.js; Build is viewer.wasm and agents/.
	Static fs.FS
	Build  fs.FS
	// Secret derives invitation tokens from session ids (see inviteToken).
	Secret []byte
	// AgentKey signs the settings of every agent download (see agentDownload).
	AgentKey ed25519.PrivateKey
	// SetupToken allows the one-time setup while no provider exists.
	SetupToken string
	// SignInRecheck is how often a signed-in websocket checks that its
	// sign-in still holds (30 s when zero); sign-out closes it at once.
	SignInRecheck time.Duration
	// MaxSocketsPerAddr bounds the websockets one client address holds
	// open on this instance (128 when zero).
	MaxSocketsPerAddr int
	// Metrics counts refusals and serves /metrics; nil serves none.
	Metrics *metrics.Metrics
	// Blobs keeps screenshots and recordings (blob.NewDir under the data
	// folder, or any store every instance shares). Required.
	Blobs blob.Store
	// Recordings keeps session recordings in Blobs; New makes one when nil.
	Recordings *recording.Service
	// Mail sends invitations, confirmations and resets; nil when no SMTP
	// server is configured, and pages show the link to hand over instead.
	Mail mail.Sender
	// MetricsToken, when set, is the bearer token /metrics requires;
	// without it /metrics answers loopback clients only.
	MetricsToken string
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	e      *echo.Echo
	assets *assets
	agents map[string]int64 // key slot offset by file name under build/agents
	conns  *connCounter
	drain  drainer
	// brandCache keeps logos fitted for the agent and Windows agents
	// patched with providers' icons (agentbrand.go).
	brandCache agentBrandCache
}

// New builds the server and its route table.
func New(d Deps) (*Server, error) {
	if d.Blobs == nil {
		return nil, errors.New("web: Deps.Blobs is required")
	}
	if d.Recordings == nil {
		d.Recordings = recording.New(d.Store, d.Blobs, d.Log)
	}
	a, err := newAssets(d.Static, d.Build)
	if err != nil {
		return nil, err
	}
	if d.SignInRecheck <= 0 {
		d.SignInRecheck = 30 * time.Second
	}
	if d.MaxSocketsPerAddr <= 0 {
		d.MaxSocketsPerAddr = 128
	}
	s := &Server{Deps: d, assets: a, conns: newConnCounter(d.MaxSocketsPerAddr), drain: newDrainer()}
	if s.agents, err = s.indexAgents(); err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(d.Config.TrustedProxies)
	e.Use(middleware.Recover())
	e.Pre(limitBrandingBody)
	e.Use(s.refuseWhileDraining)
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "same-origin", ContentSecurityPolicy: contentSecurityPolicy,
	}))
	if d.Config.Secure() {
		// Browsers that saw the site once over https never try it in clear again.
		e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.Response().Header().Set("Strict-Transport-Security", "max-age=63072000")
				return next(c)
			}
		})
	}
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		CookieName:     "tether_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   d.Config.Secure(),
		CookieSameSite: http.SameSiteStrictMode,
		// A missing or stale token is almost always a form left open too
		// long or a cookie cleared; say so instead of echo's wording.
		ErrorHandler: func(err error, c echo.Context) error {
			return &httpError{status: http.StatusForbidden, heading: "Page expired",
				message: "This form has expired. Go back, reload the page and try again.", cause: err}
		},
		Skipper: func(c echo.Context) bool {
			p := strings.TrimPrefix(c.Path(), sitePrefix)
			// The widget's code endpoint is posted to from a third-party frame, which has no cookie:
			// it checks the Origin header instead (widgetCode).
			// The API authenticates every request with a bearer token and reads no cookie.
			if p == "/widget/code" || strings.HasPrefix(p, "/api/") {
				return true
			}
			return len(p) >= 4 && (p[:4] == "/ws/" || p == "/static/*" || p == "/healthz" || p == "/readyz" || p == "/metrics")
		},
	}))
	s.routes(e)
	s.e = e
	return s, nil
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.e }

func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics)
	e.GET("/static/*", s.static)
	e.GET("/manifest.webmanifest", s.manifest)
	e.GET("/sw.js", s.serviceWorker)
	e.GET(offlinePath, s.offlinePage)

	portal(e, http.MethodGet, "/", s.codePage)
	portal(e, http.MethodGet, "/code", s.codePage)
	portal(e, http.MethodPost, "/code", s.codeSubmit)
	portal(e, http.MethodGet, "/help", s.helpPage)
	portal(e, http.MethodPost, "/help", s.helpSubmit)
	e.GET("/setup", s.setupPage)
	e.POST("/setup", s.setupSubmit)
	portal(e, http.MethodGet, "/login", s.loginPage)
	portal(e, http.MethodPost, "/login", s.loginSubmit)
	e.POST("/logout", s.logout)
	e.POST("/login/choose", s.loginChoose)
	e.GET("/switch", s.signedIn(s.switchPage))
	e.GET("/signup", s.signupPage)
	e.POST("/signup", s.signupSubmit)
	e.GET("/signup/confirm/:token", s.signupConfirmPage)
	e.POST("/signup/confirm/:token", s.signupConfirm)
	e.GET("/welcome/:token", s.welcomePage)
	e.POST("/welcome/:token", s.welcomeSubmit)

	portal(e, http.MethodPost, "/login/2fa", s.loginSecond)
	portal(e, http.MethodGet, "/forgot", s.forgotPage)
	portal(e, http.MethodPost, "/forgot", s.forgotSubmit)
	e.GET("/profile", s.signedIn(s.profilePage))
	e.POST("/profile", s.signedIn(s.profileSubmit))
	e.POST("/profile/photo", s.signedIn(s.profilePhoto))
	e.POST("/profile/photo/remove", s.signedIn(s.profilePhotoRemove))
	e.GET("/photos/:name", s.photoShow)
	e.POST("/profile/password", s.signedIn(s.profilePassword))
	e.GET("/profile/2fa", s.signedIn(s.twoFactorEnrolPage))
	e.POST("/profile/2fa", s.signedIn(s.twoFactorConfirm))
	e.POST("/profile/2fa/recovery", s.signedIn(s.twoFactorRecovery))
	e.POST("/profile/2fa/disable", s.signedIn(s.twoFactorDisable))
	e.POST("/profile/signins/others", s.signedIn(s.profileSignInsOthers))
	e.POST("/profile/signins/:id/end", s.signedIn(s.profileSignInEnd))
	e.POST("/profile/delete", s.signedIn(s.profileDelete))

	e.GET("/console", s.signedIn(s.console))
	e.GET("/console/sessions", s.signedIn(s.consoleSessions))
	e.GET("/console/requests", s.signedIn(s.consoleRequests))
	e.POST("/console/notifications", s.signedIn(s.notifySave))
	e.POST("/sessions", s.signedIn(s.sessionCreate))
	e.GET("/sessions/:id", s.signedIn(s.sessionShow))
	e.GET("/sessions/:id/view", s.signedIn(s.sessionViewer))
	e.GET("/sessions/:id/events.csv", s.signedIn(s.sessionEventsCSV))
	e.GET("/sessions/:id/events.json", s.signedIn(s.sessionEventsJSON))
	e.POST("/sessions/:id/end", s.signedIn(s.sessionEnd))
	e.POST("/sessions/:id/accept", s.signedIn(s.requestAccept))
	e.POST("/sessions/:id/summary", s.signedIn(s.summarySave))
	e.GET("/sessions/:id/report", s.signedIn(s.sessionReport))
	e.GET("/sessions/:id/report/download", s.signedIn(s.sessionReport))
	e.POST("/sessions/:id/screenshots", s.signedIn(s.screenshotTake))
	e.GET("/sessions/:id/screenshots/:n", s.signedIn(s.screenshotShow))
	e.POST("/sessions/:id/recording/chunks", s.signedIn(s.recordingChunk))
	e.GET("/sessions/:id/recording", s.signedIn(s.recordingPage))
	e.GET("/sessions/:id/recording/data", s.signedIn(s.recordingData))
	e.GET("/history", s.signedIn(s.historyPage))
	e.GET("/history.csv", s.signedIn(s.historyCSV))
	e.GET("/sessions/:id/terminate", s.signedIn(s.historyTerminatePage))
	e.POST("/sessions/:id/terminate", s.signedIn(s.historyTerminate))
	e.GET("/settings", s.signedIn(admin(s.settingsPage)))
	e.POST("/settings", s.signedIn(admin(s.settingsSubmit)))
	e.GET("/settings/team", s.signedIn(admin(s.teamPage)))
	e.POST("/settings/team/invites", s.signedIn(admin(s.teamInvite)))
	e.POST("/settings/team/invites/:id/revoke", s.signedIn(admin(s.teamRevoke)))
	e.POST("/settings/team/owner", s.signedIn(admin(s.teamTransfer)))
	e.POST("/settings/team/:id/role", s.signedIn(admin(s.teamRole)))
	e.POST("/settings/team/:id/deactivate", s.signedIn(admin(s.teamDeactivate)))
	e.POST("/settings/team/:id/reactivate", s.signedIn(admin(s.teamReactivate)))
	e.POST("/settings/team/:id/reset", s.signedIn(admin(s.teamReset)))
	e.POST("/settings/team/:id/2fa-off", s.signedIn(admin(s.teamTwoFactorOff)))
	portal(e, http.MethodGet, "/join/:token", s.joinPage)
	portal(e, http.MethodPost, "/join/:token", s.joinSubmit)
	portal(e, http.MethodGet, "/reset/:token", s.resetPage)
	portal(e, http.MethodPost, "/reset/:token", s.resetSubmit)
	e.GET("/operator", s.signedIn(operatorOnly(s.operatorPage)))
	e.POST("/operator/signup", s.signedIn(operatorOnly(s.operatorSignup)))
	e.POST("/operator/providers", s.signedIn(operatorOnly(s.operatorCreate)))
	e.GET("/operator/providers/:id", s.signedIn(operatorOnly(s.operatorProvider)))
	e.POST("/operator/providers/:id/quotas", s.signedIn(operatorOnly(s.operatorQuotas)))
	e.POST("/operator/providers/:id/disable", s.signedIn(operatorOnly(s.operatorDisable)))
	e.POST("/operator/providers/:id/enable", s.signedIn(operatorOnly(s.operatorEnable)))
	e.GET("/settings/widget", s.signedIn(admin(s.widgetSettingsPage)))
	e.POST("/settings/widget", s.signedIn(admin(s.widgetSettingsSubmit)))
	e.GET("/settings/branding", s.signedIn(admin(s.brandingPage)))
	e.POST("/settings/branding", s.signedIn(admin(s.brandingSubmit)))
	e.POST("/settings/branding/remove", s.signedIn(admin(s.brandingRemove)))
	e.POST("/settings/branding/language", s.signedIn(admin(s.customerLanguageSubmit)))
	e.GET("/brand/:slug/logo", s.brandLogo)
	e.GET("/brand/:slug/icon.ico", s.brandIcon)
	e.GET("/brand/:slug/theme.css", s.brandTheme)
	e.GET("/settings/desks", s.signedIn(admin(s.desksPage)))
	e.POST("/settings/desks", s.signedIn(admin(s.deskCreate)))
	e.GET("/settings/desks/:id", s.signedIn(admin(s.deskPage)))
	e.POST("/settings/desks/:id", s.signedIn(admin(s.deskSave)))
	e.POST("/settings/desks/:id/delete", s.signedIn(admin(s.deskDelete)))
	e.GET("/settings/api", s.signedIn(admin(s.apiSettings)))
	e.POST("/settings/api/tokens", s.signedIn(admin(s.apiTokenCreate)))
	e.POST("/settings/api/tokens/:id/revoke", s.signedIn(admin(s.apiTokenRevoke)))
	e.POST("/settings/api/webhook", s.signedIn(admin(s.apiWebhookSave)))
	e.POST("/settings/api/webhook/rotate", s.signedIn(admin(s.apiWebhookRotate)))
	e.POST("/settings/api/webhook/delete", s.signedIn(admin(s.apiWebhookDelete)))

	// The session API: bearer tokens, JSON, no cookies (api_*.go, docs/api.md).
	e.GET("/api/v1/openapi.json", s.apiOpenAPI)
	e.POST("/api/v1/sessions", s.apiAuth(s.apiSessionCreate))
	e.GET("/api/v1/sessions/:id", s.apiAuth(s.apiSessionGet))
	// The CRM's permanent link to a session's console page (crm_link.go).
	e.GET("/go/:ref", s.crmLink)

	portal(e, http.MethodGet, "/widget", s.widgetPage)
	portal(e, http.MethodPost, "/widget/code", s.widgetCode)
	portal(e, http.MethodOptions, "/widget/code", s.widgetPreflight)
	portal(e, http.MethodGet, "/i/:token", s.invitePage)
	portal(e, http.MethodGet, "/i/:token/agent/:platform", s.agentDownload)
	portal(e, http.MethodPost, "/i/:token/consent", s.inviteConsent)
	portal(e, http.MethodPost, "/i/:token/stop", s.inviteStop)
	portal(e, http.MethodPost, "/i/:token/survey", s.surveySubmit)
	portal(e, http.MethodGet, "/i/:token/report", s.customerReport)
	portal(e, http.MethodGet, "/i/:token/report/download", s.customerReport)
	portal(e, http.MethodGet, "/i/:token/screenshots/:n", s.customerScreenshot)

	// Checking who is helping, on the provider's address (verify.go).
	portal(e, http.MethodGet, "/verify", s.verifyPage)
	portal(e, http.MethodGet, "/verify/photo/:ref", s.verifyPhoto)
	e.POST("/console/tour/dismiss", s.signedIn(s.tourDismiss))

	portal(e, http.MethodGet, "/ws/agent", s.wsAgent)
	e.GET("/ws/viewer/:id", s.signedIn(s.wsViewer))
	portal(e, http.MethodGet, "/ws/invite/:token", s.wsInvite)
	e.GET("/ws/console", s.signedIn(s.wsConsole))
}

// render writes a templ component after rendering it into a buffer, so a
// template error never sends half a page.
func (s *Server) render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// page fills the layout's view model for a request.
func (s *Server) page(c echo.Context, title string, brand templates.Brand) templates.Page {
	tok, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	loc := s.localizer(c, "", "")
	return templates.Page{Title: title, CSRF: tok, Brand: brand, Asset: s.assets.url, Lang: loc.Lang(), T: loc.T}
}

// localizer speaks the visitor's language: their profile's (an engineer's own choice), else the one they
// chose on the page (?lang=, remembered in a cookie), else their browser's (Accept-Language), else the
// fallback (a provider's default customer language), else English.
func (s *Server) localizer(c echo.Context, profile, fallback string) locales.Localizer {
	chosen := c.QueryParam("lang")
	if chosen != "" {
		c.SetCookie(&http.Cookie{Name: langCookie, Value: locales.Match(chosen).String(), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode})
	} else if ck, err := c.Cookie(langCookie); err == nil {
		chosen = ck.Value
	}
	loc, err := locales.For(profile, chosen, c.Request().Header.Get("Accept-Language"), fallback)
	if err != nil {
		// The catalogs are embedded and tested; a parse failure would be a build defect.
		s.Log.Error("message catalogs", "err", err)
	}
	return loc
}

const langCookie = "tether_lang"

// contentSecurityPolicy allows only this server's own scripts, styles and
// connections, and the WebAssembly viewer; no page may be framed.
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// defaultBrand is shown until a provider is known. Colours come from
// static/css/app.css; a provider's own come as a style sheet of their own
// (brandOf), as the Content-Security-Policy allows no inline styles.
var defaultBrand = templates.Brand{Name: "Tether"}

// httpError is an error with a status and a message a person can read.
type httpError struct {
	status  int
	heading string
	message string
	cause   error // logged, never shown
	// say: heading and message are message ids of static/locales, shown in the visitor's language.
	say     bool
	sayData map[string]any
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.heading + ": " + e.message + ": " + e.cause.Error()
	}
	return e.heading + ": " + e.message
}

func (e *httpError) Unwrap() error { return e.cause }

func notFound(message string) error {
	return &httpError{status: http.StatusNotFound, heading: "Not found", message: message}
}

func badRequest(message string) error {
	return &httpError{status: http.StatusBadRequest, heading: "That did not work", message: message}
}

// handleError is the one place errors become responses: logged once,
// rendered as a page, or as JSON for API and script callers. An error after
// the response started (a websocket handler failing after the upgrade) is
// logged too; there is nothing left to render it into.
func (s *Server) handleError(err error, c echo.Context) {
	if moved := (*movedError)(nil); errors.As(err, &moved) && !c.Response().Committed {
		_ = c.Redirect(http.StatusTemporaryRedirect, moved.to)
		return
	}
	loc := s.localizer(c, "", s.siteLanguage(c))
	status, heading, message := http.StatusInternalServerError, loc.T("customer_error_500_heading"), loc.T("customer_error_500")
	var he *httpError
	var ee *echo.HTTPError
	var qe *store.QuotaError
	switch {
	case errors.As(err, &he):
		status = he.status
		heading, message = s.said(c, he)
	case errors.As(err, &qe):
		// Wherever a quota stops something (a session from the console, the portal or the API, an
		// engineer, a desk), the provider's people read which limit and whom to ask.
		status, heading, message = http.StatusConflict, "Limit reached", qe.Message()
	case errors.Is(err, store.ErrProviderDisabled):
		status, heading, message = http.StatusForbidden, "Account closed", "This provider's account on this server is disabled."
	case errors.Is(err, store.ErrNotFound):
		status, heading, message = http.StatusNotFound, loc.T("customer_error_404_heading"), loc.T("customer_error_404")
	case errors.As(err, &ee):
		status = ee.Code
		heading = http.StatusText(ee.Code)
		if m, ok := ee.Message.(string); ok {
			message = m
		}
	}
	committed := c.Response().Committed
	switch {
	case errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil:
		// The client went away mid-request; nobody is left to answer.
		s.Log.Debug("request abandoned by the client", "method", c.Request().Method, "path", c.Path())
		return
	case committed:
		s.Log.Error("request failed after the response started", "method", c.Request().Method, "path", c.Path(), "err", err)
		return
	case status >= 500:
		s.Log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	default:
		s.Log.Info("request refused", "method", c.Request().Method, "path", c.Path(), "status", status, "addr", c.RealIP(), "err", err)
	}
	loc, heading, message = s.errorWords(c, err, heading, message)
	if wantsJSON(c) {
		_ = c.JSON(status, map[string]string{"error": message})
		return
	}
	brand, home := s.errorBrand(c)
	page := templates.ErrorPage{Page: s.page(c, heading, brand), Status: status, Heading: heading, Message: message, Home: home}
	page.Lang, page.T = loc.Lang(), loc.T
	if rerr := s.render(c, status, templates.ErrorView(page)); rerr != nil {
		s.Log.Error("render error page", "err", rerr)
		_ = c.String(status, message)
	}
}

func wantsJSON(c echo.Context) bool {
	r := c.Request()
	return strings.HasPrefix(r.URL.Path, "/api/") || r.Header.Get("X-CSRF-Token") != "" || r.Header.Get("Accept") == "application/json"
}
