//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"tether/server/auth"
	"tether/server/protocol"
)

// maxUnacked is the real agent's flow control (agent/stream MaxUnacked):
// at most 2 frames wait for the viewer's FrameAck; a tick that finds 2
// waiting sends nothing, so a slow relay shows as a lower delivered rate.
const maxUnacked = 2

// maxChunk bounds one Update's data; a larger frame goes in several
// messages, the last of which ends it, as the agent's encoder does.
const maxChunk = protocol.MaxUpdateRaw - 1024

// payloadHeader is what the generator writes at the start of every
// Update's data: the message's number in its session and its send time.
const payloadHeader = 16

// active is a relayed session: the customer consented (view and control),
// the agent streams frames over the relay, the engineer's viewer reads
// them, acknowledges every frame and sends input, pings and signals back.
type active struct {
	inv       invitation
	peer      *peer
	agentInst *instance

	// Each ordered stream of numbered messages, checked at its receiver.
	msgs    seqCheck // Update messages, agent → viewer
	acks    seqCheck // FrameAcks, viewer → agent (their numbers are the frames')
	inputs  seqCheck // MouseMoves, viewer → agent
	sigToV  seqCheck // candidate signals, agent → viewer
	sigToA  seqCheck // candidate signals, viewer → agent
	pings   atomic.Int64
	pongs   atomic.Int64
	acked   atomic.Int64  // the last frame the viewer acknowledged
	reportd atomic.Int64  // bytes to the viewer the agent reported in stats
	streams chan struct{} // closed when the viewer heard the path
}

func newActive(inv invitation, p *peer, agentInst *instance) *active {
	return &active{inv: inv, peer: p, agentInst: agentInst, streams: make(chan struct{})}
}

// start connects the viewer, then the agent, which consents; it returns
// once frames flow.
func (a *active) start(ctx context.Context, l *load) error {
	eng := a.inv.eng
	v, err := eng.peer.dial(ctx, eng.inst.ws("/ws/viewer/"+a.inv.id), eng.inst.url, eng.cookie)
	if err != nil {
		return fmt.Errorf("viewer: %w", err)
	}
	go a.viewerRead(l, v)
	ag, err := a.peer.dial(ctx, a.agentInst.ws("/ws/agent"), "", "")
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if err := agentHello(ctx, ag, a.inv.token, auth.NewToken()); err != nil {
		ag.CloseNow()
		return fmt.Errorf("agent: %w", err)
	}
	if err := sendSignal(ctx, ag, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantControl}); err != nil {
		return fmt.Errorf("consent: %w", err)
	}
	hs, err := protocol.NewHandshake(protocol.SenderAgent, a.inv.id)
	if err != nil {
		return err
	}
	paired, keyed := make(chan struct{}), make(chan struct{})
	go a.agentRead(l, ag, hs, paired, keyed)
	if err := waitClosed(ctx, paired, "agent: no viewer announced"); err != nil {
		return err
	}
	// The end-to-end key exchange with the viewer comes first, as the real
	// agent does it: commitment, the viewer's key, the agent's reveal.
	if err := sendSignal(ctx, ag, protocol.SigKey, hs.Start()); err != nil {
		return err
	}
	if err := waitClosed(ctx, keyed, "agent: no key exchange"); err != nil {
		return err
	}
	// With peer-to-peer off (TETHER_P2P=false) the agent takes the relay at
	// once and says so; then its Hello opens the session path.
	if err := sendSignal(ctx, ag, protocol.SigPath, protocol.Path{Path: "relay"}); err != nil {
		return err
	}
	buf := make([]byte, protocol.MaxMessageSize)
	if _, err := sendMessage(ctx, ag, &protocol.Hello{Grants: protocol.GrantView | protocol.GrantControl, Width: 1920, Height: 1080, OS: "linux"}, buf); err != nil {
		return err
	}
	if err := waitClosed(ctx, a.streams, "viewer: no path"); err != nil {
		return err
	}
	l.sending.Go(func() { a.agentSend(l, ag, buf) })
	l.sending.Go(func() { a.viewerSend(l, v) })
	return nil
}

