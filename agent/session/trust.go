package session

import (
	"context"
	"sync/atomic"
	"time"

	"tether/agent/capture"
	"tether/agent/consent"
	"tether/agent/stream"
	"tether/server/protocol"
)

// The customer's controls while sharing: what the engineer asks for
// (answered only here), pause, and the time-limit warning with its
// extension. The server passes requests on and records answers; nothing it
// sends grants anything.

// trustState is the part of the session's state these controls own.
type trustState struct {
	request protocol.Grants // asked for by the engineer, not answered yet
	paused  bool
	pause   *pauser // the screen source, blacked out while paused
	warning *protocol.Warning
	endsAt  time.Time // the warning's end, in this computer's clock
	changes []consent.Change
	// lastInjected is the dispatcher's count at the last stats, for the
	// activity the idle timeout watches.
	lastInjected int
}

// maxChanges bounds the list of grant changes the page shows.
const maxChanges = 5

// grantRequested takes the engineer's request for more grants: the
// customer is asked on the consent page. It grants nothing by itself.
func (s *session) grantRequested(ctx context.Context, env protocol.Envelope) {
	var r protocol.GrantRequest
	if err := env.Decode(&r); err != nil || r.Validate() != nil {
		s.log.Warn("bad grant request", "err", err)
		return
	}
	if !s.grants.Consented() {
		s.log.Info("grant request before consent ignored")
		return
	}
	want := r.Grants &^ s.grants &^ protocol.GrantView
	if want&^s.offer != 0 {
		// Asked for what this computer cannot give (no input, no clipboard).
		s.answer(ctx, want, false)
		want &= s.offer
	}
	if want == 0 {
		return
	}
	s.request |= want
	s.sayT("customer_agent_console_request", map[string]any{"Engineer": s.engineerName(), "Things": s.grantWords(s.request)})
	s.updatePage()
}

// answer tells the engineer the customer's answer.
func (s *session) answer(ctx context.Context, g protocol.Grants, given bool) {
	if err := s.sig.Send(ctx, protocol.SigGrantAnswer, protocol.GrantAnswer{Grants: g | protocol.GrantView, Given: given}); err != nil {
		s.log.Warn("send grant answer", "err", err)
	}
}

// trustDecide carries out the customer's choice on a control.
func (s *session) trustDecide(ctx context.Context, d consent.TrustDecision) {
	switch {
	case d.Answer:
		req := d.Request & s.request
		s.request = 0
		if req == 0 {
			break
		}
		if d.Give {
			s.grant(ctx, s.grants|req)
		}
		s.answer(ctx, req, d.Give && s.grants.Has(req))
		if !d.Give {
			s.noteChange(s.cfg.Lang.T("customer_agent_change_refused", map[string]any{"Engineer": s.engineerName(), "Things": s.grantWords(req)}))
		}
	case d.Pause, d.Resume:
		s.setPaused(ctx, d.Pause)
	case d.Extend:
		if err := s.sig.Send(ctx, protocol.SigExtend, protocol.Extend{}); err != nil {
			s.log.Warn("send extend", "err", err)
		}
	}
	s.updatePage()
}

// noteChange adds a line to the page's list of grant changes.
func (s *session) noteChange(text string) {
	s.changes = append(s.changes, consent.Change{At: time.Now(), Text: text})
	if len(s.changes) > maxChanges {
		s.changes = s.changes[len(s.changes)-maxChanges:]
	}
}

// grantsChanged records a change the customer made, for the page's list.
func (s *session) grantsChanged(from, to protocol.Grants) {
	if gained := to &^ from; gained != 0 {
		s.noteChange(s.cfg.Lang.T("customer_agent_change_allowed", map[string]any{"Engineer": s.engineerName(), "Things": s.grantWords(gained)}))
	}
	if lost := from &^ to; lost != 0 {
		s.noteChange(s.cfg.Lang.T("customer_agent_change_took_back", map[string]any{"Things": s.grantWords(lost)}))
	}
	// A request answered by ticking the boxes is answered.
	s.request &^= to
}

// setPaused pauses or resumes: the stream goes black and input is dropped
// while paused; the viewer and the server are told.
func (s *session) setPaused(ctx context.Context, paused bool) {
	if s.paused == paused {
		return
	}
	s.paused = paused
	if s.pause != nil {
		s.pause.set(paused)
	}
	s.disp.setPaused(paused)
	if s.viewer != nil && s.viewer.streamer != nil {
		s.sendPaused(s.viewer)
		s.viewer.streamer.RequestFull()
	}
	if err := s.sig.Send(ctx, protocol.SigPause, protocol.Pause{Paused: paused}); err != nil {
		s.log.Warn("send pause", "err", err)
	}
	if paused {
		s.sayT("customer_agent_console_paused", map[string]any{"Engineer": s.engineerName()})
	} else {
		s.sayT("customer_agent_console_resumed", map[string]any{"Engineer": s.engineerName()})
	}
}

