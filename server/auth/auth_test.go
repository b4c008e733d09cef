package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPassword(h, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ hash, pw string }{{h, "wrong password"}, {"", "correct horse battery"}, {"", ""}} {
		if err := CheckPassword(tc.hash, tc.pw); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("CheckPassword(%q) = %v", tc.pw, err)
		}
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) != 32 || strings.ToLower(a) != a {
		t.Fatalf("tokens %q %q", a, b)
	}
	if HashToken(a) == a || len(HashToken(a)) != 64 || HashToken(a) != HashToken(a) {
		t.Fatal("HashToken")
	}
}

func TestCodes(t *testing.T) {
	seen := map[byte]bool{}
	for i := 0; i < 2000; i++ {
		c := NewCode()
		if n, ok := NormalizeCode(c); !ok || n != c {
			t.Fatalf("NewCode %q does not normalize to itself", c)
		}
		for j := range c {
			seen[c[j]] = true
		}
	}
	if len(seen) != len(CodeAlphabet) {
		t.Fatalf("only %d of %d characters used", len(seen), len(CodeAlphabet))
	}
	for _, bad := range "01OIL" {
		if strings.ContainsRune(CodeAlphabet, bad) {
			t.Fatalf("ambiguous %q in alphabet", bad)
		}
	}
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"abc def", "ABCDEF", true},
		{" a-b-c-2-3-4 ", "ABC234", true},
		{"ABCDE", "", false},
		{"ABCDEFG", "", false},
		{"ABCDE0", "", false},
		{"ABC+DE", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeCode(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("NormalizeCode(%q) = %q, %v", tt.in, got, ok)
		}
	}
	if FormatCode("ABCDEF") != "ABC DEF" {
		t.Fatal(FormatCode("ABCDEF"))
	}
}