// waitClosed waits up to 30 s for ch to close.
func waitClosed(ctx context.Context, ch chan struct{}, what string) error {
	select {
	case <-ch:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s within 30 s", what)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// agentRead handles what reaches the agent: the viewer's presence, its
// key, candidates, acknowledgements, pings and input.
func (a *active) agentRead(l *load, c *conn, hs *protocol.Handshake, paired, keyed chan struct{}) {
	defer c.CloseNow()
	buf := make([]byte, 64)
	var opener *protocol.Opener
	err := relayLoop(l, c, "relayed agent", &opener, func(env protocol.Envelope, _ []byte) {
		switch env.Type {
		case protocol.SigKey:
			var reply protocol.KeyStep
			if err := env.Decode(&reply); err != nil || keyed == nil {
				l.problems.add("agent: unexpected key step")
				return
			}
			keys, reveal, err := hs.Accept(reply)
			if err != nil {
				l.problems.add("agent: key exchange: " + err.Error())
				return
			}
			c.keyed(keys)
			opener = keys.Opener
			if err := sendSignal(l.ctx, c, protocol.SigKey, reveal); err != nil {
				l.problems.add("agent: key exchange: " + err.Error())
				return
			}
			close(keyed)
			keyed = nil
		case protocol.SigPeer:
			var p protocol.Peer
			if env.Decode(&p) == nil && p.Role == protocol.RoleViewer && p.Present && paired != nil {
				close(paired)
				paired = nil
			}
		case protocol.SigCandidate:
			a.candidate(l, env, &a.sigToA, &l.rec.w().sigToAgent)
		}
	}, func(m protocol.Message, _ int) {
		switch m := m.(type) {
		case *protocol.FrameAck:
			a.acks.got(int64(m.Seq))
			a.acked.Store(int64(m.Seq))
		case *protocol.MouseMove:
			a.inputs.got(int64(m.X)<<16 | int64(m.Y))
		case *protocol.Ping:
			if _, err := sendMessage(l.ctx, c, &protocol.Pong{Micros: m.Micros}, buf); err != nil && l.ctx.Err() == nil {
				l.problems.add("agent: pong: " + err.Error())
			}
		}
	})
	l.closed("relayed agent", c, err)
}

// viewerKey takes one key step on the viewer's side.
func (a *active) viewerKey(l *load, c *conn, env protocol.Envelope, step *protocol.KeyStep, hs **protocol.Handshake, opener **protocol.Opener) error {
	if err := env.Decode(step); err != nil {
		return err
	}
	if *hs == nil {
		h, err := protocol.NewHandshake(protocol.SenderViewer, a.inv.id)
		if err != nil {
			return err
		}
		reply, err := h.Reply(*step)
		if err != nil {
			return err
		}
		*hs = h
		return sendSignal(l.ctx, c, protocol.SigKey, reply)
	}
	keys, err := (*hs).Reveal(*step)
	if err != nil {
		return err
	}
	c.keyed(keys)
	*opener = keys.Opener
	return nil
}

// relayLoop reads one end of a relayed session until it closes: signaling
// envelopes to onSignal (with the raw message), session messages opened
// with *opener (set by onSignal once the keys are agreed) to onMessage
// (with their size on the wire). An end, an error or anything malformed is
// a problem of the run.
func relayLoop(l *load, c *conn, who string, opener **protocol.Opener, onSignal func(protocol.Envelope, []byte), onMessage func(protocol.Message, int)) error {
	return readLoop(l.ctx, c, func(b []byte) {
		env, err := protocol.DecodeSignal(b)
		if err != nil {
			l.problems.add(who + ": bad signal: " + err.Error())
			return
		}
		if env.Type == protocol.SigEnd || env.Type == protocol.SigError {
			l.problems.add(fmt.Sprintf("%s got %s: %s", who, env.Type, env.Payload))
			return
		}
		onSignal(env, b)
	}, func(b []byte) {
		if *opener == nil {
			l.problems.add(who + ": session message before the key exchange")
			return
		}
		msg, err := (*opener).Open(b)
		if err != nil {
			l.problems.add(who + ": cannot open a sealed message: " + err.Error())
			return
		}
		m, err := protocol.Unmarshal(msg)
		if err != nil {
			l.problems.add(who + ": bad message: " + err.Error())
			return
		}
		onMessage(m, len(b))
	})
}

// agentSend streams frames at the configured rate and frame rate, and
// signals and reports stats, until sending stops.
func (a *active) agentSend(l *load, c *conn, buf []byte) {
	cfg := l.cfg
	mean := cfg.Rate / cfg.FPS
	data := make([]byte, 0, protocol.MaxMessageSize)
	var frame, msg int64
	var lastSignal, lastStats time.Time
	var sentBytes, reported int64
	stats := func() {
		if d := sentBytes - reported; d > 0 {
			if err := sendSignal(l.ctx, c, protocol.SigStats, protocol.Stats{ToViewer: d}); err == nil {
				reported = sentBytes
				a.reportd.Store(reported)
			}
		}
	}
	defer stats() // the last counters, as the agent sends them at the end
	l.ticks(time.Second/time.Duration(cfg.FPS), func(now time.Time) bool {
		w := l.rec.w()
		if frame-a.acked.Load() >= maxUnacked {
			w.framesHeld.Add(1)
		} else {
			frame++
			size := max(mean/2+rand.IntN(mean+1), payloadHeader)
			for off := 0; off < size; off += maxChunk {
				msg++
				n := min(size-off, maxChunk)
				data = append(data[:0], l.random[rand.IntN(len(l.random)-n):][:n]...)
				binary.BigEndian.PutUint64(data, uint64(msg))
				binary.BigEndian.PutUint64(data[8:], uint64(time.Now().UnixNano()))
				u := &protocol.Update{Seq: uint32(frame), Width: 1920, Height: 1080, RawLen: uint32(n), Data: data}
				if frame == 1 && off == 0 {
					u.Flags |= protocol.UpdateReset
				}
				if off+n >= size {
					u.Flags |= protocol.UpdateEnd
					u.EncodeMicros = 1000
				}
				sent, err := sendMessage(l.ctx, c, u, buf)
				if err != nil {
					l.problems.add("agent: send frame: " + err.Error())
					return false
				}
				a.msgs.sent.Add(1)
				sentBytes += int64(sent)
				w.bytesSent.Add(int64(sent))
			}
			w.framesSent.Add(1)
		}
		if now.Sub(lastSignal) >= cfg.Signal {
			lastSignal = now
			if err := sendCandidate(l.ctx, c, &a.sigToV); err != nil {
				l.problems.add("agent: send candidate: " + err.Error())
				return false
			}
		}
		if now.Sub(lastStats) >= cfg.Stats {
			lastStats = now
			stats()
		}
		return true
	})
}

// viewerRead handles what reaches the viewer: state, peer, path and the
// agent's candidates, and the relayed session messages.
func (a *active) viewerRead(l *load, c *conn) {
	defer c.CloseNow()
	buf := make([]byte, 64)
	var opener *protocol.Opener
	var hs *protocol.Handshake
	err := relayLoop(l, c, "viewer", &opener, func(env protocol.Envelope, b []byte) {
		switch env.Type {
		case protocol.SigKey:
			// The agent's commitment (answered with the viewer's key), then
			// its reveal (which gives the keys).
			var step protocol.KeyStep
			if err := a.viewerKey(l, c, env, &step, &hs, &opener); err != nil {
				l.problems.add("viewer: key exchange: " + err.Error())
			}
		case protocol.SigPath:
			select {
			case <-a.streams:
			default:
				close(a.streams)
			}
		case protocol.SigCandidate:
			a.candidate(l, env, &a.sigToV, &l.rec.w().sigToViewer)
		case protocol.SigState:
			if st, ok := decodeState(b); ok && st.State == protocol.SessionEnded {
				l.problems.add("relayed session ended (viewer): " + st.Reason)
			}
		}
	}, func(m protocol.Message, size int) {
		now := time.Now()
		w := l.rec.w()
		w.bytesRecv.Add(int64(size))
		w.msgsRecv.Add(1)
		switch m := m.(type) {
		case *protocol.Update:
			if len(m.Data) < payloadHeader {
				l.problems.add("viewer: short update")
				return
			}
			a.msgs.got(int64(binary.BigEndian.Uint64(m.Data)))
			w.frame.add(now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(m.Data[8:])))))
			if m.Ends() {
				// The real viewer acknowledges a frame once painted.
				if _, err := sendMessage(l.ctx, c, &protocol.FrameAck{Seq: m.Seq}, buf); err != nil {
					if l.ctx.Err() == nil {
						l.problems.add("viewer: ack: " + err.Error())
					}
					return
				}
				a.acks.sent.Add(1)
			}
		case *protocol.Pong:
			a.pongs.Add(1)
			w.ping.add(now.Sub(time.UnixMicro(int64(m.Micros))))
		}
	})
	l.closed("viewer", c, err)
}

