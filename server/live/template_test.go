package live

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"tether/server/protocol"
	"tether/server/store"
)

// TestDeskTemplateNarrowsRequests: the agent's welcome carries the template
// of the session's desk, and a viewer's request outside it never reaches the
// agent; the viewer is told it was the template, not the customer.
func TestDeskTemplateNarrowsRequests(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	limited := store.DeskTemplate{Allowed: protocol.GrantView | protocol.GrantLimited | protocol.GrantClipboard, Defaults: protocol.GrantView | protocol.GrantLimited}
	if err := f.st.SetDeskTemplate(ctx, f.sess.ProviderID, f.sess.DeskID, limited); err != nil {
		t.Fatal(err)
	}
	a, w, err := f.svc.AgentHello(ctx, hello(token))
	if err != nil {
		t.Fatal(err)
	}
	if w.Allowed != limited.Allowed || w.Defaults != limited.Defaults {
		t.Fatalf("welcome template %v / %v, want %v / %v", w.Allowed, w.Defaults, limited.Allowed, limited.Defaults)
	}
	if _, err := a.Signal(ctx, sig(t, protocol.SigConsent, protocol.Consent{Grants: protocol.GrantView | protocol.GrantLimited})); err != nil {
		t.Fatal(err)
	}
	v, _, err := f.svc.JoinViewer(ctx, f.current(t), f.sess.EngineerID, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	drain(a.Member())
	drain(v.Member())

	if err := v.Signal(ctx, sig(t, protocol.SigGrantRequest, protocol.GrantRequest{Grants: protocol.GrantView | protocol.GrantControl})); err != nil {
		t.Fatal(err)
	}
	if got := types(drain(a.Member())); got != "" {
		t.Fatalf("a request for control outside the template reached the agent: %q", got)
	}
	var answer protocol.GrantAnswer
	for _, m := range drain(v.Member()) {
		env, err := protocol.DecodeSignal(m.Data)
		if err == nil && env.Type == protocol.SigGrantAnswer {
			if err := json.Unmarshal(env.Payload, &answer); err != nil {
				t.Fatal(err)
			}
		}
	}
	if answer.Given || !answer.Policy || answer.Grants != protocol.GrantView|protocol.GrantControl {
		t.Fatalf("viewer's answer %+v, want refused by the template", answer)
	}
	// Within the template the request goes on to the customer.
	if err := v.Signal(ctx, sig(t, protocol.SigGrantRequest, protocol.GrantRequest{Grants: protocol.GrantView | protocol.GrantClipboard})); err != nil {
		t.Fatal(err)
	}
	if got := types(drain(a.Member())); got != protocol.SigGrantRequest {
		t.Fatalf("agent got %q", got)
	}
	// The agent cannot pass its own answer off as the template's.
	if _, err := a.Signal(ctx, sig(t, protocol.SigGrantAnswer, protocol.GrantAnswer{Grants: protocol.GrantView | protocol.GrantClipboard, Policy: true})); err != nil {
		t.Fatal(err)
	}
	for _, m := range drain(v.Member()) {
		if strings.Contains(string(m.Data), `"policy"`) {
			t.Fatalf("the agent's answer reached the viewer as the template's: %s", m.Data)
		}
	}
	evs, err := f.st.Events(ctx, f.sess.ProviderID, f.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	requested := 0
	for _, e := range evs {
		if e.Kind == store.EventGrantRequested {
			requested++
		}
	}
	if requested != 1 {
		t.Fatalf("%d requests logged, want only the one within the template", requested)
	}
}
