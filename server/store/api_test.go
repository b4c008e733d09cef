package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"tether/server/protocol"
)

func TestAPITokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		hash := strings.Repeat("ab", 32)
		tok, err := e.s.CreateAPIToken(ctx, APIToken{ProviderID: e.p.ID, Name: "  CRM  ", TokenHash: hash, Hint: "WXYZ", CreatedBy: e.owner.ID})
		if err != nil {
			t.Fatal(err)
		}
		if tok.Name != "CRM" {
			t.Fatalf("name %q, want trimmed", tok.Name)
		}
		for _, bad := range []APIToken{
			{ProviderID: e.p.ID, Name: "", TokenHash: hash},
			{ProviderID: e.p.ID, Name: strings.Repeat("x", MaxAPITokenName+1), TokenHash: strings.Repeat("cd", 32)},
			{ProviderID: e.p.ID, Name: "short hash", TokenHash: "abc"},
		} {
			if _, err := e.s.CreateAPIToken(ctx, bad); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("CreateAPIToken(%+v) = %v, want ErrInvalidArgument", bad, err)
			}
		}
		other, olga, _ := e.otherProvider(t)
		if _, err := e.s.CreateAPIToken(ctx, APIToken{ProviderID: e.p.ID, Name: "x", TokenHash: strings.Repeat("ef", 32), CreatedBy: olga.ID}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("token made by another provider's user: %v, want ErrNotFound", err)
		}
		got, err := e.s.APITokenByHash(ctx, hash)
		if err != nil || got.ID != tok.ID {
			t.Fatalf("APITokenByHash = %+v, %v", got, err)
		}
		list, err := e.s.APITokens(ctx, e.p.ID)
		if err != nil || len(list) != 1 || list[0].CreatorName != "Ada Owner" || list[0].LastUsedAt != nil {
			t.Fatalf("APITokens = %+v, %v", list, err)
		}
		if err := e.s.TouchAPIToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		first := e.clock.Now()
		e.clock.Advance(10 * time.Second)
		if err := e.s.TouchAPIToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		list, _ = e.s.APITokens(ctx, e.p.ID)
		if list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(utc(first)) {
			t.Fatalf("last used %v, want %v (one write a minute)", list[0].LastUsedAt, first)
		}
		if _, err := e.s.RevokeAPIToken(ctx, other.ID, tok.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke by another provider: %v, want ErrNotFound", err)
		}
		if _, err := e.s.RevokeAPIToken(ctx, e.p.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.APITokenByHash(ctx, hash); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoked token found: %v", err)
		}
		if _, err := e.s.RevokeAPIToken(ctx, e.p.ID, tok.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke twice: %v, want ErrNotFound", err)
		}
		list, _ = e.s.APITokens(ctx, e.p.ID)
		if len(list) != 1 || !list[0].Revoked() {
			t.Fatalf("revoked token should stay listed as revoked: %+v", list)
		}
	})
}

// reportAll claims every pending change as a sweep would, returning the events in order.
func reportAll(t *testing.T, s *Store) []string {
	t.Helper()
	ctx := context.Background()
	changes, err := s.WebhookChanges(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		var evs []NewWebhookDelivery
		for _, st := range c.Steps() {
			evs = append(evs, NewWebhookDelivery{Event: protocol.WebhookEvent(st), Payload: []byte(`{}`)})
		}
		ok, err := s.ClaimWebhookChange(ctx, c, evs)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Fatalf("claim of %s lost with no other claimant", c.Session.ID)
		}
		// A second instance that saw the same change loses.
		if ok, err := s.ClaimWebhookChange(ctx, c, evs); err != nil || ok {
			t.Fatalf("second claim of the same change: %v, %v", ok, err)
		}
		for _, e := range evs {
			got = append(got, e.Event)
		}
	}
	return got
}