// viewerSend moves the mouse at the input rate, and pings and signals the
// agent once a second (the real viewer pings on its stats tick).
func (a *active) viewerSend(l *load, c *conn) {
	every := time.Second
	if l.cfg.InputRate > 0 {
		every /= time.Duration(l.cfg.InputRate)
	}
	buf := make([]byte, 64)
	var moves int64
	var lastPing, lastSignal time.Time
	l.ticks(every, func(now time.Time) bool {
		var err error
		if l.cfg.InputRate > 0 {
			moves++
			_, err = sendMessage(l.ctx, c, &protocol.MouseMove{X: uint16(moves >> 16), Y: uint16(moves)}, buf)
			a.inputs.sent.Add(1)
			l.rec.w().inputsSent.Add(1)
		}
		if err == nil && now.Sub(lastPing) >= time.Second {
			lastPing = now
			a.pings.Add(1)
			_, err = sendMessage(l.ctx, c, &protocol.Ping{Micros: uint64(now.UnixMicro())}, buf)
		}
		if err == nil && now.Sub(lastSignal) >= l.cfg.Signal {
			lastSignal = now
			err = sendCandidate(l.ctx, c, &a.sigToA)
		}
		if err != nil {
			l.problems.add("viewer: send: " + err.Error())
			return false
		}
		return true
	})
}

