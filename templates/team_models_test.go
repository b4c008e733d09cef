package templates

import "testing"

func TestPossessiveAndRoleWords(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Acme", "Acme's"}, {"Acme IT Services", "Acme IT Services'"}, {"BOSS", "BOSS'"}, {"", "'s"},
	} {
		if got := Possessive(tt.in); got != tt.want {
			t.Errorf("Possessive(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	p := Page{}
	for _, tt := range []struct{ in, label, as string }{
		{"owner", "Owner", "the owner"}, {"admin", "Admin", "an admin"}, {"engineer", "Engineer", "an engineer"}, {"Admin", "Admin", "an admin"},
	} {
		if got := p.RoleWord(tt.in); got != tt.label {
			t.Errorf("RoleWord(%q) = %q", tt.in, got)
		}
		if got := p.RoleAs(tt.in); got != tt.as {
			t.Errorf("RoleAs(%q) = %q", tt.in, got)
		}
	}
}
