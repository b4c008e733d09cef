package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"tether/agent/consent"
	"tether/agent/link"
	"tether/agent/stream"
	"tether/server/protocol"
)

// session is the state Run's goroutine owns.
type session struct {
	cfg     Config
	log     *slog.Logger
	sig     *link.Signal
	events  chan event
	stopped chan struct{} // closed when Run returns; nobody reads events then

	engineer, provider string
	recorded           bool   // the welcome said the provider records the session
	sessionID          string // from the welcome; bound into the key exchange
	identity           link.Identity
	p2p                bool
	iceServers         []protocol.ICEServer
	relayOnly          bool // protocol.ICEPolicyRelay: TURN candidates only
	iceTimeout         time.Duration
	maxFPS             int // from the server's welcome; zero: the stream's default

	// grants is what the customer allowed on this computer, in this run of
	// the program; zero until they do. offer is what they may allow.
	grants protocol.Grants
	offer  protocol.Grants
	// allowed and defaults are the desk's permission template from the
	// welcome: allowed narrows offer (zero: no template), defaults are
	// ticked on the consent page.
	allowed, defaults protocol.Grants
	sharedSince       time.Time
	note              string // told on the consent page
	page              *consent.Page
	asking            bool // a console prompt waits for a line
	down              bool // the connection to the server is down

	viewerPresent bool
	viewer        *viewer // the current viewer connection, or nil
	gen           int     // numbers viewer connections; stale events are ignored
	lastDone      chan struct{}

	capt      Capturer
	src       stream.Source // capt, remembering the pointer image across viewers
	displays  displayState  // the customer's displays and the one shown
	disp      *dispatcher
	injOpened bool
	injErr    error // why input could not be opened; control is then impossible
	counts    counters
	files     *files // nil when this computer has no folder for files

	scope *scoper    // what of the screen is shared (scope.go)
	ovMu  sync.Mutex // guards ov, opened from the receive goroutine
	ov    Overlay
	ovErr error

	trustState               // the customer's controls while sharing (trust.go)
	clip       Clipboard     // open while the grants include the clipboard
	clipStop   chan struct{} // closed when clip closes
	clipGate   clipGate
}

// event is something a helper goroutine tells the owner.
type event interface{}

// decision: the customer chose, on the page or in the console.
type decision struct {
	d   consent.Decision
	err error // the console could not be read
}

// linkDown: the connection to the server dropped; it is reconnecting.
type linkDown struct{}

// viewerPath: the viewer's path is ready (conn) or peer-to-peer failed (err).
type viewerPath struct {
	gen  int
	conn link.Conn
	err  error
}

// viewerDone: the viewer's stream stopped.
type viewerDone struct {
	gen int
	err error
}

// viewerRetry: time to offer a still-present viewer a new connection.
type viewerRetry struct{ gen int }

// viewerKeyTimeout: the viewer's part of the key exchange is due.
type viewerKeyTimeout struct{ gen int }

func (s *session) loop(ctx context.Context) (Result, error) {
	stats := time.NewTicker(s.cfg.StatsInterval)
	defer stats.Stop()
	var decisions <-chan consent.Decision
	if s.page != nil {
		decisions = s.page.Decisions()
	}
	for {
		select {
		case <-ctx.Done():
			s.sendEnd(protocol.EndCustomerClosed)
			return s.finish(Result{Outcome: Stopped, Reason: "you closed the support program"}, nil)
		case env, ok := <-s.sig.Envelopes():
			if !ok {
				return s.finish(s.signalStopped())
			}
			res, done, err := s.handleSignal(ctx, env)
			if done || err != nil {
				return s.finish(res, err)
			}
		case d := <-decisions:
			res, done, err := s.decide(ctx, d)
			if done || err != nil {
				return s.finish(res, err)
			}
		case ev := <-s.events:
			res, done, err := s.handleEvent(ctx, ev)
			if done || err != nil {
				return s.finish(res, err)
			}
		case <-stats.C:
			s.sendStats(ctx)
		}
	}
}