// sendCandidate sends the next numbered, timestamped candidate signal. A
// real candidate's text, with the number and send time in its sdpMid:
// the server relays the envelope as it came and looks at its type only.
func sendCandidate(ctx context.Context, c *conn, s *seqCheck) error {
	seq := s.sent.Add(1)
	mid := fmt.Sprintf("load-%d-%d", seq, time.Now().UnixNano())
	return sendSignal(ctx, c, protocol.SigCandidate, protocol.Candidate{
		Candidate: "candidate:1 1 udp 2130706431 192.0.2.1 9 typ host", SDPMid: &mid,
	})
}

// candidate checks and times one arriving candidate signal.
func (a *active) candidate(l *load, env protocol.Envelope, s *seqCheck, h *hist) {
	var c protocol.Candidate
	if env.Decode(&c) != nil || c.SDPMid == nil {
		l.problems.add("candidate without the generator's stamp")
		return
	}
	f := strings.Split(*c.SDPMid, "-")
	if len(f) != 3 || f[0] != "load" {
		l.problems.add("candidate without the generator's stamp")
		return
	}
	seq, _ := strconv.ParseInt(f[1], 10, 64)
	sent, _ := strconv.ParseInt(f[2], 10, 64)
	s.got(seq)
	h.add(time.Duration(time.Now().UnixNano() - sent))
}
