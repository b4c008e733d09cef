package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tether/agent/link"
	"tether/agent/stream"
	"tether/server/protocol"
)

// viewer is one connection attempt to the engineer's viewer.
type viewer struct {
	gen      int
	ctx      context.Context // ends when the viewer connection is replaced or the session ends
	cancel   context.CancelFunc
	hs       *protocol.Handshake   // the key exchange with this viewer
	keys     *protocol.SessionKeys // once the exchange is done
	peer     *link.Peer            // while negotiating or on p2p or TURN
	conn     link.Conn
	streamer *stream.Streamer // set once streaming
	done     chan struct{}    // closed when its stream goroutine ends
}

// keyTimeout bounds the wait for the viewer's part of the key exchange.
const keyTimeout = 15 * time.Second

// startViewer begins a fresh connection to a present viewer, replacing any
// previous one, with a new key exchange. Without the customer's consent to
// be seen it only remembers that the viewer waits.
func (s *session) startViewer(ctx context.Context) {
	if !s.grants.Has(protocol.GrantView) || !s.viewerPresent {
		return
	}
	s.stopViewer("")
	s.gen++
	vctx, cancel := context.WithCancel(ctx)
	v := &viewer{gen: s.gen, ctx: vctx, cancel: cancel, done: make(chan struct{})}
	s.viewer = v
	hs, err := protocol.NewHandshake(protocol.SenderAgent, s.sessionID)
	if err == nil {
		err = s.sig.Send(vctx, protocol.SigKey, hs.Start())
	}
	if err != nil {
		// Reconnecting: the server sends peer again afterwards.
		s.log.Warn("start key exchange", "err", err)
		return
	}
	v.hs = hs
	gen := v.gen
	time.AfterFunc(keyTimeout, func() { s.post(ctx, viewerKeyTimeout{gen: gen}) })
}

// viewerKey takes the viewer's reply in the key exchange, reveals the
// agent's key and connects: peer-to-peer, or the relay.
func (s *session) viewerKey(ctx context.Context, step protocol.KeyStep) {
	v := s.viewer
	if v == nil || v.hs == nil || v.keys != nil {
		s.log.Info("key exchange step without an exchange running, ignored")
		return
	}
	keys, reveal, err := v.hs.Accept(step)
	if errors.Is(err, protocol.ErrStaleKey) {
		s.log.Debug("key reply for an earlier exchange, ignored")
		return
	}
	if err != nil {
		s.log.Warn("key exchange with the viewer refused", "err", err)
		return
	}
	if err := s.sig.Send(v.ctx, protocol.SigKey, reveal); err != nil {
		s.log.Warn("reveal key", "err", err)
		return
	}
	v.keys = keys
	s.sayT("customer_agent_console_code", map[string]any{"Code": keys.Code, "Engineer": s.engineerName()})
	s.connectViewer(ctx, v)
}

// connectViewer starts the path to a viewer whose keys are agreed.
func (s *session) connectViewer(ctx context.Context, v *viewer) {
	vctx := v.ctx
	if !s.p2p {
		s.post(ctx, viewerPath{gen: v.gen, err: errors.New("peer-to-peer disabled by the server")})
		return
	}
	peer, err := link.NewPeer(link.PeerOptions{
		ICEServers:    s.iceServers,
		Keys:          v.keys,
		RelayOnly:     s.relayOnly,
		SettingEngine: s.cfg.SettingEngine,
		Logger:        s.log,
		Signal: func(typ string, payload any) error {
			return s.sig.Send(vctx, typ, payload)
		},
	})
	if err != nil {
		s.log.Warn("peer connection", "err", err)
		s.post(ctx, viewerPath{gen: v.gen, err: err})
		return
	}
	v.peer = peer
	timeout := s.iceTimeout
	go func() {
		conn, err := peer.Wait(vctx, timeout)
		s.post(ctx, viewerPath{gen: v.gen, conn: conn, err: err})
	}()
}

