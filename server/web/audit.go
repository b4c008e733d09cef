package web

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"tether/server/live"
	"tether/server/protocol"
	"tether/server/store"
)

// eventKind words one kind of a session's log for people: the session
// detail page and the CSV and JSON exports.
type eventKind struct {
	Label string
	// Detail words the stored detail; nil shows it as stored.
	Detail func(detail string) string
}

// eventKinds is the one table of what the log's kinds mean. A kind without
// a row (a newer feature's, or an older one's) is shown as the kind itself
// with its detail as stored: nothing in the log is ever hidden. Add a row
// for each kind you append.
var eventKinds = map[string]eventKind{
	store.EventCreated:          {Label: "Invitation created"},
	store.EventAgentConnected:   {Label: "Support program connected"},
	store.EventAgentReconnected: {Label: "Support program reconnected"},
	store.EventConsentGiven:     {Label: "Customer approved", Detail: grantsDetail},
	store.EventGrantsChanged:    {Label: "Customer changed what the engineer may do", Detail: grantsDetail},
	store.EventAgentLost:        {Label: "Support program disconnected"},
	store.EventViewerConnected:  {Label: "Viewer connected"},
	store.EventEnded:            {Label: "Session ended"},
	live.EventChat:              {Label: "Chat message", Detail: chatText},
}

// grantsDetail words stored grants ("view,control") as the console shows them.
func grantsDetail(d string) string {
	g, err := protocol.ParseGrants(d)
	if err != nil {
		return d
	}
	return strings.Join(g.Shorts(), " · ")
}

// chatText is a chat message's text (the detail is {"text": ...}).
func chatText(d string) string {
	var c struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(d), &c); err != nil {
		return d
	}
	return c.Text
}

// auditEntry is one line of a session's audit log, as people and exports
// see it.
type auditEntry struct {
	Seq   int64     `json:"seq"`
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	Label string    `json:"label"`
	// Actor is as stored ("engineer:<id>", "customer", "agent", "system");
	// Who names it.
	Actor string `json:"actor"`
	Who   string `json:"who"`
	// Description is the detail worded; Detail is as stored.
	Description string `json:"description"`
	Detail      string `json:"detail"`
}

// auditLog reads a session's log and words it; ErrNotFound when the
// session is not the provider's.
func (s *Server) auditLog(ctx context.Context, providerID string, sess store.Session) ([]auditEntry, error) {
	evs, err := s.Store.Events(ctx, providerID, sess.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	out := make([]auditEntry, 0, len(evs))
	for _, e := range evs {
		k, ok := eventKinds[e.Kind]
		if !ok {
			k.Label = e.Kind
		}
		desc := e.Detail
		if k.Detail != nil {
			desc = k.Detail(e.Detail)
		}
		who, ok := names[e.Actor]
		if !ok {
			who = s.actorName(ctx, providerID, sess, e.Actor)
			names[e.Actor] = who
		}
		out = append(out, auditEntry{Seq: e.Seq, At: e.At, Kind: e.Kind, Label: k.Label, Actor: e.Actor, Who: who, Description: desc, Detail: e.Detail})
	}
	return out, nil
}

// actorName names who did something: an engineer by name, the customer by
// the name the engineer gave, the support program, or Tether itself.
func (s *Server) actorName(ctx context.Context, providerID string, sess store.Session, actor string) string {
	switch actor {
	case store.ActorCustomer:
		if sess.CustomerName != "" {
			return sess.CustomerName + " (customer)"
		}
		return "Customer"
	case store.ActorAgent:
		return "Support program"
	case store.ActorSystem:
		return "System"
	}
	if id, ok := strings.CutPrefix(actor, "engineer:"); ok {
		u, err := s.Store.UserByID(ctx, providerID, id)
		if err != nil {
			return "Engineer (no longer on the team)"
		}
		return u.Name
	}
	return actor
}
