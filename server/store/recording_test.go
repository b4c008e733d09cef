package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRecordingChunksInOrder(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "REC001")
		chunk := func(seq int, sha string) RecordingChunk {
			return RecordingChunk{SessionID: sess.ID, Seq: seq, Bytes: 100, SHA256: sha, FirstMs: int64(seq) * 2000, EndMs: int64(seq)*2000 + 1900, Keyframes: FormatKeyframes([]int64{int64(seq) * 2000})}
		}
		if _, err := e.s.AddRecordingChunk(ctx, e.p.ID, chunk(0, "a")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("chunk of a session not recorded: %v", err)
		}
		if err := e.s.StartRecording(ctx, sess.ID, e.p.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.s.StartRecording(ctx, sess.ID, e.p.ID); err != nil {
			t.Fatalf("starting again: %v", err)
		}
		if _, err := e.s.AddRecordingChunk(ctx, "other", chunk(0, "a")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another provider's chunk: %v", err)
		}
		for _, c := range []struct {
			c       RecordingChunk
			dup     bool
			wantErr error
		}{
			{chunk(0, "a"), false, nil},
			{chunk(0, "a"), true, nil},
			{chunk(0, "b"), false, ErrChunkConflict},
			{chunk(2, "c"), false, ErrChunkOrder},
			{RecordingChunk{SessionID: sess.ID, Seq: 1, SHA256: "early", FirstMs: 1000, EndMs: 5000}, false, ErrChunkOrder},
			{chunk(1, "b"), false, nil},
		} {
			dup, err := e.s.AddRecordingChunk(ctx, e.p.ID, c.c)
			if dup != c.dup || !errors.Is(err, c.wantErr) && !(c.wantErr == nil && err == nil) {
				t.Fatalf("chunk %d %s: dup %v err %v, want %v %v", c.c.Seq, c.c.SHA256, dup, err, c.dup, c.wantErr)
			}
		}
		r, err := e.s.Recording(ctx, e.p.ID, sess.ID)
		if err != nil || r.Chunks != 2 || r.Bytes != 200 || r.DurationMs != 3900 {
			t.Fatalf("recording %+v, %v", r, err)
		}
		cs, err := e.s.RecordingChunks(ctx, e.p.ID, sess.ID)
		if err != nil || len(cs) != 2 || cs[1].KeyframeTimes()[0] != 2000 {
			t.Fatalf("chunks %+v, %v", cs, err)
		}
		if _, err := e.s.Recording(ctx, "other", sess.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another provider reads the recording: %v", err)
		}
		if cs, _ := e.s.RecordingChunks(ctx, "other", sess.ID); len(cs) != 0 {
			t.Fatalf("another provider lists %d chunks", len(cs))
		}
	})
}

func TestRecordingRetention(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		old := e.newSession(t, "REC002")
		if err := e.s.StartRecording(ctx, old.ID, e.p.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * 24 * time.Hour)
		young := e.newSession(t, "REC003")
		if err := e.s.StartRecording(ctx, young.ID, e.p.ID); err != nil {
			t.Fatal(err)
		}
		p := DefaultPolicy()
		p.RecordingRetentionDays = 3
		if err := e.s.SetPolicy(ctx, e.p.ID, p); err != nil {
			t.Fatal(err)
		}
		if due, err := e.s.RecordingsDue(ctx, 10); err != nil || len(due) != 0 {
			t.Fatalf("due after 2 of 3 days: %v, %v", due, err)
		}
		e.clock.Advance(24 * time.Hour)
		due, err := e.s.RecordingsDue(ctx, 10)
		if err != nil || len(due) != 1 || due[0].SessionID != old.ID {
			t.Fatalf("due after 3 days: %+v, %v", due, err)
		}
		if ok, err := e.s.ClaimRecordingDeletion(ctx, old.ID); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if ok, err := e.s.ClaimRecordingDeletion(ctx, old.ID); ok || err != nil {
			t.Fatalf("second claim: %v %v", ok, err)
		}
		if due, _ := e.s.RecordingsDue(ctx, 10); len(due) != 0 {
			t.Fatalf("claimed recording still due: %+v", due)
		}
		if _, err := e.s.AddRecordingChunk(ctx, e.p.ID, RecordingChunk{SessionID: old.ID, SHA256: "x"}); !errors.Is(err, ErrRecordingDeleted) {
			t.Fatalf("chunk after deletion: %v", err)
		}
		if err := e.s.FinishRecordingDeletion(ctx, due[0], "kept 3 days"); err != nil {
			t.Fatal(err)
		}
		evs, err := e.s.Events(ctx, e.p.ID, old.ID)
		if err != nil || evs[len(evs)-1].Kind != EventRecordingDeleted || evs[len(evs)-1].Detail != "kept 3 days" {
			t.Fatalf("events %+v, %v", evs, err)
		}
	})
}