// finish shows the end on the consent page before Run returns, and
// reports the last byte counts while the connection may still take them
// (after the server's end it usually does, until the close).
func (s *session) finish(res Result, err error) (Result, error) {
	if s.sig.Connected() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.sendStats(ctx)
		cancel()
	}
	reason := res.Reason
	if err != nil {
		reason = "the support program stopped: " + err.Error()
	}
	s.showPage(consent.PhaseEnded, reason)
	return res, err
}

func (s *session) signalStopped() (Result, error) {
	err := s.sig.Err()
	var ended *link.EndedError
	if errors.As(err, &ended) && !ended.ServerError {
		return Result{Outcome: Ended, Reason: ended.Reason}, nil
	}
	return Result{}, fmt.Errorf("session: lost the server: %w", err)
}

func (s *session) handleSignal(ctx context.Context, env protocol.Envelope) (Result, bool, error) {
	switch env.Type {
	case protocol.SigWelcome:
		var w protocol.Welcome
		if err := env.Decode(&w); err != nil {
			return Result{}, true, err
		}
		s.welcome(ctx, w, false)
	case protocol.SigConsent:
		// Consent is the customer's, on this computer. A server that sends
		// it is broken or hostile; whatever it says changes nothing.
		s.log.Warn("the server sent a consent; ignored: only the customer gives consent, on this computer")
	case protocol.SigPeer:
		var p protocol.Peer
		if err := env.Decode(&p); err != nil {
			s.log.Warn("bad peer message", "err", err)
			return Result{}, false, nil
		}
		if p.Role != protocol.RoleViewer {
			return Result{}, false, nil
		}
		was := s.viewerPresent
		s.viewerPresent = p.Present
		if p.Present {
			if !s.grants.Consented() && !was {
				s.sayT("customer_agent_viewer_waiting", map[string]any{"Engineer": s.engineerName()})
			}
			s.startViewer(ctx)
		} else {
			s.stopViewer("left")
		}
		s.updatePage()
	case protocol.SigKey:
		var k protocol.KeyStep
		if err := env.Decode(&k); err != nil {
			s.log.Warn("bad key exchange step", "err", err)
			return Result{}, false, nil
		}
		s.viewerKey(ctx, k)
		s.updatePage()
	case protocol.SigAnswer:
		var sdp protocol.SDP
		if err := env.Decode(&sdp); err != nil {
			s.log.Warn("bad answer", "err", err)
			return Result{}, false, nil
		}
		if s.viewer != nil && s.viewer.peer != nil {
			if err := s.viewer.peer.SetAnswer(sdp.SDP, sdp.MAC); err != nil {
				s.log.Warn("viewer's answer refused", "err", err)
			}
		}
	case protocol.SigCandidate:
		var c protocol.Candidate
		if err := env.Decode(&c); err != nil {
			s.log.Warn("bad candidate", "err", err)
			return Result{}, false, nil
		}
		if s.viewer != nil && s.viewer.peer != nil {
			if err := s.viewer.peer.AddCandidate(c); err != nil {
				s.log.Info("add candidate", "err", err)
			}
		}
	case protocol.SigEnd:
		var e protocol.End
		if err := env.Decode(&e); err != nil {
			e.Reason = "ended by the server"
		}
		return Result{Outcome: Ended, Reason: e.Reason}, true, nil
	case protocol.SigError:
		var e protocol.Error
		if err := env.Decode(&e); err != nil {
			e.Message = "unknown error"
		}
		return Result{}, true, &link.EndedError{Reason: e.Message, ServerError: true}
	case protocol.SigChat, protocol.SigTyping:
		s.onChat(env)
	case protocol.SigState:
		// The agent takes only the time-limit warning from it.
		s.onState(env)
	case protocol.SigGrantRequest:
		s.grantRequested(ctx, env)
	case protocol.SigRequest:
		s.onRequest(env)
	default:
		s.log.Info("ignored signaling message", "type", env.Type)
	}
	return Result{}, false, nil
}

