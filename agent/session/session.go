// Package session runs one support session on the customer's side: it
// connects to the server, asks the customer for consent on this computer
// (consent.Page, and the console), and once given, serves each viewer the
// screen over peer-to-peer or the relay, injecting the engineer's input only
// while the customer's grants include control.
//
// The server never decides anything here: a consent, a state or a grant it
// sends is ignored. Only the customer, on the page the agent serves on
// 127.0.0.1 or in its console, can start, change or stop what is shared.
//
// One goroutine (Run's) owns all session state and takes its events from the
// signaling connection, the consent page, the console and the viewer
// goroutines.
package session

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/pion/webrtc/v4"

	"tether/agent/desktop"
	"tether/agent/link"
	"tether/agent/stream"
	"tether/server/protocol"
	"tether/static/locales"
)

// Capturer is the screen source; capture.Capturer satisfies it.
type Capturer interface {
	stream.Source
	Close() error
}

// Injector performs the engineer's input; input.Injector satisfies it.
type Injector interface {
	MouseMove(x, y int) error
	MouseButton(b protocol.Button, down bool) error
	Wheel(dx, dy int) error
	Key(k protocol.Key) error
	ReleaseAll() error
	Close() error
}

// Config is everything a session needs; main fills it from the settings
// trailer and the real capture and input packages, tests with fakes.
type Config struct {
	Settings protocol.AgentSettings
	// Lang is the customer's language (the invitation page's, else this computer's): the consent page
	// and the console speak it. The zero Localizer speaks English.
	Lang locales.Localizer
	// Out receives the messages for the customer.
	Out io.Writer
	// Console, if set, is read for a typed consent answer (stdin when it
	// is a terminal).
	Console io.Reader
	// OpenCapturer is called once, after consent, when the first viewer
	// connects. Nothing is captured before.
	OpenCapturer func() (Capturer, error)
	// OpenInjector is called once, when control is first granted.
	OpenInjector func() (Injector, error)
	// OpenDesktop lists the customer's windows, so that they may share one
	// window only or hide some; nil, or an error, means the whole screen
	// is always shared and the consent page offers no such choice.
	OpenDesktop func() (desktop.Desktop, error)
	// OpenOverlay shows the engineer's pointing on this screen; it is
	// called when the engineer first points.
	OpenOverlay func() (Overlay, error)
	// OpenClipboard is called when the customer allows the clipboard; the
	// clipboard is closed again when they take it back. Nil: not offered.
	OpenClipboard func() (Clipboard, error)
	// OpenBrowser shows the consent page the agent serves itself
	// (consent.OpenBrowser); it is given no other URL, ever.
	OpenBrowser func(url string) error
	// ConsentHold is how long consent given in this run survives an outage
	// of the connection to the server (60 s). After a longer one, or in a
	// new run of the program, the customer is asked again.
	ConsentHold time.Duration
	// HTTPClient dials the server; nil means http.DefaultClient.
	HTTPClient *http.Client
	// SettingEngine tunes pion; nil means its defaults.
	SettingEngine *webrtc.SettingEngine
	// Hostname is reported to the server; empty means os.Hostname.
	Hostname string
	// StatsInterval is how often byte counters go to the server (5 s).
	StatsInterval time.Duration
	// RetryDelay is the pause before offering a viewer a new connection
	// after its path broke while it stayed present (2 s).
	RetryDelay time.Duration
	// MaxBackoff and GiveUp bound reconnecting (5 s, 10 min).
	MaxBackoff, GiveUp time.Duration
	// DisplayPoll is how often the list of displays is read again to see
	// monitors come, go or move (2 s).
	DisplayPoll time.Duration
	// DownloadDir is where files from the engineer are saved; empty means
	// the customer's Downloads folder.
	DownloadDir string
	// Stream tunes the frame loop; OnArea is set by the session.
	Stream stream.Options
	Logger *slog.Logger
}

// DefaultConsentHold is how long consent survives an outage of the
// connection to the server: the server's rejoin grace is the same by
// default, so both sides agree when the customer is asked again.
const DefaultConsentHold = 60 * time.Second

// Outcome says how a session ended.
type Outcome int

const (
	// Ended: the server ended the session (the engineer, expiry, the
	// customer's Stop button on the page).
	Ended Outcome = iota
	// Denied: the customer refused.
	Denied
	// Stopped: the customer closed the agent (Ctrl+C, window closed).
	Stopped
)

