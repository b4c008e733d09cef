package web

import (
	"context"

	"tether/server/live"
	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// historyFacts is what the session's page shows for the history: the start, duration, computer and
// source, the end reason in the reader's language, the chat as a transcript and the files that crossed.
func (s *Server) historyFacts(ctx context.Context, loc locales.Localizer, providerID string, p templates.Page, sess store.Session, engineerName string, evs []store.Event) *templates.SessionFacts {
	row := store.HistoryRow{Session: sess, EngineerName: engineerName}
	f := &templates.SessionFacts{
		Started: sess.CreatedAt, OS: osLabel(sess.AgentOS), Source: sourceLabel(p, sess),
		Engineer: engineerName, EndReason: endReasonLabel(p, sess.EndReason),
	}
	if sess.JoinedAt != nil {
		f.Duration = clockDuration(row.Duration(s.Now()))
	}
	names := map[string]string{}
	who := func(actor string) string {
		n, ok := names[actor]
		if !ok {
			n = s.actorName(ctx, loc, providerID, sess, actor)
			names[actor] = n
		}
		return n
	}
	for _, e := range evs {
		switch e.Kind {
		case live.EventChat:
			f.Chat = append(f.Chat, templates.ChatLine{At: e.At, Who: who(e.Actor), Text: chatText(loc, e.Detail)})
		case protocol.AuditFileToCustomer:
			f.Files = append(f.Files, templates.FileLine{At: e.At, Direction: p.Say("history_file_to_customer"), Detail: auditDetail(loc, e.Detail)})
		case protocol.AuditFileToEngineer:
			f.Files = append(f.Files, templates.FileLine{At: e.At, Direction: p.Say("history_file_to_engineer"), Detail: auditDetail(loc, e.Detail)})
		case protocol.AuditFileFailed:
			f.Files = append(f.Files, templates.FileLine{At: e.At, Direction: p.Say("history_file_failed"), Detail: auditDetail(loc, e.Detail), Failed: true})
		}
	}
	return f
}
