package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	p2p                bool
	iceServers         []protocol.ICEServer
	iceTimeout         time.Duration

	consented bool
	level     protocol.Level

	viewerPresent bool
	viewer        *viewer // the current viewer connection, or nil
	gen           int     // numbers viewer connections; stale events are ignored
	lastDone      chan struct{}

	capt      Capturer
	src       stream.Source // capt, remembering the pointer image across viewers
	disp      *dispatcher
	injOpened bool
	injErr    error // why input could not be opened; full control is then impossible
	counts    counters
}

// event is something a helper goroutine tells the owner.
type event interface{}

type consoleAnswer struct {
	answer string
	err    error
}

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

func (s *session) loop(ctx context.Context) (Result, error) {
	stats := time.NewTicker(s.cfg.StatsInterval)
	defer stats.Stop()
	for {
		select {
		case <-ctx.Done():
			s.sendEnd(protocol.EndCustomerClosed)
			return Result{Outcome: Stopped, Reason: "you closed the support program"}, nil
		case env, ok := <-s.sig.Envelopes():
			if !ok {
				return s.signalStopped()
			}
			res, done, err := s.handleSignal(ctx, env)
			if done || err != nil {
				return res, err
			}
		case ev := <-s.events:
			res, done, err := s.handleEvent(ctx, ev)
			if done || err != nil {
				return res, err
			}
		case <-stats.C:
			s.sendStats(ctx)
		}
	}
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
		var c protocol.Consent
		if err := env.Decode(&c); err != nil {
			s.log.Warn("bad consent from server", "err", err)
			return Result{}, false, nil
		}
		if c.Level == consent.Deny {
			s.sendEnd(protocol.EndCustomerDenied)
			return Result{Outcome: Denied, Reason: "you declined"}, true, nil
		}
		l, err := protocol.ParseLevel(c.Level)
		if err != nil {
			s.log.Warn("bad consent level from server", "err", err)
			return Result{}, false, nil
		}
		s.grant(ctx, l)
	case protocol.SigPeer:
		var p protocol.Peer
		if err := env.Decode(&p); err != nil {
			s.log.Warn("bad peer message", "err", err)
			return Result{}, false, nil
		}
		if p.Role != "viewer" {
			return Result{}, false, nil
		}
		was := s.viewerPresent
		s.viewerPresent = p.Present
		if p.Present {
			if !s.consented && !was {
				s.say("%s is waiting to see your screen; nothing is shared until you allow it.", s.engineerName())
			}
			s.startViewer(ctx)
		} else {
			s.stopViewer("left")
		}
	case protocol.SigAnswer:
		var sdp protocol.SDP
		if err := env.Decode(&sdp); err != nil {
			s.log.Warn("bad answer", "err", err)
			return Result{}, false, nil
		}
		if s.viewer != nil && s.viewer.peer != nil {
			if err := s.viewer.peer.SetAnswer(sdp.SDP); err != nil {
				s.log.Warn("apply answer", "err", err)
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
	case protocol.SigState:
		// For pages and the console; the agent learns what it needs from
		// consent, peer and end.
	default:
		s.log.Info("ignored signaling message", "type", env.Type)
	}
	return Result{}, false, nil
}

func (s *session) handleEvent(ctx context.Context, ev event) (Result, bool, error) {
	switch ev := ev.(type) {
	case consoleAnswer:
		if ev.err != nil {
			s.log.Info("console answer", "err", ev.err)
			return Result{}, false, nil
		}
		if s.consented {
			return Result{}, false, nil // the page answered first
		}
		if err := s.sig.Send(ctx, protocol.SigConsent, protocol.Consent{Level: ev.answer}); err != nil {
			s.log.Warn("send consent", "err", err)
		}
		if ev.answer == consent.Deny {
			s.sendEnd(protocol.EndCustomerDenied)
			return Result{Outcome: Denied, Reason: "you declined"}, true, nil
		}
		l, err := protocol.ParseLevel(ev.answer)
		if err != nil {
			return Result{}, true, err
		}
		s.grant(ctx, l)
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
	case viewerDone:
		if s.viewer == nil || ev.gen != s.viewer.gen {
			return Result{}, false, nil
		}
		s.log.Info("viewer stream stopped", "err", ev.err)
		s.stopViewer("")
		if s.viewerPresent {
			gen := s.gen
			time.AfterFunc(s.cfg.RetryDelay, func() { s.post(ctx, viewerRetry{gen: gen}) })
		}
	case viewerRetry:
		if s.viewer == nil && s.viewerPresent && ev.gen == s.gen {
			s.startViewer(ctx)
		}
	case fatal:
		s.sendEnd(ev.reason)
		return Result{}, true, ev.err
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
func (s *session) welcome(ctx context.Context, w protocol.Welcome, first bool) {
	if w.Engineer != "" {
		s.engineer = w.Engineer
	}
	if w.Provider != "" {
		s.provider = w.Provider
	}
	s.p2p = w.P2P
	s.iceServers = w.ICEServers
	s.iceTimeout = time.Duration(w.ICETimeoutMS) * time.Millisecond
	if s.iceTimeout <= 0 {
		s.iceTimeout = 5 * time.Second
	}
	if first {
		return
	}
	s.say("Reconnected to the support server.")
	// The server may have restarted: if it lost the customer's answer,
	// repeat it; if it has one we missed while away, take it.
	switch {
	case s.consented && w.State == "waiting":
		if err := s.sig.Send(ctx, protocol.SigConsent, protocol.Consent{Level: s.level.String()}); err != nil {
			s.log.Warn("repeat consent", "err", err)
		}
	case !s.consented && w.State == "active":
		// Only a page holding our consent key could have made the session
		// active: the customer answered there while we were away.
		if l, err := protocol.ParseLevel(w.Level); err == nil {
			s.grant(ctx, l)
		}
	}
}

// askConsole reads a typed answer in the background.
func (s *session) askConsole(ctx context.Context) {
	go func() {
		a, err := consent.Ask(ctx, s.cfg.Console, s.cfg.Out)
		s.post(ctx, consoleAnswer{answer: a, err: err})
	}()
}

// grant applies the customer's consent at level l.
func (s *session) grant(ctx context.Context, l protocol.Level) {
	first := !s.consented
	if !first && l == s.level {
		return
	}
	if l == protocol.LevelControl && !s.injOpened {
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
			s.say("Full control is not possible on this computer, so %s can only watch.", s.engineerName())
		}
	}
	if l == protocol.LevelControl && s.injErr != nil {
		// Tell the server and the viewer the truth: input would go nowhere.
		l = protocol.LevelView
		if err := s.sig.Send(ctx, protocol.SigConsent, protocol.Consent{Level: l.String()}); err != nil {
			s.log.Warn("send consent", "err", err)
		}
		if !first && l == s.level {
			return
		}
	}
	s.consented, s.level = true, l
	s.disp.setLevel(l)
	what := "view only"
	if l == protocol.LevelControl {
		what = "full control"
	}
	s.say("\nSharing your screen with %s (%s). Press Ctrl+C or close this window to stop.", s.engineerName(), what)
	if s.viewer != nil && s.viewer.streamer != nil {
		s.viewer.streamer.SetLevel(l)
	}
	if first && s.viewerPresent {
		s.startViewer(ctx)
	}
}

func (s *session) sendStats(ctx context.Context) {
	toViewer, toAgent := s.counts.take()
	if toViewer == 0 && toAgent == 0 {
		return
	}
	if err := s.sig.Send(ctx, protocol.SigStats, protocol.Stats{ToViewer: toViewer, ToAgent: toAgent}); err != nil {
		s.log.Info("send stats", "err", err)
		s.counts.giveBack(toViewer, toAgent)
	}
}

// sendEnd tells the server why the agent ends. It runs while ctx may be
// cancelled already (Ctrl+C), so it has its own short deadline.
func (s *session) sendEnd(reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
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
	if s.capt != nil {
		if err := s.capt.Close(); err != nil {
			s.log.Info("close capture", "err", err)
		}
	}
	if err := s.sig.Close(); err != nil {
		s.log.Info("close signaling", "err", err)
	}
}

func (s *session) who() string {
	switch {
	case s.engineer != "" && s.provider != "":
		return fmt.Sprintf("%s from %s", s.engineer, s.provider)
	case s.engineer != "":
		return s.engineer
	case s.provider != "":
		return "A support engineer from " + s.provider
	}
	return "A support engineer"
}

// engineerName names the engineer in a sentence.
func (s *session) engineerName() string {
	if s.engineer != "" {
		return s.engineer
	}
	return "the support engineer"
}

func (s *session) say(format string, args ...any) {
	if _, err := fmt.Fprintf(s.cfg.Out, format+"\n", args...); err != nil {
		s.log.Info("write to console", "err", err)
	}
}