// Result is how and why a session ended.
type Result struct {
	Outcome Outcome
	// Reason is shown to the customer: "The support session has ended (Reason)."
	Reason string
}

// Run runs the session until it ends. Cancelling ctx is the customer
// closing the agent: the server is told, and Run returns Stopped. Errors
// mean the session could not run (server unreachable, server error,
// capture impossible).
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Settings.Validate(); err != nil {
		return Result{}, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	cfg.Out = &syncWriter{w: cfg.Out}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = 5 * time.Second
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 2 * time.Second
	}
	if cfg.DisplayPoll <= 0 {
		cfg.DisplayPoll = 2 * time.Second
	}
	if cfg.ConsentHold <= 0 {
		cfg.ConsentHold = DefaultConsentHold
	}
	if cfg.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			cfg.Logger.Info("no hostname", "err", err)
		}
		cfg.Hostname = h
	}
	if cfg.OpenCapturer == nil {
		return Result{}, errors.New("session: Config.OpenCapturer is required")
	}
	s := &session{cfg: cfg, log: cfg.Logger, events: make(chan event, 16), stopped: make(chan struct{})}
	s.scope = &scoper{}
	if cfg.OpenDesktop != nil {
		d, err := cfg.OpenDesktop()
		if err != nil {
			cfg.Logger.Info("windows cannot be listed; only the whole screen can be shared", "err", err)
		} else {
			s.scope.desk = d
		}
	}
	s.disp = &dispatcher{log: cfg.Logger, scope: s.scope}
	s.startFiles(ctx)
	return s.run(ctx)
}

func randomKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session: random key: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]), nil
}

func (s *session) run(ctx context.Context) (Result, error) {
	st := s.cfg.Settings
	s.engineer, s.provider = st.Engineer, st.Provider
	s.sayT("customer_agent_console_asking", map[string]any{"Who": s.who()})
	s.sayT("customer_agent_connecting", nil)

	agentKey, err := randomKey()
	if err != nil {
		return Result{}, err
	}
	retried := false
	sig, welcome, err := link.Connect(ctx, link.SignalOptions{
		Server: st.Server,
		Hello: protocol.AgentHello{
			Token:    st.Token,
			AgentKey: agentKey,
			Source:   st.Source,
			Version:  int(protocol.Version),
			OS:       runtime.GOOS,
			Arch:     runtime.GOARCH,
			Host:     s.cfg.Hostname,
			// The screen size needs a capture, and nothing is captured
			// before consent; Hello carries the size to the viewer.
		},
		HTTPClient: s.cfg.HTTPClient,
		MaxBackoff: s.cfg.MaxBackoff,
		GiveUp:     s.cfg.GiveUp,
		Logger:     s.log,
		OnRetry: func(err error, _ time.Duration) {
			if !retried {
				retried = true
				s.sayT("customer_agent_cannot_reach", nil)
			}
		},
		OnDown: func() { s.post(ctx, linkDown{}) },
	})
	if err != nil {
		return s.connectFailed(ctx, err)
	}
	s.sig = sig
	defer s.shutdown()
	s.welcome(ctx, welcome, true)
	s.identity = sig.Identity()
	s.offer = protocol.GrantView
	if s.cfg.OpenInjector != nil {
		s.offer |= protocol.GrantControl | protocol.GrantLimited
	}
	if s.cfg.OpenClipboard != nil {
		s.offer |= protocol.GrantClipboard
	}
	if s.files != nil {
		s.offer |= protocol.GrantFiles
	}
	if s.allowed != 0 {
		s.offer &= s.allowed // the desk's template, from the welcome above
	}
	// The names come from the server the certificate proved, not from the
	// download alone.
	s.sayT("customer_agent_console_through", map[string]any{"Who": s.who(), "Server": s.serverText()})
	s.askPage(ctx)
	s.startChat(ctx)
	if s.cfg.Console != nil {
		s.askConsole(ctx)
	}
	if s.page == nil && s.cfg.Console == nil {
		return Result{}, errors.New("session: no way to ask the customer: the consent page could not start and there is no console")
	}
	return s.loop(ctx)
}

// connectFailed turns a failed first connection into a result or error.
func (s *session) connectFailed(ctx context.Context, err error) (Result, error) {
	var ended *link.EndedError
	switch {
	case ctx.Err() != nil:
		return Result{Outcome: Stopped, Reason: "you closed the support program"}, nil
	case errors.As(err, &ended) && !ended.ServerError:
		return Result{Outcome: Ended, Reason: ended.Reason}, nil
	}
	return Result{}, err
}
