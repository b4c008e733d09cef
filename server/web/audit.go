package web

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"tether/server/live"
	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// eventKind words one kind of a session's log for people: the session
// detail page and the CSV and JSON exports, in the reader's language.
type eventKind struct {
	// Label is the message id of what happened (static/locales/console.*.toml).
	Label string
	// Detail words the stored detail; nil shows it as stored.
	Detail func(loc locales.Localizer, detail string) string
}

// eventKinds is the one table of what the log's kinds mean. A kind without
// a row (a newer feature's, or an older one's) is shown as the kind itself
// with its detail as stored: nothing in the log is ever hidden. Add a row
// for each kind you append, and its label to every console catalog.
var eventKinds = map[string]eventKind{
	store.EventCreated:            {Label: "console_event_created"},
	store.EventAgentConnected:     {Label: "console_event_agent_connected"},
	store.EventAgentReconnected:   {Label: "console_event_agent_reconnected"},
	store.EventConsentGiven:       {Label: "console_event_consent_given", Detail: grantsDetail},
	store.EventGrantsChanged:      {Label: "console_event_grants_changed", Detail: grantsDetail},
	store.EventAgentLost:          {Label: "console_event_agent_lost"},
	store.EventViewerConnected:    {Label: "console_event_viewer_connected"},
	store.EventViewerDisconnected: {Label: "console_event_viewer_disconnected"},
	store.EventScopeChanged:       {Label: "console_event_scope_changed", Detail: scopeDetail},
	store.EventEnded:              {Label: "console_event_ended", Detail: endedDetail},
	store.EventRequestAccepted:    {Label: "console_event_request_accepted"},
	live.EventChat:                {Label: "console_event_chat", Detail: chatText},
	store.EventSummaryWritten:     {Label: "console_event_summary_written"},
	store.EventRated:              {Label: "console_event_rated"},
	store.EventScreenshot:         {Label: "console_event_screenshot", Detail: noDetail}, // the screenshots panel shows it
	store.EventRecordingDeleted:   {Label: "console_event_recording_deleted"},
	store.EventTerminated:         {Label: "console_event_terminated", Detail: noDetail},
	// The customer's controls and the time limits (server/live/trust.go).
	store.EventGrantRequested: {Label: "console_event_grant_requested", Detail: grantsDetail},
	store.EventGrantRefused:   {Label: "console_event_grant_refused", Detail: grantsDetail},
	store.EventPaused:         {Label: "console_event_paused"},
	store.EventResumed:        {Label: "console_event_resumed"},
	store.EventExtended:       {Label: "console_event_extended"},
	store.EventConsentLapsed:  {Label: "console_event_consent_lapsed"},
	store.EventAgentRestarted: {Label: "console_event_agent_restarted"},
	// Reported by the agent (protocol.Audit): names, sizes and hashes,
	// never contents.
	protocol.AuditFileToCustomer:      {Label: "console_event_file_to_customer", Detail: auditDetail},
	protocol.AuditFileToEngineer:      {Label: "console_event_file_to_engineer", Detail: auditDetail},
	protocol.AuditFileFailed:          {Label: "console_event_file_failed", Detail: auditDetail},
	protocol.AuditClipboardToCustomer: {Label: "console_event_clipboard_to_customer", Detail: auditDetail},
	protocol.AuditClipboardToEngineer: {Label: "console_event_clipboard_to_engineer", Detail: auditDetail},
}

// auditDetail words what the agent reported (a protocol.Audit as JSON):
// "report.pdf · 1.2 MB · SHA-256 9f86d0…", "3 transfers · 240 B".
func auditDetail(loc locales.Localizer, d string) string {
	var a protocol.Audit
	if err := json.Unmarshal([]byte(d), &a); err != nil {
		return d
	}
	var parts []string
	if a.Name != "" {
		parts = append(parts, a.Name)
	}
	if a.Count > 0 {
		parts = append(parts, loc.T("console_audit_transfers", map[string]any{"Count": a.Count}))
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
func noDetail(locales.Localizer, string) string { return "" }

// grantsDetail words stored grants ("view,control") as the console shows them.
func grantsDetail(loc locales.Localizer, d string) string {
	g, err := protocol.ParseGrants(d)
	if err != nil {
		return d
	}
	return strings.Join(grantWords(loc.T, g), " · ")
}

// endedDetail words the reason a session ended.
func endedDetail(loc locales.Localizer, d string) string { return endReason(loc.T, d) }

// chatText is a chat message's text (the detail is {"text": ...}).
func chatText(_ locales.Localizer, d string) string {
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

// auditLog words a session's log (evs, read within providerID) in loc's language.
func (s *Server) auditLog(ctx context.Context, loc locales.Localizer, providerID string, sess store.Session, evs []store.Event) []auditEntry {
	names := map[string]string{}
	out := make([]auditEntry, 0, len(evs))
	for _, e := range evs {
		k, ok := eventKinds[e.Kind]
		label := e.Kind
		if ok {
			label = loc.T(k.Label)
		}
		desc := e.Detail
		if k.Detail != nil {
			desc = k.Detail(loc, e.Detail)
		}
		who, ok := names[e.Actor]
		if !ok {
			who = s.actorName(ctx, loc, providerID, sess, e.Actor)
			names[e.Actor] = who
		}
		out = append(out, auditEntry{Seq: e.Seq, At: e.At, Kind: e.Kind, Label: label, Actor: e.Actor, Who: who, Description: desc, Detail: e.Detail})
	}
	return out
}

// actorName names who did something: an engineer by name, the customer by
// the name the engineer gave, the support program, or Tether itself.
func (s *Server) actorName(ctx context.Context, loc locales.Localizer, providerID string, sess store.Session, actor string) string {
	switch actor {
	case store.ActorCustomer:
		if sess.CustomerName != "" {
			return loc.T("console_actor_customer_named", map[string]any{"Customer": sess.CustomerName})
		}
		return loc.T("console_actor_customer")
	case store.ActorAgent:
		return loc.T("console_actor_agent")
	case store.ActorSystem:
		return loc.T("console_actor_system")
	}
	if id, ok := strings.CutPrefix(actor, "engineer:"); ok {
		u, err := s.Store.UserByID(ctx, providerID, id)
		if err != nil {
			return loc.T("console_actor_engineer_gone")
		}
		return u.Name
	}
	return actor
}

// scopeDetail words a scope change: empty is the whole screen again.
func scopeDetail(loc locales.Localizer, d string) string {
	if d == "" {
		return loc.T("console_scope_whole_screen")
	}
	return d
}
