//go:build linux

package main

import (
	"context"
	"sync/atomic"
	"time"

	"tether/server/protocol"
)

// console is an engineer's console page: it hears every state change of
// the provider's sessions, from whichever instance made it.
type console struct {
	eng *engineer
	// back and lost count, per waiting session, the states saying its agent
	// is there or gone.
	back, lost []atomic.Int64
	done       chan struct{}
}

func (e *engineer) openConsole(ctx context.Context, l *load, waitingCount int) error {
	c, err := e.peer.dial(ctx, e.inst.ws("/ws/console"), e.inst.url, e.cookie)
	if err != nil {
		return err
	}
	cons := &console{eng: e, back: make([]atomic.Int64, waitingCount), lost: make([]atomic.Int64, waitingCount), done: make(chan struct{})}
	e.cons = cons
	go func() {
		defer close(cons.done)
		defer c.CloseNow()
		err := readLoop(ctx, c, func(b []byte) { cons.state(l, b) }, nil)
		l.closed("console", c, err)
	}()
	return nil
}

func (cons *console) state(l *load, b []byte) {
	st, ok := decodeState(b)
	if !ok {
		return
	}
	w := l.byID[st.SessionID]
	if w == nil {
		return // a relayed session's changes; not measured here
	}
	now := time.Now().UnixNano()
	if st.State == protocol.SessionEnded {
		l.problems.add("waiting session ended (console): " + st.Reason)
		return
	}
	if st.Agent {
		cons.back[w.i].Add(1)
		if t := w.backAt.Load(); t != 0 {
			l.rec.w().consoleBack.add(time.Duration(now - t))
		}
		return
	}
	cons.lost[w.i].Add(1)
	if t := w.lostAt.Load(); t != 0 {
		l.rec.w().consoleLost.add(time.Duration(now - t))
	}
	if w.inv.eng == cons.eng {
		select {
		case w.lostSeen <- struct{}{}:
		default:
		}
	}
}
