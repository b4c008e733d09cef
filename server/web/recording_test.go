package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"tether/server/protocol"
	"tether/server/recording"
	"tether/server/store"
)

// upload posts a recording chunk as the viewer does.
func (b *browser) upload(path string, body []byte) (int, string) {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.h.ts.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// testChunk is a recording chunk: a full frame at ms, then frames every 100 ms.
func testChunk(t *testing.T, ms uint32) []byte {
	t.Helper()
	b := protocol.RecordingHeader()
	for i := uint32(0); i < 5; i++ {
		flags := protocol.UpdateEnd
		if i == 0 {
			flags |= protocol.UpdateReset
		}
		msg, err := protocol.Marshal(&protocol.Update{Seq: i + 1, Width: 16, Height: 16, Flags: flags, Data: []byte{1}})
		if err != nil {
			t.Fatal(err)
		}
		if b, err = protocol.AppendRecorded(b, ms+i*100, msg); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestRecordingUploadRefusals: chunks are taken only for the provider's own
// recorded sessions, in turn, idempotently, within the size bound.
func TestRecordingUploadRefusals(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	a := h.signedUp("Acme", "erin@acme.test")
	id, tok := h.newSession(a, "Maria")
	sess, err := h.st.SessionByIDUnscoped(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	a.get("/sessions/" + id)
	path := func(seq int) string { return fmt.Sprintf("/sessions/%s/recording/chunks?seq=%d", id, seq) }

	if _, body, _ := h.browser().get("/i/" + tok); strings.Contains(body, "This session is recorded") {
		t.Fatalf("the invitation page says recorded while the provider does not record")
	}
	// Recording off at the provider: 403.
	if code, body := a.upload(path(0), testChunk(t, 0)); code != http.StatusForbidden || !strings.Contains(body, "does not record") {
		t.Fatalf("provider does not record: %d %s", code, body)
	}
	p := store.DefaultPolicy()
	p.Recording = true
	if err := h.st.SetPolicy(ctx, sess.ProviderID, p); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := h.browser().get("/i/" + tok); !strings.Contains(body, "This session is recorded.") || !strings.Contains(body, "you may refuse") {
		t.Fatalf("the invitation page does not say the session is recorded")
	}
	// The provider records, but this session was never announced as recorded: 403.
	if code, body := a.upload(path(0), testChunk(t, 0)); code != http.StatusForbidden || !strings.Contains(body, "not recorded") {
		t.Fatalf("session not recorded: %d %s", code, body)
	}
	if err := h.st.StartRecording(ctx, id, sess.ProviderID); err != nil {
		t.Fatal(err)
	}
	// The detail page says it is recorded, with nothing yet to play.
	if _, body, _ := a.get("/sessions/" + id); !strings.Contains(body, `data-state="empty"`) {
		t.Fatalf("detail page of a recorded session without chunks lacks the recording panel")
	}
	if code, body, _ := a.get("/sessions/" + id + "/view"); code != http.StatusOK || !strings.Contains(body, `data-record="/sessions/`+id+`/recording/chunks"`) ||
		!strings.Contains(body, `data-record-next="0"`) {
		t.Fatalf("viewer page does not tell the viewer to record: %d", code)
	}
	for _, step := range []struct {
		name string
		seq  int
		body []byte
		want int
	}{
		{"first", 0, testChunk(t, 0), http.StatusCreated},
		{"retried", 0, testChunk(t, 0), http.StatusOK},
		{"other bytes under a kept number", 0, testChunk(t, 50), http.StatusConflict},
		{"a gap", 2, testChunk(t, 4000), http.StatusConflict},
		{"back in time", 1, testChunk(t, 100), http.StatusConflict},
		{"no number", -1, testChunk(t, 2000), http.StatusBadRequest},
		{"not a recording", 1, []byte("GIF89a"), http.StatusBadRequest},
		{"oversized", 1, make([]byte, recording.MaxChunkSize+1), http.StatusRequestEntityTooLarge},
		{"next", 1, testChunk(t, 2000), http.StatusCreated},
	} {
		u := path(step.seq)
		if step.seq < 0 {
			u = "/sessions/" + id + "/recording/chunks"
		}
		code, body := a.upload(u, step.body)
		if code != step.want {
			t.Fatalf("%s: %d %s, want %d", step.name, code, body, step.want)
		}
		if code == http.StatusConflict && !strings.Contains(body, `"next":1`) {
			t.Errorf("%s: the conflict does not say which chunk is next: %s", step.name, body)
		}
	}
	// Another provider's engineer: 404 for the upload, the page and the data.
	other, otherOwner, err := h.st.CreateProviderWithOwner(ctx, "Globex", "Gus", "gus@globex.test", "x")
	if err != nil {
		t.Fatal(err)
	}
	op := store.DefaultPolicy()
	op.Recording = true
	if err := h.st.SetPolicy(ctx, other.ID, op); err != nil {
		t.Fatal(err)
	}
	g := h.browser()
	if err := h.srv.startLoginFor(g, otherOwner); err != nil {
		t.Fatal(err)
	}
	g.get("/console")
	if code, _ := g.upload(path(2), testChunk(t, 4000)); code != http.StatusNotFound {
		t.Fatalf("another provider's upload: %d, want 404", code)
	}
	for _, u := range []string{"/sessions/" + id + "/recording", "/sessions/" + id + "/recording/data"} {
		if code, _, _ := g.get(u); code != http.StatusNotFound {
			t.Fatalf("another provider GET %s: %d, want 404", u, code)
		}
	}
	// Signed out: no upload.
	if code, _ := h.browser().upload(path(2), testChunk(t, 4000)); code != http.StatusForbidden && code != http.StatusSeeOther && code != http.StatusUnauthorized {
		t.Fatalf("anonymous upload: %d", code)
	}

	// The owner plays it back: the page, and the data as one recording.
	code, body, _ := a.get("/sessions/" + id + "/recording")
	if code != http.StatusOK || !strings.Contains(body, `data-mode="playback"`) || !strings.Contains(body, `data-duration="2400"`) {
		t.Fatalf("playback page: %d", code)
	}
	code, data, _ := a.get("/sessions/" + id + "/recording/data")
	entries, err := protocol.ParseRecording([]byte(data))
	if code != http.StatusOK || err != nil || len(entries) != 10 || entries[9].Millis != 2400 {
		t.Fatalf("recording data: %d, %d entries, %v", code, len(entries), err)
	}
	if _, body, _ := a.get("/sessions/" + id); !strings.Contains(body, `href="/sessions/`+id+`/recording"`) || !strings.Contains(body, "00:02") {
		t.Fatalf("detail page does not offer the recording")
	}
}