// pathReady starts streaming on the path that connected, or on the relay
// when peer-to-peer did not.
func (s *session) pathReady(ctx context.Context, ev viewerPath) error {
	v := s.viewer
	conn := ev.conn
	if ev.err != nil {
		s.log.Info("using the relay", "reason", ev.err)
		if v.peer != nil {
			if err := v.peer.Close(); err != nil {
				s.log.Info("close peer", "err", err)
			}
			v.peer = nil
		}
		r, err := s.sig.Relay(v.keys)
		if err != nil {
			// The websocket is down; the server sends peer again after
			// the reconnect.
			s.log.Info("relay unavailable", "err", err)
			s.stopViewer("")
			return nil
		}
		conn = r
	}
	if err := s.sig.Send(ctx, protocol.SigPath, protocol.Path{Path: conn.Path()}); err != nil {
		s.log.Warn("send path", "err", err)
	}
	if s.capt == nil {
		c, err := s.cfg.OpenCapturer()
		if err != nil {
			_ = conn.Close() // the session ends with err
			s.post(ctx, fatal{reason: protocol.EndCannotCapture, err: fmt.Errorf("session: open capture: %w", err)})
			return nil
		}
		s.capt = c
		// Pausing blacks out whatever the customer shares.
		s.pause, s.src = newPauser(s.scope.wrap(stream.RememberCursor(c)))
		s.pause.set(s.paused)
		s.startDisplays(ctx)
	}
	if lane, ok := conn.(link.FileLane); ok && s.files != nil {
		go func() {
			if err := s.files.serve(v.ctx, lane); err != nil && v.ctx.Err() == nil {
				s.log.Info("file lane closed", "err", err)
			}
		}()
	}
	v.conn = &countingConn{Conn: conn, c: &s.counts}
	opts := s.cfg.Stream
	opts.OnArea = s.disp.setArea
	if s.maxFPS > 0 && opts.FPS == 0 {
		opts.FPS = s.maxFPS
	}
	if opts.Logger == nil {
		opts.Logger = s.log
	}
	v.streamer = stream.New(s.src, v.conn, s.grants, opts)
	s.sendScope()
	if s.paused {
		s.sendPaused(v)
	}
	s.announceDisplays()
	prev := s.lastDone
	s.lastDone = v.done
	s.sayT("customer_agent_viewer_connected", map[string]any{"Engineer": s.engineerName()})
	vctx := v.ctx
	go func() {
		defer close(v.done)
		// The capturer is not safe for concurrent use: wait until the
		// previous viewer's stream has let go of it.
		if prev != nil {
			select {
			case <-prev:
			case <-vctx.Done():
				return
			}
		}
		err := s.serve(vctx, v.conn, v.streamer)
		s.post(ctx, viewerDone{gen: v.gen, err: err})
	}()
	return nil
}

// stopViewer ends the current viewer connection, if any. why, when not
// empty, is told to the customer.
func (s *session) stopViewer(why string) {
	v := s.viewer
	if v == nil {
		return
	}
	s.viewer = nil
	v.cancel()
	if v.conn != nil {
		if err := v.conn.Close(); err != nil {
			s.log.Info("close viewer path", "err", err)
		}
	} else if v.peer != nil {
		if err := v.peer.Close(); err != nil {
			s.log.Info("close peer", "err", err)
		}
	}
	s.disp.release()
	if why != "" && v.streamer != nil {
		s.sayT("customer_agent_viewer_left", map[string]any{"Engineer": s.engineerName()})
	}
}

// serve streams the screen to one viewer and handles what it sends, until
// either side stops.
func (s *session) serve(ctx context.Context, conn link.Conn, st *stream.Streamer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recvErr := make(chan error, 1)
	go func() {
		err := s.receive(ctx, conn, st)
		cancel()
		recvErr <- err
	}()
	err := st.Run(ctx)
	cancel()
	rerr := <-recvErr
	if ctx.Err() != nil && err != nil && errors.Is(err, context.Canceled) {
		err = nil
	}
	if errors.Is(rerr, context.Canceled) {
		rerr = nil
	}
	return errors.Join(err, rerr)
}

// receive dispatches the viewer's messages.
func (s *session) receive(ctx context.Context, conn link.Conn, st *stream.Streamer) error {
	for {
		b, err := conn.Recv(ctx)
		if err != nil {
			return err
		}
		m, err := protocol.Unmarshal(b)
		if err != nil {
			return fmt.Errorf("session: viewer sent a bad message: %w", err)
		}
		switch m := m.(type) {
		case *protocol.FrameAck:
			st.Ack(m.Seq)
		case *protocol.RequestFull:
			st.RequestFull()
		case *protocol.Point:
			s.point(m)
		case *protocol.SelectDisplay:
			s.post(ctx, selectDisplay{index: m.Index})
		case *protocol.Ping:
			pong, err := protocol.Marshal(&protocol.Pong{Micros: m.Micros})
			if err != nil {
				return err
			}
			if err := conn.Send(pong); err != nil {
				return fmt.Errorf("session: send pong: %w", err)
			}
		case *protocol.ClipboardText:
			s.paste(ctx, m)
		default:
			if protocol.IsInput(m) {
				s.disp.handle(m)
			} else {
				s.log.Debug("ignored viewer message", "type", m.Type())
			}
		}
	}
}
