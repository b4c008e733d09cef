package viewer

import (
	"encoding/json"
	"fmt"

	"tether/server/protocol"
)

// handleSignal runs one envelope from the hub or, forwarded, the agent.
func (v *Viewer) handleSignal(env protocol.Envelope) {
	if v.ended {
		return
	}
	v.takeICE(env)
	var err error
	switch env.Type {
	case protocol.SigState:
		err = v.onState(env)
	case protocol.SigPeer:
		err = v.onPeer(env)
	case protocol.SigKey:
		err = v.onKeyStep(env)
	case protocol.SigOffer:
		err = v.onOffer(env)
	case protocol.SigCandidate:
		err = v.onCandidate(env)
	case protocol.SigPath:
		err = v.onPath(env)
	case protocol.SigChat, protocol.SigTyping:
		err = v.onChat(env)
	case protocol.SigGrantAnswer:
		err = v.onGrantAnswer(env)
	case protocol.SigEnd:
		var e protocol.End
		err = env.Decode(&e)
		v.end(e.Reason)
	case protocol.SigError:
		var e protocol.Error
		err = env.Decode(&e)
		v.end(e.Message)
	default:
		v.log.Debug("viewer: ignored signal", "type", env.Type)
	}
	if err != nil {
		v.log.Warn("viewer: signal", "type", env.Type, "err", err)
	}
}

// takeICE accepts an optional ice_servers list and ice_policy on any
// envelope (the server sends them in the viewer's first state, with TURN
// credentials minted for the session). Used for the next peer connection.
func (v *Viewer) takeICE(env protocol.Envelope) {
	if len(env.Payload) == 0 {
		return
	}
	var p struct {
		ICEServers []protocol.ICEServer `json:"ice_servers"`
		ICEPolicy  string               `json:"ice_policy"`
	}
	if json.Unmarshal(env.Payload, &p) != nil {
		return
	}
	if len(p.ICEServers) > 0 {
		v.ice = p.ICEServers
	}
	if p.ICEPolicy != "" && protocol.ValidICEPolicy(p.ICEPolicy) {
		v.relay = p.ICEPolicy == protocol.ICEPolicyRelay
	}
}

func (v *Viewer) onState(env protocol.Envelope) error {
	var s protocol.State
	if err := env.Decode(&s); err != nil {
		return err
	}
	if s.FileMaxBytes > 0 && s.FileMaxBytes != v.files.limit {
		v.files.limit = s.FileMaxBytes
		v.showFilesInfo()
	}
	if s.Grants.Consented() {
		v.setGrants(s.Grants)
	}
	v.emitSession(s)
	if s.State == protocol.SessionEnded {
		v.end(s.Reason)
		return nil
	}
	if v.state == StateConnecting && v.peer == nil && v.path == "" {
		v.setState(StateWaiting, "Waiting for the customer…")
	}
	return nil
}

func (v *Viewer) onPeer(env protocol.Envelope) error {
	var p protocol.Peer
	if err := env.Decode(&p); err != nil {
		return err
	}
	if p.Role != protocol.RoleAgent {
		return nil
	}
	if !p.Present {
		v.closePeer()
		v.forgetKeys()
		v.setPath("")
		v.setState(StateWaiting, "Waiting for the customer…")
		return nil
	}
	if p.Grants.Consented() {
		v.setGrants(p.Grants)
	}
	if v.state != StateStreaming {
		v.setState(StateConnecting, "Connecting…")
	}
	return nil
}

