package recording

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tether/server/blob"
	"tether/server/protocol"
	"tether/server/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	st    *store.Store
	blobs *blob.Dir
	dir   string
	svc   *Service
	clock *clock
	prov  store.Provider
	desk  store.Desk
	owner store.User
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{clock: &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}, dir: t.TempDir()}
	var err error
	e.st, err = store.Open(ctx, "sqlite://"+filepath.Join(e.dir, "t.db"), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	if err := e.st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if e.blobs, err = blob.NewDir(filepath.Join(e.dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	if e.prov, e.owner, err = e.st.CreateProviderWithOwner(ctx, "Acme", "Ada", "ada@acme.test", "hash"); err != nil {
		t.Fatal(err)
	}
	if e.desk, err = e.st.DefaultDesk(ctx, e.prov.ID); err != nil {
		t.Fatal(err)
	}
	e.svc = New(e.st, e.blobs, nil)
	return e
}

func (e *env) recordedSession(t *testing.T, code string) store.Session {
	t.Helper()
	ctx := context.Background()
	sess, err := e.st.CreateSession(ctx, store.NewSession{ProviderID: e.prov.ID, DeskID: e.desk.ID, EngineerID: e.owner.ID,
		CustomerName: "Carl", TokenHash: "tok-" + code, Code: code, ExpiresAt: e.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.StartRecording(ctx, sess.ID, e.prov.ID); err != nil {
		t.Fatal(err)
	}
	return sess
}

// chunk is a recording chunk of frames from ms to ms+1900, a full frame first.
func chunk(t testing.TB, ms uint32) []byte {
	t.Helper()
	b := protocol.RecordingHeader()
	for i := uint32(0); i < 20; i++ {
		flags := protocol.UpdateEnd
		if i == 0 {
			flags |= protocol.UpdateReset
		}
		msg, err := protocol.Marshal(&protocol.Update{Seq: ms + i, Width: 32, Height: 32, Flags: flags, Data: []byte{byte(i)}})
		if err != nil {
			t.Fatal(err)
		}
		if b, err = protocol.AppendRecorded(b, ms+i*100, msg); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestChunksMakeOneRecording(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sess := e.recordedSession(t, "AAA111")
	for seq := 0; seq < 3; seq++ {
		if dup, err := e.svc.AddChunk(ctx, e.prov.ID, sess.ID, seq, chunk(t, uint32(seq)*2000)); err != nil || dup {
			t.Fatalf("chunk %d: dup %v, %v", seq, dup, err)
		}
	}
	// A retry of a kept chunk is accepted and changes nothing.
	if dup, err := e.svc.AddChunk(ctx, e.prov.ID, sess.ID, 1, chunk(t, 2000)); err != nil || !dup {
		t.Fatalf("retried chunk: dup %v, %v", dup, err)
	}
	for _, tc := range []struct {
		name string
		seq  int
		b    []byte
		want error
	}{
		{"other bytes under a kept number", 1, chunk(t, 9000), store.ErrChunkConflict},
		{"a gap", 4, chunk(t, 8000), store.ErrChunkOrder},
		{"not a recording", 3, []byte("hello"), ErrBadChunk},
		{"only a header", 3, protocol.RecordingHeader(), ErrBadChunk},
		{"cut short", 3, chunk(t, 6000)[:100], ErrBadChunk},
		{"too large", 3, make([]byte, MaxChunkSize+1), ErrChunkTooLarge},
	} {
		if _, err := e.svc.AddChunk(ctx, e.prov.ID, sess.ID, tc.seq, tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := e.svc.AddChunk(ctx, "another-provider", sess.ID, 3, chunk(t, 6000)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another provider's upload: %v", err)
	}
	ix, err := e.svc.Open(ctx, e.prov.ID, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Recording.Chunks != 3 || ix.Recording.DurationMs != 5900 || len(ix.Keyframes()) != 3 || ix.Keyframes()[2] != 4000 {
		t.Fatalf("index %+v keyframes %v", ix.Recording, ix.Keyframes())
	}
	var buf bytes.Buffer
	if _, err := e.svc.WriteTo(ctx, ix, &buf); err != nil {
		t.Fatal(err)
	}
	entries, err := protocol.ParseRecording(buf.Bytes())
	if err != nil || len(entries) != 60 || entries[59].Millis != 5900 {
		t.Fatalf("played back %d entries, %v", len(entries), err)
	}

	// A chunk lost from the blob store ends the file there: it plays to it.
	infos, _ := e.blobs.List(ctx, "recordings/"+sess.ID)
	if err := e.blobs.Delete(ctx, infos[1].Key); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := e.svc.WriteTo(ctx, ix, &buf); err != nil {
		t.Fatal(err)
	}
	if entries, err := protocol.ParseRecording(buf.Bytes()); err != nil || len(entries) != 20 {
		t.Fatalf("with chunk 1 lost: %d entries, %v", len(entries), err)
	}
}

// TestRetentionDeletesOnce: a recording older than the provider keeps them
// is deleted with its blobs, once even with two sweepers, and the session's
// log says so; a younger one stays.
func TestRetentionDeletesOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old := e.recordedSession(t, "BBB222")
	if _, err := e.svc.AddChunk(ctx, e.prov.ID, old.ID, 0, chunk(t, 0)); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(20 * 24 * time.Hour)
	young := e.recordedSession(t, "CCC333")
	if _, err := e.svc.AddChunk(ctx, e.prov.ID, young.ID, 0, chunk(t, 0)); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10*24*time.Hour + time.Minute) // old: 30 days and a minute; young: 10 days
	other := New(e.st, e.blobs, nil)               // a second instance's sweeper
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, s := range []*Service{e.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.DeleteExpired(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != 1 {
		t.Fatalf("deleted %v, want one deletion in all", counts)
	}
	if infos, _ := e.blobs.List(ctx, "recordings/"+old.ID); len(infos) != 0 {
		t.Fatalf("old recording's blobs still there: %v", infos)
	}
	if infos, _ := e.blobs.List(ctx, "recordings/"+young.ID); len(infos) != 1 {
		t.Fatalf("young recording's blobs: %v", infos)
	}
	if _, err := e.svc.Open(ctx, e.prov.ID, old.ID); !errors.Is(err, store.ErrRecordingDeleted) {
		t.Fatalf("open a deleted recording: %v", err)
	}
	if _, err := e.svc.AddChunk(ctx, e.prov.ID, old.ID, 1, chunk(t, 2000)); !errors.Is(err, store.ErrRecordingDeleted) {
		t.Fatalf("chunk for a deleted recording: %v", err)
	}
	evs, err := e.st.Events(ctx, e.prov.ID, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind == store.EventRecordingDeleted {
			n++
			t.Logf("event: %s", ev.Detail)
		}
	}
	if n != 1 {
		t.Fatalf("%d recording_deleted events, want 1", n)
	}
	if n, err := e.svc.DeleteExpired(ctx); n != 0 || err != nil {
		t.Fatalf("sweep again: %d, %v", n, err)
	}
	// The young one goes when its time comes.
	e.clock.Advance(20 * 24 * time.Hour)
	if n, err := e.svc.DeleteExpired(ctx); n != 1 || err != nil {
		t.Fatalf("young recording's turn: %d, %v", n, err)
	}
}