func TestWebhookChangesAndOutbox(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		before := e.newSession(t, "AAAAAA")
		ended := e.newSession(t, "BBBBBB")
		if _, _, err := e.s.EndSession(ctx, ended.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		if got := reportAll(t, e.s); len(got) != 0 {
			t.Fatalf("no webhook yet, reported %v", got)
		}
		if _, err := e.s.SetWebhook(ctx, e.p.ID, "https://crm.example/hook", "whsec_1"); err != nil {
			t.Fatal(err)
		}
		// The past is not reported: the live session counts as reported waiting, the ended one not at all.
		if got := reportAll(t, e.s); len(got) != 0 {
			t.Fatalf("after setting the webhook, reported %v", got)
		}
		e.clock.Advance(time.Second)
		sess := e.newSession(t, "CCCCCC")
		if _, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceLink, OS: "linux", Host: "pc"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GiveConsent(ctx, sess.ID, protocol.GrantView); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.EndSession(ctx, before.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		got := reportAll(t, e.s)
		want := []string{protocol.WebhookSessionEnded, protocol.WebhookSessionWaiting, protocol.WebhookSessionJoined, protocol.WebhookSessionActive}
		if !slices.Equal(got, want) {
			t.Fatalf("reported %v, want %v (steps in between included)", got, want)
		}
		if _, _, err := e.s.EndSession(ctx, sess.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		if got := reportAll(t, e.s); !slices.Equal(got, []string{protocol.WebhookSessionEnded}) {
			t.Fatalf("reported %v, want ended", got)
		}

		// The outbox: a session's events go one after the other.
		due, err := e.s.DueWebhookDeliveries(ctx, 100, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 2 || due[0].URL != "https://crm.example/hook" || due[0].Secret != "whsec_1" || due[0].Attempts != 1 {
			t.Fatalf("due = %+v, want the first event of each session", due)
		}
		if again, _ := e.s.DueWebhookDeliveries(ctx, 100, time.Minute); len(again) != 0 {
			t.Fatalf("claimed deliveries were due again within their lease: %+v", again)
		}
		var first WebhookDelivery
		for _, d := range due {
			if d.SessionID == sess.ID {
				first = d
			} else if err := e.s.WebhookDelivered(ctx, d.ID, 200); err != nil {
				t.Fatal(err)
			}
		}
		if first.Event != protocol.WebhookSessionWaiting {
			t.Fatalf("first delivery of the session is %q", first.Event)
		}
		if err := e.s.WebhookAttemptFailed(ctx, first.ID, 500, "status 500", e.clock.Now().Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(31 * time.Second)
		due, _ = e.s.DueWebhookDeliveries(ctx, 100, time.Minute)
		if len(due) != 1 || due[0].ID != first.ID || due[0].Attempts != 2 {
			t.Fatalf("after the backoff, due = %+v, want the failed one again", due)
		}
		if err := e.s.WebhookAttemptFailed(ctx, first.ID, 0, "refused", time.Time{}); err != nil {
			t.Fatal(err)
		}
		due, _ = e.s.DueWebhookDeliveries(ctx, 100, time.Minute)
		if len(due) != 1 || due[0].Event != protocol.WebhookSessionJoined {
			t.Fatalf("after giving up on the first, due = %+v, want the next event", due)
		}
		list, err := e.s.WebhookDeliveries(ctx, e.p.ID, 10)
		if err != nil || len(list) != 5 {
			t.Fatalf("WebhookDeliveries = %d, %v", len(list), err)
		}
		other, _, _ := e.otherProvider(t)
		if l, _ := e.s.WebhookDeliveries(ctx, other.ID, 10); len(l) != 0 {
			t.Fatalf("another provider sees %d deliveries", len(l))
		}
		// Finished deliveries are forgotten after the cutoff, not before; pending ones stay.
		if n, err := e.s.PurgeWebhookDeliveries(ctx, e.clock.Now().Add(-time.Minute)); err != nil || n != 0 {
			t.Fatalf("purge before the cutoff: %d, %v", n, err)
		}
		if n, err := e.s.PurgeWebhookDeliveries(ctx, e.clock.Now().Add(time.Second)); err != nil || n != 2 {
			t.Fatalf("purge: %d, %v; want the delivered one and the one given up", n, err)
		}
		if l, _ := e.s.WebhookDeliveries(ctx, e.p.ID, 10); len(l) != 3 || slices.ContainsFunc(l, func(d WebhookDelivery) bool { return d.DeliveredAt != nil || d.FailedAt != nil }) {
			t.Fatalf("after the purge: %+v", l)
		}
		if err := e.s.DeleteWebhook(ctx, e.p.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		if due, _ := e.s.DueWebhookDeliveries(ctx, 100, time.Minute); len(due) != 0 {
			t.Fatalf("deliveries due after the webhook was removed: %+v", due)
		}
		if _, err := e.s.WebhookOf(ctx, e.p.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("WebhookOf after delete: %v", err)
		}
	})
}
