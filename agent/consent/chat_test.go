package consent

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/server/protocol"
)

func post(t *testing.T, p *Page, path, origin, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.URL()+path, strings.NewReader(body))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestConsentPageChat: the customer's messages go to the sender only from
// this page and only when they are text a person could send; the server's
// messages stream to the page, history first, once each.
func TestConsentPageChat(t *testing.T) {
	p := servePage(t, asking)
	self := "http://" + p.host
	var mu sync.Mutex
	var sent []any
	connected := true
	p.SetChatSender(func(typ string, payload any) error {
		mu.Lock()
		defer mu.Unlock()
		if !connected {
			return errors.New("reconnecting")
		}
		sent = append(sent, payload)
		return nil
	})

	if code, _ := post(t, p, "chat", self, `{"text":" Can I ask first? ","ref":"m1"}`); code != http.StatusNoContent {
		t.Fatalf("chat: %d", code)
	}
	if code, _ := post(t, p, "typing", self, `{"typing":true}`); code != http.StatusNoContent {
		t.Fatalf("typing: %d", code)
	}
	for name, tc := range map[string]struct {
		origin, body string
		status       int
		says         string
	}{
		"another site":  {"http://evil.test", `{"text":"hi"}`, http.StatusForbidden, "only from this page"},
		"too long":      {self, `{"text":"` + strings.Repeat("a", protocol.MaxChatText+1) + `"}`, http.StatusBadRequest, "2000"},
		"empty":         {self, `{"text":"  "}`, http.StatusBadRequest, "empty"},
		"control":       {self, `{"text":"\u001b[2J"}`, http.StatusBadRequest, "control"},
		"unknown field": {self, `{"text":"hi","grants":["control"]}`, http.StatusBadRequest, "not understood"},
	} {
		if code, body := post(t, p, "chat", tc.origin, tc.body); code != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s, want %d saying %q", name, code, body, tc.status, tc.says)
		}
	}
	mu.Lock()
	if len(sent) != 2 || sent[0].(protocol.Chat).Text != "Can I ask first?" || sent[0].(protocol.Chat).Ref != "m1" || !sent[1].(protocol.Typing).Typing {
		t.Fatalf("sent %+v", sent)
	}
	connected = false
	mu.Unlock()
	if code, body := post(t, p, "chat", self, `{"text":"hello?"}`); code != http.StatusServiceUnavailable || !strings.Contains(body, "not connected") {
		t.Fatalf("while reconnecting: %d %s", code, body)
	}

	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if !p.ShowChat(protocol.Chat{ID: "e1", At: at, From: "Erin", Side: protocol.SideEngineer, Text: "Hello"}) {
		t.Fatal("first message not new")
	}
	if p.ShowChat(protocol.Chat{ID: "e1", At: at, From: "Erin", Side: protocol.SideEngineer, Text: "Hello"}) {
		t.Fatal("a repeat counted as new")
	}
	resp, err := http.Get(p.URL() + "chat")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	next := func() string {
		t.Helper()
		var ev strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line == "\n" {
				return ev.String()
			}
			ev.WriteString(line)
		}
	}
	if ev := next(); !strings.Contains(ev, "event: chat") || !strings.Contains(ev, `"id":"e1"`) || !strings.Contains(ev, `"history":true`) {
		t.Fatalf("history: %q", ev)
	}
	p.ShowTyping(protocol.Typing{Side: protocol.SideEngineer, From: "Erin", Typing: true})
	if ev := next(); !strings.Contains(ev, "event: typing") || !strings.Contains(ev, `"typing":true`) {
		t.Fatalf("typing: %q", ev)
	}
	p.ShowChat(protocol.Chat{Ref: "m9", Text: "x", Error: "too quickly"})
	if ev := next(); !strings.Contains(ev, `"error":"too quickly"`) {
		t.Fatalf("refusal: %q", ev)
	}
}
