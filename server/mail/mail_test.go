package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tether/server/mail"
	"tether/server/mail/mailtest"
)

func TestSendOverLocalhostWithAuth(t *testing.T) {
	srv := mailtest.Start(t)
	m, err := mail.NewSMTP(srv.URL(), "Tether <tether@example.test>")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = m.Send(ctx, mail.Message{To: "Gil Globex <gil@globex.test>", Subject: "Confirm Globex — café",
		Text: "Hello,\n.a line that starts with a dot\nhttp://x.test/signup/confirm/abc\n"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Next(t, 5*time.Second)
	if got.User != mailtest.User || got.From != "tether@example.test" || len(got.To) != 1 || got.To[0] != "gil@globex.test" {
		t.Errorf("envelope = user %q, from %q, to %v", got.User, got.From, got.To)
	}
	for _, want := range []string{
		"From: Tether <tether@example.test>\n", "To: gil@globex.test\n",
		"Subject: =?utf-8?q?Confirm_Globex_=E2=80=94_caf=C3=A9?=\n", "Content-Type: text/plain; charset=utf-8\n",
		// Dot-stuffing is undone by the server: the line arrives as written.
		"\n.a line that starts with a dot\n", "http://x.test/signup/confirm/abc\n",
	} {
		if !strings.Contains(got.Data, want) {
			t.Errorf("message lacks %q:\n%s", want, got.Data)
		}
	}
}

func TestSendFailures(t *testing.T) {
	srv := mailtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		name, url, to, want string
		refuse              bool
	}{
		{name: "wrong password", url: "smtp://tether:wrong@" + srv.Addr, to: "a@b.test", want: "mail: sign in"},
		{name: "recipient refused", url: srv.URL(), to: "nobody@b.test", want: "mail: to", refuse: true},
		{name: "bad recipient", url: srv.URL(), to: "not an address", want: "mail: recipient"},
		{name: "nobody listening", url: "smtp://127.0.0.1:1", to: "a@b.test", want: "mail: connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.refuse {
				srv.RefuseRecipients("no such user")
				defer srv.RefuseRecipients("")
			}
			m, err := mail.NewSMTP(tt.url, "tether@example.test")
			if err != nil {
				t.Fatal(err)
			}
			err = m.Send(ctx, mail.Message{To: tt.to, Subject: "s", Text: "t"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Send = %v, want an error with %q", err, tt.want)
			}
			if !srv.None() {
				t.Errorf("a message was delivered despite the failure")
			}
		})
	}
}

func TestNewSMTPRefusesBadSettings(t *testing.T) {
	for _, tt := range []struct{ url, from string }{
		{"http://mail.test", "a@b.test"}, {"smtp://", "a@b.test"}, {"smtp://mail.test:25", "not an address"},
	} {
		if _, err := mail.NewSMTP(tt.url, tt.from); err == nil {
			t.Errorf("NewSMTP(%q, %q) = nil error", tt.url, tt.from)
		}
	}
}
