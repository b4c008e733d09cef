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
	for _, tt := range []struct{ in, label, with string }{
		{"owner", "Owner", "the owner"}, {"admin", "Admin", "an admin"}, {"engineer", "Engineer", "an engineer"},
	} {
		if got := RoleLabel(tt.in); got != tt.label {
			t.Errorf("RoleLabel(%q) = %q", tt.in, got)
		}
		if got := RoleWithArticle(tt.in); got != tt.with {
			t.Errorf("RoleWithArticle(%q) = %q", tt.in, got)
		}
	}
}
