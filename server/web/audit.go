package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"tether/server/live"
	"tether/server/protocol"
	"tether/server/store"
	"tether/templates"
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
	store.EventCreated:            {Label: "Invitation created"},
	store.EventAgentConnected:     {Label: "Support program connected"},
	store.EventAgentReconnected:   {Label: "Support program reconnected"},
	store.EventConsentGiven:       {Label: "Customer approved", Detail: grantsDetail},
	store.EventGrantsChanged:      {Label: "Customer changed what the engineer may do", Detail: grantsDetail},
	store.EventAgentLost:          {Label: "Support program disconnected"},
	store.EventViewerConnected:    {Label: "Viewer connected"},
	store.EventViewerDisconnected: {Label: "Viewer disconnected"},
	store.EventScopeChanged:       {Label: "Customer changed what is shared", Detail: scopeDetail},
	store.EventEnded:              {Label: "Session ended"},
	store.EventRequestAccepted:    {Label: "Request accepted"},
	live.EventChat:                {Label: "Chat message", Detail: chatText},
	store.EventSummaryWritten:     {Label: "Summary saved"},
	store.EventRated:              {Label: "Customer rated the session"},
	store.EventScreenshot:         {Label: "Screenshot taken", Detail: noDetail}, // the screenshots panel shows it
	store.EventTerminated:         {Label: "Terminated from the connection history", Detail: noDetail},
	// The customer's controls and the time limits (server/live/trust.go).
	store.EventGrantRequested: {Label: "Engineer asked for more", Detail: grantsDetail},
	store.EventGrantRefused:   {Label: "Customer refused", Detail: grantsDetail},
	store.EventPaused:         {Label: "Customer paused the session"},
	store.EventResumed:        {Label: "Customer resumed the session"},
	store.EventExtended:       {Label: "Customer extended the time limit"},
	store.EventConsentLapsed:  {Label: "Consent lapsed: the support program was away too long"},
	store.EventAgentRestarted: {Label: "Support program restarted; customer asked again"},
	// Reported by the agent (protocol.Audit): names, sizes and hashes,
	// never contents.
	protocol.AuditFileToCustomer:      {Label: "File sent to the customer", Detail: auditDetail},
	protocol.AuditFileToEngineer:      {Label: "File received from the customer", Detail: auditDetail},
	protocol.AuditFileFailed:          {Label: "File transfer failed", Detail: auditDetail},
	protocol.AuditClipboardToCustomer: {Label: "Clipboard text to the customer", Detail: auditDetail},
	protocol.AuditClipboardToEngineer: {Label: "Clipboard text to the engineer", Detail: auditDetail},
}

// auditDetail words what the agent reported (a protocol.Audit as JSON):
// "report.pdf · 1.2 MB · SHA-256 9f86d0…", "3 transfers · 240 B".
func auditDetail(d string) string {
	var a protocol.Audit
	if err := json.Unmarshal([]byte(d), &a); err != nil {
		return d
	}
	var parts []string
	if a.Name != "" {
		parts = append(parts, a.Name)
	}
	if a.Count > 0 {
		word := "transfers"
		if a.Count == 1 {
			word = "transfer"
		}
		parts = append(parts, fmt.Sprintf("%d %s", a.Count, word))
	}
	if a.Size > 0 || a.Name != "" {
		parts = append(parts, templates.HumanBytes(a.Size))
	}
	if a.SHA256 != "" {
		parts = append(parts, "SHA-256 "+a.SHA256)
	}
	if a.Note != "" {
		parts = append(parts, a.Note)
	}
	if len(parts) == 0 {
		return d
	}
	return strings.Join(parts, " · ")
}

// noDetail shows nothing: the page shows the detail elsewhere.
func noDetail(string) string { return "" }

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

// auditLog words a session's log (evs, read within providerID).
func (s *Server) auditLog(ctx context.Context, providerID string, sess store.Session, evs []store.Event) []auditEntry {
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
	return out
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

// scopeDetail words a scope change: empty is the whole screen again.
func scopeDetail(d string) string {
	if d == "" {
		return "whole screen"
	}
	return d
}