func (s *session) handleEvent(ctx context.Context, ev event) (Result, bool, error) {
	switch ev := ev.(type) {
	case decision:
		s.asking = false
		if ev.err != nil {
			s.log.Info("console answer", "err", ev.err)
			return Result{}, false, nil
		}
		if ev.d.Allow && s.grants.Consented() {
			return Result{}, false, nil // answered on the page first; the console asks nothing more
		}
		return s.decide(ctx, ev.d)
	case linkDown:
		s.down = true
		s.updatePage()
	case viewerPath:
		if s.viewer == nil || ev.gen != s.viewer.gen {
			if ev.conn != nil {
				_ = ev.conn.Close() // a stale attempt; nobody will use it
			}
			return Result{}, false, nil
		}
		if err := s.pathReady(ctx, ev); err != nil {
			return Result{}, true, err
		}
		s.updatePage()
	case viewerDone:
		if s.viewer == nil || ev.gen != s.viewer.gen {
			return Result{}, false, nil
		}
		s.log.Info("viewer stream stopped", "err", ev.err)
		s.stopViewer("")
		s.updatePage()
		if s.viewerPresent {
			gen := s.gen
			time.AfterFunc(s.cfg.RetryDelay, func() { s.post(ctx, viewerRetry{gen: gen}) })
		}
	case viewerRetry:
		if s.viewer == nil && s.viewerPresent && ev.gen == s.gen {
			s.startViewer(ctx)
		}
	case viewerKeyTimeout:
		if s.viewer == nil || ev.gen != s.viewer.gen || s.viewer.keys != nil {
			return Result{}, false, nil
		}
		s.log.Warn("the viewer did not answer the key exchange; starting over", "after", keyTimeout)
		s.stopViewer("")
		if s.viewerPresent {
			s.startViewer(ctx)
		}
	case clipCopied:
		s.copied(ctx, ev)
	case clipPasted:
		s.pasted(ctx, ev)
	case fatal:
		s.sendEnd(ev.reason)
		return Result{}, true, ev.err
	case displaysListed:
		s.displaysListed(ev)
	case selectDisplay:
		s.selectDisplay(ev.index)
	}
	return Result{}, false, nil
}

// decide carries out what the customer chose on this computer.
func (s *session) decide(ctx context.Context, d consent.Decision) (Result, bool, error) {
	switch {
	case d.Deny:
		s.sendEnd(protocol.EndCustomerDenied)
		return Result{Outcome: Denied, Reason: "you declined"}, true, nil
	case d.Stop:
		s.sendEnd(protocol.EndCustomerStopped)
		return Result{Outcome: Stopped, Reason: "you stopped sharing"}, true, nil
	case d.Scope != nil:
		s.setScope(ctx, *d.Scope)
	case d.Windows:
		s.updatePage() // lists the windows afresh
	case d.Allow:
		s.grant(ctx, d.Grants)
	case d.Answer || d.Pause || d.Resume || d.Extend:
		s.trustDecide(ctx, d.TrustDecision)
	}
	return Result{}, false, nil
}

// fatal ends the session with an error (the screen cannot be captured).
type fatal struct {
	reason string
	err    error
}

// post hands an event to the owner unless the session is over.
func (s *session) post(ctx context.Context, ev event) {
	select {
	case s.events <- ev:
	case <-ctx.Done():
	case <-s.stopped:
	}
}

