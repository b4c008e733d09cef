package protocol

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestChatText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "Hello, can you see my screen?", "Hello, can you see my screen?", true},
		{"trimmed", "  hi\n ", "hi", true},
		{"lines and tabs", "one\n\ttwo", "one\n\ttwo", true},
		{"non-Latin", "Привет, 你好 👋", "Привет, 你好 👋", true},
		{"at the limit", strings.Repeat("é", MaxChatText), strings.Repeat("é", MaxChatText), true},
		{"over the limit", strings.Repeat("a", MaxChatText+1), "", false},
		{"empty", "", "", false},
		{"only spaces", " \n\t ", "", false},
		{"control character", "bell\a", "", false},
		{"escape sequence", "\x1b[2Jcleared", "", false},
		{"invalid UTF-8", "a\xffb", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ChatText(tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("ChatText(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			if got != tc.want {
				t.Fatalf("ChatText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestChatRef(t *testing.T) {
	for _, ok := range []string{"", "m-1", "a_B9", strings.Repeat("x", MaxChatRef)} {
		if err := ChatRef(ok); err != nil {
			t.Errorf("ChatRef(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"a b", "<script>", "é", strings.Repeat("x", MaxChatRef+1)} {
		if err := ChatRef(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ChatRef(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// FuzzChat decodes untrusted chat envelopes as the server does: whatever
// passes the checks is within the bounds.
func FuzzChat(f *testing.F) {
	f.Add([]byte(`{"type":"chat","payload":{"text":"hello","ref":"m1"}}`))
	f.Add([]byte(`{"type":"chat","payload":{"text":"\u0007","ref":"a b"}}`))
	f.Add([]byte(`{"type":"typing","payload":{"typing":true}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := DecodeSignal(b)
		if err != nil {
			return
		}
		var c Chat
		if env.Decode(&c) != nil {
			return
		}
		text, err := ChatText(c.Text)
		if err != nil {
			return
		}
		if ChatRef(c.Ref) != nil {
			return
		}
		if text == "" || utf8.RuneCountInString(text) > MaxChatText || !utf8.ValidString(text) {
			t.Fatalf("accepted %q", text)
		}
		if len(c.Ref) > MaxChatRef {
			t.Fatalf("accepted ref %q", c.Ref)
		}
	})
}
