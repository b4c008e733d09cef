package consent

import (
	"io"
	"net/http"
	"regexp"
	"testing"

	"tether/server/protocol"
)

// TestConsentPageTicksTheDefaults: the page offers what Offer holds, ticks the provider's defaults
// while asking, and shows "mouse, not keyboard" only while full control is not ticked.
func TestConsentPageTicksTheDefaults(t *testing.T) {
	grantLabel := regexp.MustCompile(`<label class="grant" id="grant-(\w+)"( hidden)?><input type="checkbox" name="grant" value="\w+"( checked)?>`)
	page := func(st Status) map[string]string {
		t.Helper()
		p := servePage(t, st)
		resp, err := http.Get(p.URL())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out := map[string]string{}
		for _, m := range grantLabel.FindAllStringSubmatch(string(b), -1) {
			state := "shown"
			if m[2] != "" {
				state = "hidden"
			}
			if m[3] != "" {
				state += ",ticked"
			}
			out[m[1]] = state
		}
		return out
	}
	v, c, l, cl := protocol.GrantView, protocol.GrantControl, protocol.GrantLimited, protocol.GrantClipboard
	tests := []struct {
		name string
		st   Status
		want map[string]string
	}{
		{"a desk allowing limited control, ticked", Status{Phase: PhaseAsking, Offer: v | l | cl, Defaults: v | l},
			map[string]string{"control": "hidden", "limited": "shown,ticked", "clipboard": "shown", "files": "hidden"}},
		{"no template: full control ticked, mouse-only hidden behind it", Status{Phase: PhaseAsking, Offer: v | c | l, Defaults: v | c},
			map[string]string{"control": "shown,ticked", "limited": "hidden", "clipboard": "hidden", "files": "hidden"}},
		{"a default beyond the offer is not ticked", Status{Phase: PhaseAsking, Offer: v | l, Defaults: v | c},
			map[string]string{"control": "hidden", "limited": "shown", "clipboard": "hidden", "files": "hidden"}},
		{"sharing shows what was given, not the defaults", Status{Phase: PhaseSharing, Offer: v | c | l | cl, Defaults: v | c | cl, Grants: v | l},
			map[string]string{"control": "shown", "limited": "shown,ticked", "clipboard": "shown", "files": "hidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := page(tt.st)
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("%s: %q, want %q (page: %v)", k, got[k], want, got)
				}
			}
		})
	}
}
