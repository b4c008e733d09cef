//go:build linux

package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"tether/server/auth"
	"tether/server/protocol"
)

// waiting is a session whose customer has the invitation page open and the
// agent running, but has not approved yet ("waiting for the customer's
// approval"). Every -reconnect-every its agent drops the connection and
// comes back, as a flaky network does; the engineer's console (on another
// instance) and the page (on the agent's) see it leave and return.
type waiting struct {
	i    int // index into every console's counters
	inv  invitation
	peer *peer
	inst *instance
	key  string // the agent key, the same across reconnects

	conn *conn // the agent's, owned by run
	// lostAt and backAt are the UnixNano times the agent dropped and said
	// hello again; consoles and pages measure from them.
	lostAt, backAt atomic.Int64
	// lostSeen is signalled by the engineer's own console when it saw the
	// agent leave, so the agent comes back only then (a real agent's
	// reconnect takes seconds; coming back within microseconds would race
	// the server's own notice that it left).
	lostSeen chan struct{}
	cycles   atomic.Int64 // drops completed
	// Counts of the page's state messages: agent present, agent gone.
	pageBack, pageLost atomic.Int64
}

func newWaiting(i int, inv invitation, p *peer, inst *instance) *waiting {
	return &waiting{i: i, inv: inv, peer: p, inst: inst, key: auth.NewToken(), lostSeen: make(chan struct{}, 1)}
}

// agentHello sends the agent's hello and reads the welcome, as the agent
// does before anything else.
func agentHello(ctx context.Context, c *conn, token, key string) error {
	err := sendSignal(ctx, c, protocol.SigAgentHello, protocol.AgentHello{
		Token: token, AgentKey: key, Source: protocol.SourceLink, Version: int(protocol.Version),
		OS: "linux", Arch: "amd64", Host: "load-test", Width: 1920, Height: 1080,
	})
	if err != nil {
		return err
	}
	env, err := readSignal(ctx, c, 30*time.Second)
	if err != nil {
		return fmt.Errorf("welcome: %w", err)
	}
	if env.Type != protocol.SigWelcome {
		return fmt.Errorf("welcome: got %s %s", env.Type, env.Payload)
	}
	return nil
}

// connectPage opens the invitation page's live connection and keeps
// reading it until ctx ends.
func (w *waiting) connectPage(ctx context.Context, l *load) error {
	c, err := w.peer.dial(ctx, w.inst.ws("/ws/invite/"+w.inv.token), w.inst.url, "")
	if err != nil {
		return err
	}
	go func() {
		defer c.CloseNow()
		err := readLoop(ctx, c, func(b []byte) {
			st, ok := decodeState(b)
			if !ok {
				return
			}
			if st.State == protocol.SessionEnded {
				l.problems.add("waiting session ended (page): " + st.Reason)
			}
			if st.Agent {
				w.pageBack.Add(1)
				if t := w.backAt.Load(); t != 0 {
					l.rec.w().pageBack.add(time.Duration(time.Now().UnixNano() - t))
				}
			} else {
				w.pageLost.Add(1)
			}
		}, nil)
		l.closed("invitation page", c, err)
	}()
	return nil
}

// connectAgent dials and says hello; the connection lasts until the
// generator drops it or stops.
func (w *waiting) connectAgent(l *load) error {
	ctx := l.ctx
	c, err := w.peer.dial(ctx, w.inst.ws("/ws/agent"), "", "")
	if err != nil {
		return err
	}
	w.backAt.Store(time.Now().UnixNano())
	if err := agentHello(ctx, c, w.inv.token, w.key); err != nil {
		c.CloseNow()
		return err
	}
	w.conn = c
	go func() {
		err := readLoop(ctx, c, func(b []byte) {
			if env, err := protocol.DecodeSignal(b); err == nil && (env.Type == protocol.SigEnd || env.Type == protocol.SigError) {
				l.problems.add(fmt.Sprintf("waiting agent got %s: %s", env.Type, env.Payload))
			}
		}, nil)
		l.closed("waiting agent", c, err)
	}()
	return nil
}

// cycle drops the agent's connection, waits until the engineer's console
// saw it go, and connects again with the same agent key. It always comes
// back, even when sending stops meanwhile: a session left without its
// agent would end after the rejoin grace.
func (w *waiting) cycle(l *load) {
	ctx := l.ctx
	old := w.conn
	w.conn = nil
	select {
	case <-w.lostSeen: // a stale signal from before
	default:
	}
	w.lostAt.Store(time.Now().UnixNano())
	// No close handshake: a dropped network, not an agent that quits.
	old.drop()
	w.cycles.Add(1)
	select {
	case <-w.lostSeen:
	case <-time.After(10 * time.Second):
		l.problems.add("a console did not see a waiting agent leave within 10 s")
	case <-ctx.Done():
		return
	}
	if err := w.connectAgent(l); err != nil && ctx.Err() == nil {
		l.problems.add("waiting agent reconnect: " + err.Error())
	}
}
