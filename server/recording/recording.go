// Package recording keeps the recordings of sessions whose provider records: the chunks the engineer's
// viewer uploads as it goes (checked, then kept in a blob.Store under recordings/<session>/ with a row
// per chunk in the store), the recording read back for playback, and the retention sweep that deletes
// recordings older than their provider keeps them. See docs/architecture.md, "Recording".
package recording

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"tether/server/blob"
	"tether/server/protocol"
	"tether/server/store"
)

// MaxChunkSize bounds one uploaded chunk. The viewer sends one every couple of seconds; a full frame of a
// busy 4K screen is about 3 MiB.
const MaxChunkSize = 8 << 20

// Errors of this package, besides the store's.
var (
	// ErrChunkTooLarge: the chunk is over MaxChunkSize.
	ErrChunkTooLarge = errors.New("recording: chunk too large")
	// ErrBadChunk: the chunk is not a recording of this protocol version (store.ErrChunk* for order).
	ErrBadChunk = errors.New("recording: chunk is not a valid recording")
)

// Store is what the recordings need from the database.
type Store interface {
	Recording(ctx context.Context, providerID, sessionID string) (store.Recording, error)
	RecordingChunks(ctx context.Context, providerID, sessionID string) ([]store.RecordingChunk, error)
	AddRecordingChunk(ctx context.Context, providerID string, c store.RecordingChunk) (bool, error)
	RecordingsDue(ctx context.Context, limit int) ([]store.Recording, error)
	ClaimRecordingDeletion(ctx context.Context, sessionID string) (bool, error)
	ReleaseRecordingDeletion(ctx context.Context, sessionID string) error
	FinishRecordingDeletion(ctx context.Context, r store.Recording, detail string) error
}

// Service keeps recordings.
type Service struct {
	store Store
	blobs blob.Store
	log   *slog.Logger
}

// New makes a Service.
func New(s Store, b blob.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: s, blobs: b, log: log}
}

// prefix is where a session's chunks live in the blob store.
func prefix(sessionID string) string { return "recordings/" + sessionID }

// chunkKey names a chunk's blob by its number and the start of its hash, so that a blob always holds the
// bytes its row describes, even when two uploads of one number race.
func chunkKey(sessionID string, seq int, sha string) string {
	return fmt.Sprintf("%s/%06d-%s.rec", prefix(sessionID), seq, sha[:16])
}

// AddChunk checks chunk seq of a session's recording and keeps it. A chunk kept already (the same bytes
// under the same number, an upload retried) is accepted again and dup is true. Errors: ErrChunkTooLarge,
// ErrBadChunk, store.ErrChunkOrder, store.ErrChunkConflict, store.ErrRecordingDeleted, and
// store.ErrNotFound for a session that is not recorded or not the provider's.
func (s *Service) AddChunk(ctx context.Context, providerID, sessionID string, seq int, chunk []byte) (dup bool, err error) {
	if len(chunk) > MaxChunkSize {
		return false, fmt.Errorf("%w: %d bytes, at most %d", ErrChunkTooLarge, len(chunk), MaxChunkSize)
	}
	if seq < 0 {
		return false, fmt.Errorf("%w: chunk number %d", ErrBadChunk, seq)
	}
	sum := sha256.Sum256(chunk)
	sha := hex.EncodeToString(sum[:])
	// CheckRecording may rewrite an older version's bytes in place: check a copy, keep what came.
	summary, err := protocol.CheckRecording(bytes.Clone(chunk))
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrBadChunk, err)
	}
	if summary.Entries == 0 {
		return false, fmt.Errorf("%w: no messages", ErrBadChunk)
	}
	rec, err := s.store.Recording(ctx, providerID, sessionID)
	if err != nil {
		return false, err
	}
	if rec.DeletedAt != nil {
		return false, store.ErrRecordingDeleted
	}
	c := store.RecordingChunk{
		SessionID: sessionID, Seq: seq, Bytes: int64(len(chunk)), SHA256: sha,
		FirstMs: int64(summary.FirstMs), EndMs: int64(summary.EndMs), Keyframes: store.FormatKeyframes(summary.Keyframes),
	}
	if seq == rec.Chunks {
		// The blob first: a row never names a blob that is not there.
		if _, err := s.blobs.Put(ctx, chunkKey(sessionID, seq, sha), bytes.NewReader(chunk)); err != nil {
			return false, err
		}
	}
	return s.store.AddRecordingChunk(ctx, providerID, c)
}