// sendPaused tells the viewer on v's path whether the session is paused.
func (s *session) sendPaused(v *viewer) {
	b, err := protocol.Marshal(&protocol.Paused{Paused: s.paused})
	if err == nil {
		err = v.conn.Send(b)
	}
	if err != nil {
		s.log.Info("send paused", "err", err)
	}
}

// onState reads the time-limit warning of a state the server sent; the
// agent takes nothing else from it.
func (s *session) onState(env protocol.Envelope) {
	var st protocol.State
	if err := env.Decode(&st); err != nil {
		s.log.Info("bad state", "err", err)
		return
	}
	if !s.grants.Consented() {
		return
	}
	w := st.Warning
	if w != nil && (w.InMS < 0 || w.InMS > int64(24*time.Hour/time.Millisecond) || (w.Reason != protocol.EndTimeLimit && w.Reason != protocol.EndIdle)) {
		s.log.Info("implausible warning ignored", "warning", w)
		w = nil
	}
	s.warning = w
	s.endsAt = time.Time{}
	if w != nil {
		s.endsAt = time.Now().Add(time.Duration(w.InMS) * time.Millisecond)
		id := "customer_agent_console_ends_limit"
		if w.Reason == protocol.EndIdle {
			id = "customer_agent_console_ends_idle"
		}
		s.sayT(id, map[string]any{"In": (time.Duration(w.InMS) * time.Millisecond / time.Second * time.Second).String()})
	}
	s.updatePage()
}

// trustStatus is what the page shows of the controls.
func (s *session) trustStatus() consent.Trust {
	t := consent.Trust{Paused: s.paused, Changes: s.changes}
	if s.request != 0 {
		t.Request = s.request | protocol.GrantView // a valid set on the wire
		t.RequestText = s.grantWords(s.request)
	}
	if s.warning != nil {
		t.EndsAt, t.EndsWhy, t.Extendable = s.endsAt, s.warning.Reason, s.warning.Extendable
	}
	return t
}

// activity counts the engineer's input carried out since the last stats.
func (s *session) activity() int64 {
	injected, _, _ := s.disp.counts()
	n := injected - s.lastInjected
	s.lastInjected = injected
	return int64(n)
}

// pauser is the screen source while sharing: the real one, or a black
// screen without a pointer while the customer paused. The frame after a
// resume has no change report, so the whole screen is compared and sent.
type pauser struct {
	stream.Source
	paused  atomic.Bool
	resumed atomic.Bool
	black   capture.Frame
}

type notifyingPauser struct {
	*pauser
	notifier interface{ Changed() <-chan struct{} }
}

func (n notifyingPauser) Changed() <-chan struct{} { return n.notifier.Changed() }

// newPauser wraps src, keeping its change reports.
func newPauser(src stream.Source) (*pauser, stream.Source) {
	p := &pauser{Source: src}
	if n, ok := src.(interface{ Changed() <-chan struct{} }); ok {
		return p, notifyingPauser{p, n}
	}
	return p, p
}

func (p *pauser) set(paused bool) {
	p.paused.Store(paused)
	if !paused {
		p.resumed.Store(true)
	}
}

func (p *pauser) Capture() (*capture.Frame, error) {
	f, err := p.Source.Capture()
	if err != nil {
		return f, err
	}
	if p.paused.Load() {
		if p.black.Width != f.Width || p.black.Height != f.Height {
			p.black = capture.Frame{Width: f.Width, Height: f.Height, Stride: f.Width * 4, Pix: make([]byte, f.Width*f.Height*4)}
		}
		p.black.Origin = f.Origin // the display shown stays where it is
		return &p.black, nil
	}
	if p.resumed.Swap(false) {
		whole := *f
		whole.Damage, whole.Moves = nil, nil
		return &whole, nil
	}
	return f, nil
}

func (p *pauser) Cursor() (capture.Cursor, error) {
	c, err := p.Source.Cursor()
	if err == nil && p.paused.Load() {
		c.Visible, c.X, c.Y = false, 0, 0
	}
	return c, err
}

// grantWords lists what the grants in g let the engineer do, in the customer's language: "see your screen
// and use your mouse and keyboard".
func (s *session) grantWords(g protocol.Grants) string {
	var labels []string
	for _, n := range g.Names() {
		labels = append(labels, s.cfg.Lang.Grant(n))
	}
	return s.cfg.Lang.List(labels)
}
