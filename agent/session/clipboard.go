package session

import (
	"context"
	"fmt"
	"sync"
	"time"

	"tether/agent/clipboard"
	"tether/server/protocol"
)

// Clipboard is the customer's clipboard while the grant lasts;
// clipboard.Clipboard satisfies it.
type Clipboard interface {
	Write(text string) error
	Changes() <-chan clipboard.Copy
	Close() error
}

// clipGate puts the engineer's pasted text on the customer's clipboard, but
// only while the customer's grants include the clipboard: without it there
// is no clipboard to write to (the owner closed it), whatever the relay
// forwarded. It is called from the viewer's receive goroutine and set by
// the owner, hence the mutex.
type clipGate struct {
	mu   sync.Mutex
	clip Clipboard // nil without the grant
}

func (g *clipGate) set(c Clipboard) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.clip = c
}

// paste writes text; ok false means it was dropped (no grant).
func (g *clipGate) paste(text string) (ok bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.clip == nil {
		return false, nil
	}
	return true, g.clip.Write(text)
}

// clipCopied: the customer copied something while the grant lasts.
type clipCopied struct {
	clip Clipboard // the clipboard it came from; stale after a revoke
	c    clipboard.Copy
}

// clipPasted: the engineer's text was put on the customer's clipboard.
type clipPasted struct{ size int }

// followClipboard opens the clipboard when g includes it and closes it
// when it does not, so nothing of it is read without the grant. It returns
// g without the clipboard when it cannot be opened.
func (s *session) followClipboard(ctx context.Context, g protocol.Grants) protocol.Grants {
	if !g.Has(protocol.GrantClipboard) {
		if s.clip != nil {
			s.clipGate.set(nil)
			close(s.clipStop)
			if err := s.clip.Close(); err != nil {
				s.log.Info("close clipboard", "err", err)
			}
			s.clip = nil
		}
		return g
	}
	if s.clip != nil {
		return g
	}
	if s.cfg.OpenClipboard == nil {
		return g &^ protocol.GrantClipboard
	}
	c, err := s.cfg.OpenClipboard()
	if err != nil {
		s.log.Warn("open clipboard", "err", err)
		s.offer &^= protocol.GrantClipboard
		s.note = s.cfg.Lang.T("customer_agent_note_no_clipboard")
		s.say("%s", s.note)
		return g &^ protocol.GrantClipboard
	}
	s.clip, s.clipStop = c, make(chan struct{})
	s.clipGate.set(c)
	stop := s.clipStop
	go func() {
		for {
			select {
			case cp := <-c.Changes():
				s.post(ctx, clipCopied{clip: c, c: cp})
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return g
}

// copied sends what the customer copied to the engineer's viewer, or
// tells it the copy was too large; with no viewer connected it goes
// nowhere.
func (s *session) copied(ctx context.Context, ev clipCopied) {
	if ev.clip != s.clip || !s.grants.Has(protocol.GrantClipboard) {
		return // copied before the grant was taken back
	}
	v := s.viewer
	if v == nil || v.streamer == nil {
		s.log.Info("clipboard copy with no viewer connected, not sent", "bytes", ev.c.Size)
		return
	}
	var m protocol.Message = &protocol.ClipboardText{Text: ev.c.Text}
	if ev.c.TooLarge() {
		m = &protocol.ClipboardTooLarge{Size: uint32(min(ev.c.Size, 1<<32-1))}
	}
	b, err := protocol.Marshal(m)
	if err == nil {
		err = v.conn.Send(b)
	}
	if err != nil {
		s.log.Warn("send clipboard", "err", err)
		return
	}
	if ev.c.TooLarge() {
		s.sayT("customer_agent_clipboard_too_large", map[string]any{"Size": sizeText(ev.c.Size), "Engineer": s.engineerName(), "Max": sizeText(protocol.MaxClipboardText)})
		return
	}
	s.sayT("customer_agent_clipboard_sent", map[string]any{"Size": sizeText(ev.c.Size), "Engineer": s.engineerName()})
	s.audit(ctx, protocol.Audit{Kind: protocol.AuditClipboardToEngineer, Size: int64(ev.c.Size), Count: 1})
}

// paste handles the engineer's text from the viewer's receive goroutine.
func (s *session) paste(ctx context.Context, m *protocol.ClipboardText) {
	ok, err := s.clipGate.paste(m.Text)
	switch {
	case !ok:
		s.log.Info("clipboard text without the customer's grant, dropped", "bytes", len(m.Text))
	case err != nil:
		s.log.Warn("write clipboard", "err", err)
	default:
		s.post(ctx, clipPasted{size: len(m.Text)})
	}
}

func (s *session) pasted(ctx context.Context, ev clipPasted) {
	s.say("%s put text (%s) on your clipboard.", s.engineerName(), sizeText(ev.size))
	s.audit(ctx, protocol.Audit{Kind: protocol.AuditClipboardToCustomer, Size: int64(ev.size), Count: 1})
}

// audit reports a transfer for the session's log: sizes, never content.
func (s *session) audit(ctx context.Context, a protocol.Audit) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.sig.Send(ctx, protocol.SigAudit, a); err != nil {
		s.log.Warn("send audit", "kind", a.Kind, "err", err)
	}
}

// sizeText words a byte count for the customer.
func sizeText(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