// onKeyStep runs the viewer's side of the key exchange: the agent's commitment
// starts a new exchange (a new connection to this viewer), its reveal ends
// it with the keys and the security code.
func (v *Viewer) onKeyStep(env protocol.Envelope) error {
	var k protocol.KeyStep
	if err := env.Decode(&k); err != nil {
		return err
	}
	if len(k.Commit) > 0 {
		v.forgetKeys()
		hs, err := protocol.NewHandshake(protocol.SenderViewer, v.sessionID)
		if err != nil {
			return err
		}
		reply, err := hs.Reply(k)
		if err != nil {
			return err
		}
		v.hs = hs
		v.signal(protocol.SigKey, reply)
		return nil
	}
	if v.hs == nil {
		return fmt.Errorf("%w: the agent revealed a key without an exchange", protocol.ErrKeyExchange)
	}
	keys, err := v.hs.Reveal(k)
	v.hs = nil
	if err != nil {
		return err
	}
	v.keys = keys
	v.ui.SetSecurityCode(keys.Code)
	return nil
}

// forgetKeys ends the current key exchange: a new connection makes a new one.
func (v *Viewer) forgetKeys() {
	if v.keys != nil {
		v.failAllFiles("The connection to the customer's computer was lost.")
	}
	v.hs, v.keys = nil, nil
	v.ui.SetSecurityCode("")
}

func (v *Viewer) onOffer(env protocol.Envelope) error {
	var o protocol.SDP
	if err := env.Decode(&o); err != nil {
		return err
	}
	// The offer's DTLS fingerprint must be the one the agent authenticated
	// with its key from the exchange; otherwise someone in between (the
	// server) would hold the other end of the data channels.
	if v.keys == nil {
		return fmt.Errorf("%w: offer before the key exchange, refused", protocol.ErrKeyExchange)
	}
	if err := v.keys.CheckSDP(o.SDP, o.MAC); err != nil {
		return fmt.Errorf("viewer: offer refused: %w", err)
	}
	// A new offer is a new connection (the agent restarted its peer);
	// candidates queued before it belong to it.
	pending := v.pending
	v.closePeer()
	v.pending = nil
	p, err := v.newPeer(v.ice, v.relay, PeerEvents{
		Candidate: func(c protocol.Candidate) { v.q.push(func() { v.signal(protocol.SigCandidate, c) }) },
		Message:   func(b []byte) { v.q.push(func() { v.handleSession(b) }) },
		File:      func(b []byte) { v.q.push(func() { v.handleFileLane(b) }) },
		Failed:    func(err error) { v.q.push(func() { v.log.Warn("viewer: peer", "err", err) }) },
	})
	if err != nil {
		return err
	}
	v.peer = p
	answer, err := p.Answer(o.SDP)
	if err != nil {
		return err
	}
	mac, err := v.keys.SignSDP(answer)
	if err != nil {
		return err
	}
	v.answered = true
	v.signal(protocol.SigAnswer, protocol.SDP{SDP: answer, MAC: mac})
	for _, c := range pending {
		if err := p.AddCandidate(c); err != nil {
			v.log.Warn("viewer: queued candidate", "err", err)
		}
	}
	return nil
}

func (v *Viewer) onCandidate(env protocol.Envelope) error {
	var c protocol.Candidate
	if err := env.Decode(&c); err != nil {
		return err
	}
	if v.peer == nil || !v.answered {
		const maxPending = 64
		if len(v.pending) < maxPending {
			v.pending = append(v.pending, c)
		}
		return nil
	}
	return v.peer.AddCandidate(c)
}

func (v *Viewer) onPath(env protocol.Envelope) error {
	var p protocol.Path
	if err := env.Decode(&p); err != nil {
		return err
	}
	if !protocol.ValidPath(p.Path) {
		return protocol.ErrInvalid
	}
	v.setPath(p.Path)
	v.setState(StateStreaming, "Connected")
	return nil
}

func (v *Viewer) setPath(p string) {
	if p == v.path {
		return
	}
	v.path = p
	v.ui.SetPath(p)
}

func (v *Viewer) closePeer() {
	v.answered = false
	if v.peer == nil {
		return
	}
	if err := v.peer.Close(); err != nil {
		v.log.Debug("viewer: close peer", "err", err)
	}
	v.peer = nil
}
