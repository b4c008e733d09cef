package live

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// Viewer is one engineer's viewer connection to a session, owned by the
// handler reading its websocket.
type Viewer struct {
	svc    *Service
	sess   store.Session
	member *hub.Member
	chat   chatter // the engineer, chatting in the viewer's panel
	actor  string  // the engineer, as the session's log names them
}

// Member is the viewer's hub membership: its inbox feeds the websocket.
func (v *Viewer) Member() *hub.Member { return v.member }

// JoinViewer puts an engineer's viewer into a live session and returns it
// with the state to send first, which carries the ICE servers (TURN
// credentials minted for this session) and policy for the viewer's peer
// connection. ErrEnded: the session is over.
func (s *Service) JoinViewer(ctx context.Context, sess store.Session, engineerID, engineerName string) (*Viewer, protocol.State, error) {
	if sess.State == store.StateEnded {
		return nil, s.StateOf(sess), ErrEnded
	}
	v := &Viewer{svc: s, sess: sess, member: s.hub.Join(sess.ID, hub.RoleViewer), actor: store.ActorEngineer(engineerID)}
	v.chat = chatter{svc: s, sessionID: sess.ID, side: protocol.SideEngineer, actor: v.actor, from: engineerName, self: hub.RoleViewer}
	s.event(ctx, sess, store.EventViewerConnected, store.ActorEngineer(engineerID), engineerName)
	st := s.Notify(sess)
	s.pair(sess, st)
	st.ICEServers, st.ICEPolicy = s.iceServers(sess.ID), s.cfg.ICEPolicy
	// The file limit is the provider's policy, read now, so a change
	// applies to the next viewer anywhere.
	if p, err := s.store.ProviderByID(ctx, sess.ProviderID); err != nil {
		s.log.Warn("file limit for the viewer", "session", sess.ID, "err", err)
	} else {
		st.FileMaxBytes = p.FileMaxBytes()
	}
	return v, st, nil
}

// Signal handles one text message (a signaling envelope) from the viewer:
// its key steps, answer and candidates go to the agent, as they came; chat
// goes through the session's conversation (no grant needed). Anything else
// breaks the wire contract.
func (v *Viewer) Signal(ctx context.Context, data []byte) error {
	env, err := protocol.DecodeSignal(data)
	if err != nil {
		return err
	}
	switch env.Type {
	case protocol.SigKey, protocol.SigAnswer, protocol.SigCandidate:
		v.svc.hub.Send(v.sess.ID, hub.RoleAgent, hub.Message{Data: data})
		return nil
	case protocol.SigChat, protocol.SigTyping:
		return v.chat.signal(ctx, env)
	case protocol.SigGrantRequest:
		return v.grantRequest(ctx, env)
	}
	return fmt.Errorf("%w: unexpected message %q from the viewer", protocol.ErrType, env.Type)
}

// Binary relays one session message from the viewer towards the agent. A
// type the viewer may not send is a breach of the contract; whether the
// customer's grants allow it is decided on the agent's side (Agent.Admit),
// where the grants are known. Like the agent's, the message is sealed end
// to end and only its clear type is read.
func (v *Viewer) Binary(data []byte) error {
	t, err := protocol.PeekSealed(data)
	if err != nil {
		return err
	}
	if from, _ := t.Route(); from&protocol.SenderViewer == 0 {
		return fmt.Errorf("%w: %s from the viewer", protocol.ErrType, t)
	}
	v.svc.relayedToAgent.Add(int64(len(data)))
	v.svc.hub.Send(v.sess.ID, hub.RoleAgent, hub.Message{Binary: true, Data: data, Files: t.FileLane()})
	return nil
}

// Leave takes the viewer out of its session and tells the agent, unless a
// newer viewer connection replaced this one.
func (v *Viewer) Leave(ctx context.Context) {
	v.member.Leave()
	if errors.Is(v.member.Err(), hub.ErrReplaced) {
		return
	}
	v.svc.sendSignal(v.sess.ID, hub.RoleAgent, protocol.SigPeer, protocol.Peer{Role: protocol.RoleViewer, Present: false})
	v.svc.event(context.WithoutCancel(ctx), v.sess, store.EventViewerDisconnected, v.actor, "")
	v.svc.NotifyCurrent(context.WithoutCancel(ctx), v.sess.ID)
}

// JoinPage puts a customer's invitation page into its session, at most
// MaxPages of them (ErrTooMany, decided in one step however many arrive at
// once), and returns the state to send first.
func (s *Service) JoinPage(sess store.Session) (*hub.Member, protocol.State, error) {
	m, ok := s.hub.JoinCapped(sess.ID, hub.RolePage, s.cfg.MaxPages)
	if !ok {
		return nil, protocol.State{}, ErrTooMany
	}
	return m, s.StateOf(sess), nil
}

// JoinConsole puts an engineer's console into their provider's updates.
func (s *Service) JoinConsole(providerID string) *hub.Member {
	return s.hub.Join(providerID, hub.RoleConsole)
}

// grantsBox holds grants for one writer and concurrent readers.
type grantsBox struct{ v atomic.Uint32 }

func (b *grantsBox) Load() protocol.Grants   { return protocol.Grants(b.v.Load()) }
func (b *grantsBox) Store(g protocol.Grants) { b.v.Store(uint32(g)) }