// Index is what playback needs to know before it reads: the recording's length and where it can seek to.
type Index struct {
	Recording store.Recording
	Chunks    []store.RecordingChunk
}

// Keyframes returns the times of every full frame, in order.
func (ix Index) Keyframes() []int64 {
	var out []int64
	for _, c := range ix.Chunks {
		out = append(out, c.KeyframeTimes()...)
	}
	return out
}

// Open returns a session's recording index; store.ErrNotFound when there is none to play (not recorded,
// another provider's, or deleted).
func (s *Service) Open(ctx context.Context, providerID, sessionID string) (Index, error) {
	rec, err := s.store.Recording(ctx, providerID, sessionID)
	if err != nil {
		return Index{}, err
	}
	if rec.DeletedAt != nil {
		return Index{Recording: rec}, fmt.Errorf("recording: %w", store.ErrRecordingDeleted)
	}
	cs, err := s.store.RecordingChunks(ctx, providerID, sessionID)
	if err != nil {
		return Index{}, err
	}
	return Index{Recording: rec, Chunks: cs}, nil
}

// WriteTo writes the recording as one file: the header, then every chunk's entries in order. A chunk
// whose blob is missing or is not a recording ends the file there; playback then reports the damage
// (the file is shorter than the index says).
func (s *Service) WriteTo(ctx context.Context, ix Index, w io.Writer) (int64, error) {
	n, err := w.Write(protocol.RecordingHeader())
	total := int64(n)
	if err != nil {
		return total, err
	}
	for _, c := range ix.Chunks {
		key := chunkKey(c.SessionID, c.Seq, c.SHA256)
		r, _, err := s.blobs.Open(ctx, key)
		if err != nil {
			s.log.Error("recording: chunk missing", "session", c.SessionID, "seq", c.Seq, "err", err)
			return total, nil
		}
		var h [protocol.RecordingHeaderSize]byte
		if _, err := io.ReadFull(r, h[:]); err != nil || !bytes.Equal(h[:len(h)-1], protocol.RecordingHeader()[:len(h)-1]) {
			r.Close()
			s.log.Error("recording: chunk damaged", "session", c.SessionID, "seq", c.Seq, "err", err)
			return total, nil
		}
		m, err := io.Copy(w, r)
		r.Close()
		total += m
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// dueBatch bounds the recordings one sweep deletes.
const dueBatch = 100

// DeleteExpired deletes the recordings kept longer than their provider's retention: their blobs, their
// chunk rows, and logs recording_deleted in the session's log. Every instance may run it at once; each
// recording is claimed in the store first, so each deletion happens once.
func (s *Service) DeleteExpired(ctx context.Context) (deleted int, err error) {
	due, err := s.store.RecordingsDue(ctx, dueBatch)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, r := range due {
		claimed, err := s.store.ClaimRecordingDeletion(ctx, r.SessionID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !claimed {
			continue // another instance has it
		}
		if err := s.deleteBlobs(ctx, r.SessionID); err != nil {
			errs = append(errs, err, s.store.ReleaseRecordingDeletion(ctx, r.SessionID))
			continue
		}
		detail := fmt.Sprintf("Recording of %s (%d chunks, %d bytes, started %s UTC) deleted at the end of the retention period",
			formatDuration(r.DurationMs), r.Chunks, r.Bytes, r.CreatedAt.Format("2006-01-02 15:04"))
		if err := s.store.FinishRecordingDeletion(ctx, r, detail); err != nil {
			errs = append(errs, err)
			continue
		}
		s.log.Info("recording deleted", "session", r.SessionID, "provider", r.ProviderID, "bytes", r.Bytes, "created", r.CreatedAt)
		deleted++
	}
	return deleted, errors.Join(errs...)
}

func (s *Service) deleteBlobs(ctx context.Context, sessionID string) error {
	infos, err := s.blobs.List(ctx, prefix(sessionID))
	if err != nil {
		return err
	}
	for _, in := range infos {
		if err := s.blobs.Delete(ctx, in.Key); err != nil {
			return err
		}
	}
	return nil
}

// Sweep runs DeleteExpired every interval until ctx ends.
func (s *Service) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweep recordings", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// formatDuration is "03:12" or "1:03:12".
func formatDuration(ms int64) string {
	sec := ms / 1000
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%02d:%02d", sec/60, sec%60)
}

// FormatDuration formats a recording's length for pages ("03:12").
func FormatDuration(ms int64) string { return formatDuration(ms) }