// welcome takes the server's settings, at the start and after reconnects.
// It carries no consent: after a reconnect the agent repeats its own, or,
// when the connection was down longer than ConsentHold, asks again.
func (s *session) welcome(ctx context.Context, w protocol.Welcome, first bool) {
	if w.Engineer != "" {
		s.engineer = w.Engineer
	}
	if w.SessionID != "" {
		s.sessionID = w.SessionID
	}
	if w.Provider != "" {
		s.provider = w.Provider
	}
	s.recorded = w.Recorded
	s.template(w.Allowed, w.Defaults)
	s.p2p = w.P2P
	s.iceServers = w.ICEServers
	s.relayOnly = w.ICEPolicy == protocol.ICEPolicyRelay
	s.iceTimeout = time.Duration(w.ICETimeoutMS) * time.Millisecond
	if w.MaxFPS > 0 && w.MaxFPS <= protocol.MaxFPSLimit {
		s.maxFPS = w.MaxFPS
	}
	if s.files != nil {
		s.files.setLimit(w.FileMaxBytes)
	}
	if s.iceTimeout <= 0 {
		s.iceTimeout = 5 * time.Second
	}
	if first {
		return
	}
	s.down = false
	s.identity = s.sig.Identity()
	s.sayT("customer_agent_reconnected", nil)
	if s.grants.Consented() {
		if out := s.sig.LastOutage(); out > s.cfg.ConsentHold {
			s.revoke(fmt.Sprintf("The connection to the support server was interrupted for %s, so nothing is shared until you allow it again.", out.Round(time.Second)))
		} else if err := s.sig.Send(ctx, protocol.SigConsent, s.consentMessage(s.grants)); err != nil {
			// The server may have restarted and lost it: say it again.
			s.log.Warn("repeat consent", "err", err)
		}
	}
	s.updatePage()
}

// template takes the desk's permission template. It only narrows: a
// later welcome can take away from what is offered, never add to it.
func (s *session) template(allowed, defaults protocol.Grants) {
	if allowed.Valid() != nil || defaults.Valid() != nil || allowed == 0 {
		return
	}
	if allowed.Has(protocol.GrantLimited) {
		allowed |= protocol.GrantLimited // control implies it
	}
	allowed |= protocol.GrantView
	if s.allowed != 0 {
		allowed &= s.allowed
	}
	s.allowed, s.defaults = allowed, defaults&allowed
	s.offer &= allowed
}

// revoke takes back every grant: sharing stops and the customer is asked
// again on the page.
func (s *session) revoke(why string) {
	s.stopViewer("")
	s.grants = 0
	s.disp.setGrants(0)
	if s.files != nil {
		s.files.setGrants(0)
	}
	s.request, s.warning = 0, nil
	if s.paused {
		s.paused = false
		s.disp.setPaused(false)
		if s.pause != nil {
			s.pause.set(false)
		}
	}
	s.followClipboard(context.Background(), 0)
	s.sharedSince = time.Time{}
	s.note = why
	s.say("\n%s", why)
	if s.page != nil {
		s.say("%s\n  %s", s.cfg.Lang.T("customer_agent_answer_again"), s.page.URL())
	}
	if s.cfg.Console != nil {
		s.askConsole(context.Background())
	}
	s.updatePage()
}

// askPage serves the consent page on 127.0.0.1 and opens it in the
// customer's browser. The agent opens no other address, ever.
func (s *session) askPage(ctx context.Context) {
	p, err := consent.Serve(s.pageStatus(consent.PhaseAsking, ""), s.cfg.Settings.Brand, s.cfg.Lang, s.log)
	if err != nil {
		s.log.Warn("consent page", "err", err)
		if s.cfg.Console != nil {
			s.sayT("customer_agent_answer_here", nil)
		}
		return
	}
	s.page = p
	s.showFiles()
	if s.cfg.OpenBrowser != nil {
		if err := s.cfg.OpenBrowser(p.URL()); err != nil {
			s.log.Info("open browser", "err", err)
		}
	}
	if s.recorded {
		keeper := s.cfg.Lang.T("customer_agent_provider")
		if s.provider != "" {
			keeper = s.provider
		}
		s.sayT("customer_agent_console_recorded", map[string]any{"Provider": keeper, "Engineer": s.engineerName()})
	}
	s.say("%s\n  %s", s.cfg.Lang.T("customer_agent_allow_on_page"), p.URL())
}

// askConsole reads a typed answer in the background; when a prompt is
// already waiting for its line, it is only printed again.
func (s *session) askConsole(ctx context.Context) {
	if s.asking {
		fmt.Fprint(s.cfg.Out, consent.PromptIn(s.cfg.Lang))
		return
	}
	s.asking = true
	go func() {
		d, err := consent.Ask(ctx, s.cfg.Console, s.cfg.Out, consent.PromptIn(s.cfg.Lang))
		s.post(ctx, decision{d: d, err: err})
	}()
}

