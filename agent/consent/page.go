package consent

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"tether/server/protocol"
	"tether/static/locales"
)

// Phase is where the session is, as the consent page shows it.
type Phase string

const (
	// PhaseAsking: the engineer asks; the customer may allow or deny.
	PhaseAsking Phase = "asking"
	// PhaseSharing: the customer allowed; they may change grants or stop.
	PhaseSharing Phase = "sharing"
	// PhaseReconnecting: the support server cannot be reached for now.
	PhaseReconnecting Phase = "reconnecting"
	// PhaseEnded: the session is over; the program is closing.
	PhaseEnded Phase = "ended"
)

// Status is everything the consent page shows. The session sends a new one
// on every change; the page follows it live.
type Status struct {
	Phase Phase `json:"phase"`
	// Engineer and Provider are the names the server gave over the
	// connection whose certificate was checked (see Server).
	Engineer string `json:"engineer"`
	Provider string `json:"provider"`
	// Server is the support server's host name; Verified says a
	// certificate valid for that name proved it (https), Local that it is
	// this very computer (a test or a demonstration, without TLS).
	Server   string `json:"server"`
	Verified bool   `json:"verified"`
	Local    bool   `json:"local"`
	// Offer is what the customer may allow; Grants what they allowed.
	// Defaults are ticked while asking (the provider's choice for the
	// engineer's desk, within Offer); the customer still decides.
	Offer    protocol.Grants `json:"offer"`
	Defaults protocol.Grants `json:"defaults"`
	Grants   protocol.Grants `json:"grants"`
	// Viewer: the engineer is connected to the screen right now.
	Viewer bool `json:"viewer"`
	// Code is the security code of the end-to-end key exchange with the
	// engineer's viewer ("042 917"), empty while there is none. The
	// engineer's viewer shows the same code unless someone between them
	// (the server) replaced the keys.
	Code string `json:"code,omitempty"`
	// Since is when sharing began.
	Since time.Time `json:"since,omitzero"`
	// Note is a sentence for the customer ("Full control is not possible
	// on this computer"); Reason why the session ended.
	Note   string `json:"note,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Files are the file transfers of the session (files.go), Folder where
	// files from the engineer are saved, FileLimit the provider's limit
	// on one file in bytes. The page sets them; Update keeps them.
	Files  []FileStatus `json:"files"`
	Folder string       `json:"folder,omitempty"`
	// FolderChoices are folders offered besides typing one (Downloads,
	// Desktop, Documents, where they exist).
	FolderChoices []string `json:"folder_choices,omitempty"`
	FileLimit     int64    `json:"file_limit,omitempty"`
	// Recorded: the provider records the session (what the engineer
	// sees). The page says so before Allow; the customer may refuse.
	Recorded bool `json:"recorded,omitempty"`
	// The customer's controls while sharing (trust.go).
	Trust
	// Verify is the provider's page where the customer checks who is helping them, with the session's
	// code filled in; empty when the settings carry no code.
	Verify string `json:"verify,omitempty"`
	// Windows are the application windows the customer may share alone
	// or hide (scope.js), top-most first; nil where windows cannot be
	// listed, and then the page offers only the whole screen.
	Windows []Window `json:"windows"`
	// Sharing is what the customer chose to share.
	Sharing Sharing `json:"sharing"`
}

// Window is an application window the page lists. IDs are X11 window ids
// or Windows handles, both well inside a JavaScript number.
type Window struct {
	ID    uint64 `json:"id"`
	Title string `json:"title"`
}

// Sharing is the whole screen (Window 0) or one window, with the windows
// blacked out.
type Sharing struct {
	Window uint64   `json:"window"`
	Title  string   `json:"title,omitempty"`
	Hidden []uint64 `json:"hidden"`
}

// Decision is what the customer chose on the page.
type Decision struct {
	// Allow: the customer allowed Grants (asking), or changed them
	// (sharing).
	Allow  bool
	Grants protocol.Grants
	// Deny: the customer refused. Stop: the customer stopped sharing.
	Deny, Stop bool
	// Scope, when set, is a new choice of what to share; Windows asks for
	// the list of windows afresh.
	Scope   *Sharing
	Windows bool
	// The customer's controls while sharing (trust.go).
	TrustDecision
}

// Page is the consent page the agent serves on 127.0.0.1, at a random port
// and under a random secret path, for the customer's own browser. Only what
// the customer does there (or types in the agent's console) can give
// consent: nothing from the support server can.
//
// Requests are refused unless they name this listener exactly in Host (a
// DNS-rebinding page cannot reach it), carry the secret in their path, and,
// for decisions, come from the page itself (Origin) as JSON, which a
// cross-site form cannot send.
type Page struct {
	ln      net.Listener
	srv     *http.Server
	secret  string
	host    string // 127.0.0.1:port, as the Host header must say
	log     *slog.Logger
	decided chan Decision

	mu     sync.Mutex
	status Status
	subs   map[chan Status]struct{}
	closed bool

	chat chatBox // the conversation with the engineer (chat.go)

	loc      locales.Localizer   // the customer's language (words.go)
	brand    protocol.AgentBrand // logo, colours and contact line (brand.go)
	brandCSS []byte

	files         Files // nil: files are refused
	fileList      []FileStatus
	folder        string
	folderChoices []string
	fileLimit     int64
}

//go:embed page.html page.js page.css scope.js trust.js files.js
var pageFiles embed.FS

var pageTemplate = template.Must(template.New("page.html").Funcs(template.FuncMap{
	// has and ticked read the sets as given: control does not tick or show
	// limited control too.
	"has": hasGrant,
	// ticked: the box is ticked, for what the customer gave or, while
	// asking, for what the provider offers by default.
	"ticked": func(st Status, name string) bool {
		return hasGrant(st.Grants, name) || st.Phase == PhaseAsking && hasGrant(st.Defaults, name) && hasGrant(st.Offer, name)
	},
	"initial": func(s string) string {
		for _, r := range s {
			return string(r)
		}
		return "T"
	},
}).ParseFS(pageFiles, "page.html"))

func hasGrant(g protocol.Grants, name string) bool {
	one, _ := protocol.ParseGrants(name)
	return one != 0 && g&one == one
}

// Serve starts the consent page showing st, in the provider's brand, which
// comes from the signed settings and was validated with them, in loc's language.
func Serve(st Status, brand protocol.AgentBrand, loc locales.Localizer, log *slog.Logger) (*Page, error) {
	if err := brand.Validate(); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("consent: listen on 127.0.0.1: %w", err)
	}
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		ln.Close()
		return nil, fmt.Errorf("consent: secret: %w", err)
	}
	p := &Page{
		loc:      loc,
		ln:       ln,
		secret:   strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])),
		host:     ln.Addr().String(),
		log:      log,
		decided:  make(chan Decision, 4),
		status:   st,
		subs:     map[chan Status]struct{}{},
		brand:    brand,
		brandCSS: brandCSS(brand),
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("consent page stopped", "err", err)
		}
	}()
	return p, nil
}

// URL is the page's address, secret included: only the agent opens it, in
// the customer's default browser, and prints it in its own window.
func (p *Page) URL() string { return "http://" + p.host + "/" + p.secret + "/" }

// Decisions delivers what the customer chose.
func (p *Page) Decisions() <-chan Decision { return p.decided }

// Update shows st on every open page.
func (p *Page) Update(st Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st = p.withFilesLocked(st)
	p.status = st
	for ch := range p.subs {
		select {
		case ch <- st:
		default:
			// A page that does not keep up gets the latest state on its
			// next read; drop the older one.
			select {
			case <-ch:
			default:
			}
			ch <- st
		}
	}
}

// Close stops the page; open pages see the connection end and say the
// program has closed.
func (p *Page) Close() error {
	p.mu.Lock()
	p.closed = true
	for ch := range p.subs {
		close(ch)
		delete(p.subs, ch)
	}
	p.mu.Unlock()
	p.chat.closeChat()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

// ServeHTTP checks every request, then routes it under the secret path.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if r.Host != p.host {
		p.log.Warn("consent page: request for another host refused", "host", r.Host)
		http.Error(w, "wrong host", http.StatusMisdirectedRequest)
		return
	}
	prefix := "/" + p.secret + "/"
	if len(r.URL.Path) < len(prefix) || subtle.ConstantTimeCompare([]byte(r.URL.Path[:len(prefix)]), []byte(prefix)) != 1 {
		http.NotFound(w, r)
		return
	}
	switch rest := r.URL.Path[len(prefix):]; {
	case rest == "" && r.Method == http.MethodGet:
		p.serveHTML(w)
	case (rest == "page.js" || rest == "page.css" || rest == "scope.js" || rest == "trust.js" || rest == "files.js") && r.Method == http.MethodGet:
		p.serveFile(w, rest)
	case rest == "events" && r.Method == http.MethodGet:
		p.serveEvents(w, r)
	case rest == "decide" && r.Method == http.MethodPost:
		p.serveDecide(w, r)
	case rest == "files" && r.Method == http.MethodPost:
		p.serveUpload(w, r)
	case rest == "files/folder" && r.Method == http.MethodPost:
		p.serveFolder(w, r)
	case rest == "files/cancel" && r.Method == http.MethodPost:
		p.serveFileCancel(w, r)
	case (rest == "brand.css" || rest == "logo.png") && r.Method == http.MethodGet:
		p.serveBrand(w, rest)
	case (rest == "chat.js" || rest == "chat-page.js" || rest == "chat.css") && r.Method == http.MethodGet:
		p.serveChatFile(w, rest)
	case rest == "chat" && r.Method == http.MethodGet:
		p.serveChatEvents(w, r)
	case rest == "chat" && r.Method == http.MethodPost:
		p.serveChatSend(w, r, protocol.SigChat)
	case rest == "typing" && r.Method == http.MethodPost:
		p.serveChatSend(w, r, protocol.SigTyping)
	default:
		http.NotFound(w, r)
	}
}

func (p *Page) current() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// pageView is what page.html shows: the status and the provider's brand.
type pageView struct {
	Status
	Logo    bool   // logo.png is served
	Contact string // the provider's contact line
	Styled  bool   // brand.css carries the provider's colours
	// Lang is the page's language; Words the sentences page.js says in it (JSON).
	Lang  string
	Words string
	loc   locales.Localizer
}

// T is the message id in the page's language, its {{.Name}}s from kv: name, value, name, value…
func (v pageView) T(id string, kv ...string) string {
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		data[kv[i]] = kv[i+1]
	}
	return v.loc.T(id, data)
}

func (p *Page) serveHTML(w http.ResponseWriter) {
	var buf bytes.Buffer
	view := pageView{Status: p.current(), Logo: p.brand.Logo != nil, Contact: p.brand.Contact, Styled: p.brandCSS != nil,
		Lang: p.loc.Lang(), Words: pageWords(p.loc), loc: p.loc}
	if err := pageTemplate.Execute(&buf, view); err != nil {
		p.log.Error("consent page: render", "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes()) // the browser went away; nothing to do
}

func (p *Page) serveFile(w http.ResponseWriter, name string) {
	b, err := pageFiles.ReadFile(name)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	ct := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(b)
}

// serveEvents streams the status as server-sent events, one JSON object per
// change, until the page or the program goes away.
func (p *Page) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan Status, 1)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		http.Error(w, "the support program has closed", http.StatusGone)
		return
	}
	p.subs[ch] = struct{}{}
	ch <- p.status
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		if _, ok := p.subs[ch]; ok {
			delete(p.subs, ch)
		}
		p.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	stream(w, r, fl, ch, func(st Status) error {
		b, err := json.Marshal(st)
		if err != nil {
			p.log.Error("consent page: encode status", "err", err)
			return err
		}
		_, err = fmt.Fprintf(w, "data: %s\n\n", b)
		return err
	})
}

// stream writes each value from ch as a server-sent event with write, and a
// comment every 15 s so that no proxy or browser drops a quiet stream,
// until ch closes, a write fails or the page goes away.
func stream[T any](w io.Writer, r *http.Request, fl http.Flusher, ch <-chan T, write func(T) error) {
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case v, ok := <-ch:
			if !ok || write(v) != nil {
				return
			}
		case <-keep.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
		fl.Flush()
	}
}

// decideRequest is the page's JSON body.
type decideRequest struct {
	Action string          `json:"action"` // "allow", "deny", "update", "stop", "scope", "windows"
	Grants protocol.Grants `json:"grants"`
	Scope  *Sharing        `json:"scope,omitempty"`
}

// serveDecide takes one decision from the page itself. Anything else (a
// cross-site post, a form, a choice beyond what is offered, a decision that
// does not fit the phase) is refused with a reason and changes nothing.
func (p *Page) serveDecide(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "http://"+p.host {
		p.log.Warn("consent page: decision from another origin refused", "origin", origin)
		jsonError(w, http.StatusForbidden, "Decisions are taken only from this page.")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		jsonError(w, http.StatusUnsupportedMediaType, "Decisions are sent as JSON.")
		return
	}
	var req decideRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		jsonError(w, http.StatusBadRequest, "The decision was not understood.")
		return
	}
	st := p.current()
	var d Decision
	switch {
	case req.Action == "allow" && st.Phase == PhaseAsking, req.Action == "update" && st.Phase == PhaseSharing:
		if !req.Grants.Has(protocol.GrantView) || req.Grants&^st.Offer != 0 {
			jsonError(w, http.StatusBadRequest, "Choose among what is offered; seeing the screen is part of every choice.")
			return
		}
		d = Decision{Allow: true, Grants: req.Grants}
	case req.Action == "deny" && st.Phase == PhaseAsking:
		d = Decision{Deny: true}
	case req.Action == "stop" && (st.Phase == PhaseSharing || st.Phase == PhaseReconnecting):
		d = Decision{Stop: true}
	case (req.Action == "scope" || req.Action == "windows") && st.Phase != PhaseEnded:
		var ok bool
		if d, ok = scopeDecision(req, st); !ok {
			jsonError(w, http.StatusBadRequest, "Choose among the windows listed on this page.")
			return
		}
	case trustAction(req.Action) && st.Phase == PhaseSharing:
		var err error
		if d, err = trustDecision(req.Action, st); err != nil {
			jsonError(w, http.StatusConflict, err.Error())
			return
		}
	default:
		jsonError(w, http.StatusConflict, "This choice is not available now; the page shows what is.")
		return
	}
	select {
	case p.decided <- d:
	default:
		jsonError(w, http.StatusServiceUnavailable, "The support program is busy; try again.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg}) // the page reads it or is gone
}
