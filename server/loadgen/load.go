//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// load is the generator's side of one run: everything its clients share.
type load struct {
	cfg config
	rec *recorder
	log *slog.Logger
	// ctx ends every client at teardown; send ends only what the clients
	// send (frames, input, signals, reconnects), so that what is in flight
	// can still arrive before losses are counted.
	ctx, send context.Context
	// sending tracks the clients' senders, which end with send.
	sending sync.WaitGroup

	problems problems
	random   []byte // frame payloads are slices of it
	// byID finds a waiting session from a console's state message; it is
	// complete before any console reads.
	byID map[string]*waiting
}

func newLoad(ctx, send context.Context, cfg config, log *slog.Logger) *load {
	r := make([]byte, 1<<20)
	_, _ = rand.Read(r)
	return &load{cfg: cfg, rec: newRecorder(), log: log, ctx: ctx, send: send, random: r, byID: map[string]*waiting{}}
}

// ticks calls fn every d until sending stops or fn returns false.
func (l *load) ticks(d time.Duration, fn func(now time.Time) bool) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-l.send.Done():
			return
		case now := <-t.C:
			if !fn(now) {
				return
			}
		}
	}
}

// problems counts what went wrong, by kind, for the report.
type problems struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *problems) add(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	if len(what) > 160 {
		what = what[:160] + "…"
	}
	p.n[what]++
}

// list returns "count× what" lines, most frequent first.
func (p *problems) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for k, v := range p.n {
		out = append(out, fmt.Sprintf("%d× %s", v, k))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out
}

// closed records a connection that ended while it should have stayed open.
func (l *load) closed(kind string, c *conn, err error) {
	if l.ctx.Err() != nil || c.mine.Load() {
		return
	}
	reason := "read: " + err.Error()
	if st := websocket.CloseStatus(err); st != -1 {
		reason = fmt.Sprintf("closed by the server with %d", st)
	}
	l.problems.add(kind + " connection lost: " + reason)
}

// readLoop reads messages until the connection ends: text to onText,
// binary to onBinary (nil: binary breaks the contract of this endpoint).
func readLoop(ctx context.Context, c *conn, onText, onBinary func([]byte)) error {
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		switch {
		case typ == websocket.MessageText:
			onText(b)
		case onBinary != nil:
			onBinary(b)
		default:
			return fmt.Errorf("unexpected binary message")
		}
	}
}

// decodeState reads a state envelope; false for any other message.
func decodeState(b []byte) (protocol.State, bool) {
	var st protocol.State
	env, err := protocol.DecodeSignal(b)
	if err != nil || env.Type != protocol.SigState {
		return st, false
	}
	return st, json.Unmarshal(env.Payload, &st) == nil
}