// grant applies grants g the customer chose: the first consent, or a change
// while sharing.
func (s *session) grant(ctx context.Context, g protocol.Grants) {
	if g&protocol.GrantControl != 0 && s.offer&protocol.GrantControl == 0 {
		// Full control where only limited control is offered (the
		// console's "c"): the mouse, which is less than they allowed.
		g |= protocol.GrantLimited
	}
	g &= s.offer
	if !g.Has(protocol.GrantView) {
		return
	}
	first := !s.grants.Consented()
	if !first && g == s.grants {
		return
	}
	s.note = ""
	if g.Has(protocol.GrantLimited) && !s.injOpened {
		s.injOpened = true
		s.injErr = errors.New("no input support in this build")
		if s.cfg.OpenInjector != nil {
			var inj Injector
			if inj, s.injErr = s.cfg.OpenInjector(); s.injErr == nil {
				s.disp.setInjector(inj)
			}
		}
		if s.injErr != nil {
			s.log.Warn("open input", "err", s.injErr)
		}
	}
	if g.Has(protocol.GrantLimited) && s.injErr != nil {
		// Tell the server, the viewer and the customer the truth: input
		// would go nowhere.
		g &^= protocol.GrantControl | protocol.GrantLimited
		s.offer &^= protocol.GrantControl | protocol.GrantLimited
		s.note = s.cfg.Lang.T("customer_agent_note_no_control", map[string]any{"Engineer": s.engineerName()})
		s.say("%s", s.note)
		if !first && g == s.grants {
			s.updatePage()
			return
		}
	}
	g = s.followClipboard(ctx, g)
	if !first && g == s.grants {
		s.updatePage()
		return
	}
	if !first {
		s.grantsChanged(s.grants, g)
	}
	s.grants = g
	if first {
		s.sharedSince = time.Now()
	}
	s.disp.setGrants(g)
	if s.files != nil {
		s.files.setGrants(g)
	}
	if err := s.sig.Send(ctx, protocol.SigConsent, s.consentMessage(g)); err != nil {
		// Reconnecting: the welcome after it repeats the consent.
		s.log.Warn("send consent", "err", err)
	}
	what := s.cfg.Lang.T("customer_agent_what_view")
	if g.Has(protocol.GrantControl) {
		what = s.cfg.Lang.T("customer_agent_what_control")
	} else if g.Has(protocol.GrantLimited) {
		what = s.cfg.Lang.T("customer_agent_what_mouse")
	}
	if g.Has(protocol.GrantClipboard) {
		what += s.cfg.Lang.T("customer_list_comma") + s.cfg.Lang.T("customer_agent_what_clipboard")
	}
	s.say("\n%s", s.cfg.Lang.T("customer_agent_console_sharing", map[string]any{"Engineer": s.engineerName(), "What": what}))
	if s.viewer != nil && s.viewer.streamer != nil {
		s.viewer.streamer.SetGrants(g)
	}
	if first && s.viewerPresent {
		s.startViewer(ctx)
	}
	s.updatePage()
}

// pageStatus is what the consent page shows now.
func (s *session) pageStatus(phase consent.Phase, reason string) consent.Status {
	return consent.Status{
		Phase: phase, Engineer: s.engineer, Provider: s.provider,
		Server: s.identity.Host, Verified: s.identity.Verified, Local: s.identity.Local,
		Offer: s.offer, Defaults: s.pageDefaults(), Grants: s.grants, Viewer: s.viewer != nil && s.viewer.streamer != nil, Code: s.code(),
		Since: s.sharedSince, Note: s.note, Reason: reason, Trust: s.trustStatus(), Recorded: s.recorded,
		Windows: s.pageWindows(), Sharing: s.pageSharing(), Verify: s.cfg.Settings.VerifyURL(),
	}
}

// pageDefaults is what the consent page ticks while asking: the desk's
// defaults, or full control where no template came.
func (s *session) pageDefaults() protocol.Grants {
	if s.allowed == 0 {
		return (protocol.GrantView | protocol.GrantControl) & s.offer
	}
	return s.defaults & s.offer
}

