package live

import (
	"context"
	"strings"
	"testing"
	"time"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// TestGrantRequestIsPassedOnNotGranted: the engineer's request reaches the
// agent and the log, changes no grant; a refusal is logged and told to the
// viewer; neither is accepted before consent.
func TestGrantRequestIsPassedOnNotGranted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.join(t)
	v, _, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	viewerIn := v.Member()
	req := sig(t, protocol.SigGrantRequest, protocol.GrantRequest{Grants: protocol.GrantView | protocol.GrantControl})
	if err := v.Signal(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Signal(ctx, sig(t, protocol.SigGrantAnswer, protocol.GrantAnswer{Grants: protocol.GrantView | protocol.GrantControl})); err == nil {
		t.Fatal("a grant answer before consent was accepted")
	}
	if _, err := a.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	drain(a.Member())
	drain(viewerIn)
	if err := v.Signal(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got := types(drain(a.Member())); got != protocol.SigGrantRequest {
		t.Fatalf("agent got %q", got)
	}
	if s := f.current(t); s.Grants != protocol.GrantView {
		t.Fatalf("a request changed the grants to %s", s.Grants)
	}
	if err := v.Signal(ctx, sig(t, protocol.SigGrantRequest, protocol.GrantRequest{Grants: protocol.GrantView})); err == nil {
		t.Fatal("a request for nothing accepted")
	}
	// A given answer from the agent is not a grant either: only its consent is.
	if _, err := a.Signal(ctx, sig(t, protocol.SigGrantAnswer, protocol.GrantAnswer{Grants: protocol.GrantView | protocol.GrantControl, Given: true})); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.Grants != protocol.GrantView {
		t.Fatalf("a given answer changed the grants to %s", s.Grants)
	}
	if _, err := a.Signal(ctx, sig(t, protocol.SigGrantAnswer, protocol.GrantAnswer{Grants: protocol.GrantView | protocol.GrantControl})); err != nil {
		t.Fatal(err)
	}
	if got := types(drain(viewerIn)); !strings.Contains(got, protocol.SigGrantAnswer) {
		t.Fatalf("viewer got %q", got)
	}
	evs, err := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if k := strings.Join(kinds, ","); !strings.Contains(k, "consent_given,grant_requested,grant_refused") || strings.Count(k, "grant_requested") != 1 {
		t.Fatalf("events %s", k)
	}
}

// TestTimeLimitWarnsThenEnds: the sweeper warns both sides once inside the
// warning period, an extension moves the end, and the session ends with the
// reason at its deadline.
func TestTimeLimitWarnsThenEnds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := store.DefaultPolicy()
	p.SessionMaxMinutes, p.IdleTimeoutMinutes = 20, 0
	if err := f.st.SetPolicy(ctx, f.sess.ProviderID, p); err != nil {
		t.Fatal(err)
	}
	a := f.join(t)
	if _, err := a.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView})); err != nil {
		t.Fatal(err)
	}
	page := f.hub.Join(f.sess.ID, hub.RolePage)
	drain(a.Member())
	f.advance(14 * time.Minute)
	if err := f.svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := drain(page); len(got) != 0 {
		t.Fatalf("warned before the warning period: %s", types(got))
	}
	f.advance(2 * time.Minute) // 4 minutes left
	for range 2 {
		if err := f.svc.SweepOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := types(drain(a.Member())); got != protocol.SigState {
		t.Fatalf("agent got %q, want one warning", got)
	}
	st := f.svc.StateOf(f.current(t))
	if st.Warning == nil || st.Warning.Reason != protocol.EndTimeLimit || st.Warning.InMS != (4*time.Minute).Milliseconds() || !st.Warning.Extendable {
		t.Fatalf("warning %+v", st.Warning)
	}
	if _, err := a.Signal(ctx, sig(t, protocol.SigExtend, protocol.Extend{})); err != nil {
		t.Fatal(err)
	}
	if st := f.svc.StateOf(f.current(t)); st.Warning != nil {
		t.Fatalf("still warned after extending: %+v", st.Warning)
	}
	f.advance(33 * time.Minute) // the first deadline has passed: still on
	if err := f.svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionActive {
		t.Fatalf("ended at the first deadline although extended: %q", s.EndReason)
	}
	f.advance(2 * time.Minute)
	if err := f.svc.SweepOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.current(t); s.State != protocol.SessionEnded || s.EndReason != protocol.EndTimeLimit {
		t.Fatalf("after the deadline: %s %q", s.State, s.EndReason)
	}
}