// code is the security code of the current viewer's key exchange, or "".
func (s *session) code() string {
	if s.viewer == nil || s.viewer.keys == nil {
		return ""
	}
	return s.viewer.keys.Code
}

// updatePage shows the session's current phase on the consent page.
func (s *session) updatePage() {
	phase := consent.PhaseAsking
	switch {
	case s.grants.Consented() && s.down:
		phase = consent.PhaseReconnecting
	case s.grants.Consented():
		phase = consent.PhaseSharing
	}
	s.showPage(phase, "")
}

func (s *session) showPage(phase consent.Phase, reason string) {
	if s.page != nil {
		s.page.Update(s.pageStatus(phase, reason))
	}
}

// serverText names the server for the customer, with what proved it.
func (s *session) serverText() string {
	switch {
	case s.identity.Verified:
		return s.identity.Host + " (" + s.cfg.Lang.T("customer_agent_proof_ok") + ")"
	case s.identity.Local:
		return s.identity.Host + " (" + s.cfg.Lang.T("customer_agent_server_local") + ")"
	}
	return s.identity.Host
}

func (s *session) sendStats(ctx context.Context) {
	toViewer, toAgent := s.counts.take()
	frames, input := s.counts.frames.Swap(0), s.activity()
	if toViewer == 0 && toAgent == 0 && frames == 0 && input == 0 {
		return
	}
	if err := s.sig.Send(ctx, protocol.SigStats, protocol.Stats{ToViewer: toViewer, ToAgent: toAgent, Input: input, Frames: frames}); err != nil {
		s.log.Info("send stats", "err", err)
		s.counts.giveBack(toViewer, toAgent)
	}
}

// sendEnd tells the server why the agent ends. It runs while ctx may be
// cancelled already (Ctrl+C), so it has its own short deadline.
func (s *session) sendEnd(reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// The last byte counts first, so the session's record is complete.
	s.sendStats(ctx)
	if err := s.sig.Send(ctx, protocol.SigEnd, protocol.End{Reason: reason}); err != nil {
		s.log.Info("send end", "err", err)
	}
}

// shutdown stops everything; it runs once when Run returns.
func (s *session) shutdown() {
	close(s.stopped)
	s.stopViewer("")
	if s.lastDone != nil {
		select {
		case <-s.lastDone:
		case <-time.After(5 * time.Second):
			s.log.Warn("viewer stream did not stop in time")
		}
	}
	s.disp.close()
	if s.files != nil {
		s.files.close()
	}
	s.closeScope()
	s.followClipboard(context.Background(), 0)
	if s.capt != nil {
		if err := s.capt.Close(); err != nil {
			s.log.Info("close capture", "err", err)
		}
	}
	if s.page != nil {
		// An open page reads the final state before its stream closes.
		if err := s.page.Close(); err != nil {
			s.log.Info("close consent page", "err", err)
		}
	}
	if err := s.sig.Close(); err != nil {
		s.log.Info("close signaling", "err", err)
	}
}

func (s *session) who() string {
	switch {
	case s.engineer != "" && s.provider != "":
		return s.cfg.Lang.T("customer_agent_who", map[string]any{"Engineer": s.engineer, "Provider": s.provider})
	case s.engineer != "":
		return s.engineer
	case s.provider != "":
		return s.cfg.Lang.T("customer_agent_who_anon", map[string]any{"Provider": s.provider})
	}
	return s.cfg.Lang.T("customer_agent_who_nobody")
}

// engineerName names the engineer in a sentence.
func (s *session) engineerName() string {
	if s.engineer != "" {
		return s.engineer
	}
	return s.cfg.Lang.T("customer_agent_engineer_inner")
}

// sayT prints the message id in the customer's language.
func (s *session) sayT(id string, data map[string]any) {
	s.say("%s", s.cfg.Lang.T(id, data))
}

func (s *session) say(format string, args ...any) {
	if _, err := fmt.Fprintf(s.cfg.Out, format+"\n", args...); err != nil {
		s.log.Info("write to console", "err", err)
	}
}
