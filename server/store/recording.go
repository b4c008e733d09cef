package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// EventRecordingDeleted is appended when the retention job deleted a session's recording; Detail says
// after how many days.
const EventRecordingDeleted = "recording_deleted"

// Errors of recording chunks.
var (
	// ErrChunkOrder: a chunk whose sequence number is past the next one expected (a chunk is missing).
	ErrChunkOrder = errors.New("store: recording chunk out of order")
	// ErrChunkConflict: a chunk with the sequence number of a kept one but other bytes.
	ErrChunkConflict = errors.New("store: another recording chunk with this sequence number")
	// ErrRecordingDeleted: the recording has been deleted (retention) and takes no more chunks.
	ErrRecordingDeleted = errors.New("store: recording deleted")
)

// Recording is a session's recording: the row exists from the moment the customer was told the session is
// recorded, and counts the chunks uploaded since.
type Recording struct {
	bun.BaseModel `bun:"table:recordings,alias:rec"`

	SessionID  string     `bun:"session_id,pk"`
	ProviderID string     `bun:"provider_id,notnull"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	Bytes      int64      `bun:"bytes,notnull"`
	Chunks     int        `bun:"chunks,notnull"`
	DurationMs int64      `bun:"duration_ms,notnull"`
	DeletedAt  *time.Time `bun:"deleted_at"`
}

// RecordingChunk is one uploaded chunk of a recording.
type RecordingChunk struct {
	bun.BaseModel `bun:"table:recording_chunks,alias:rc"`

	SessionID string `bun:"session_id,pk"`
	Seq       int    `bun:"seq,pk"`
	Bytes     int64  `bun:"bytes,notnull"`
	SHA256    string `bun:"sha256,notnull"` // hex
	FirstMs   int64  `bun:"first_ms,notnull"`
	EndMs     int64  `bun:"end_ms,notnull"`
	// Keyframes lists the times (ms since the recording started) of the chunk's full frames, comma-separated.
	Keyframes string `bun:"keyframes,notnull"`
}

// KeyframeTimes parses Keyframes.
func (c RecordingChunk) KeyframeTimes() []int64 {
	var out []int64
	for _, f := range strings.Split(c.Keyframes, ",") {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// FormatKeyframes is the Keyframes column for times ms.
func FormatKeyframes[T ~uint32 | ~int64](ms []T) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = strconv.FormatInt(int64(m), 10)
	}
	return strings.Join(parts, ",")
}

// StartRecording marks a session as recorded (the customer has been told). Starting it again is a no-op.
func (s *Store) StartRecording(ctx context.Context, sessionID, providerID string) error {
	r := &Recording{SessionID: sessionID, ProviderID: providerID, CreatedAt: s.now()}
	if _, err := s.db.NewInsert().Model(r).On("CONFLICT (session_id) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("store: start recording: %w", err)
	}
	return nil
}

// Recording returns a session's recording; ErrNotFound when the session is not recorded or belongs to
// another provider.
func (s *Store) Recording(ctx context.Context, providerID, sessionID string) (Recording, error) {
	var r Recording
	err := s.db.NewSelect().Model(&r).Where("session_id = ? AND provider_id = ?", sessionID, providerID).Scan(ctx)
	if err != nil {
		return Recording{}, notFound(err, "recording")
	}
	return r, nil
}

// RecordingChunks returns a recording's chunks in order.
func (s *Store) RecordingChunks(ctx context.Context, providerID, sessionID string) ([]RecordingChunk, error) {
	var cs []RecordingChunk
	err := s.db.NewSelect().Model(&cs).
		Where("session_id = ?", sessionID).
		Where("EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = rc.session_id AND r.provider_id = ?)", providerID).
		Order("seq").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: recording chunks: %w", err)
	}
	return cs, nil
}

// AddRecordingChunk records chunk c, the next of its recording (its blob is already written). A chunk
// that repeats a kept one (same sequence number and bytes, an upload retried) reports dup and changes
// nothing; other bytes under a kept number are ErrChunkConflict, a number past the next ErrChunkOrder, a
// deleted recording ErrRecordingDeleted, and a session that is not recorded (or another provider's)
// ErrNotFound.
func (s *Store) AddRecordingChunk(ctx context.Context, providerID string, c RecordingChunk) (dup bool, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var r Recording
		q := tx.NewSelect().Model(&r).Where("session_id = ? AND provider_id = ?", c.SessionID, providerID)
		if s.dialect == dialectPostgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return notFound(err, "recording")
		}
		if r.DeletedAt != nil {
			return ErrRecordingDeleted
		}
		switch {
		case c.Seq < r.Chunks:
			var kept RecordingChunk
			if err := tx.NewSelect().Model(&kept).Where("session_id = ? AND seq = ?", c.SessionID, c.Seq).Scan(ctx); err != nil {
				return notFound(err, "recording chunk")
			}
			if kept.SHA256 != c.SHA256 {
				return fmt.Errorf("%w: chunk %d", ErrChunkConflict, c.Seq)
			}
			dup = true
			return nil
		case c.Seq > r.Chunks:
			return fmt.Errorf("%w: chunk %d, expected %d", ErrChunkOrder, c.Seq, r.Chunks)
		case r.Chunks > 0 && c.FirstMs < r.DurationMs:
			// Chunks continue one another: played back as one file, an
			// earlier time would read as damage.
			return fmt.Errorf("%w: chunk %d starts at %d ms, before the recording's end at %d ms", ErrChunkOrder, c.Seq, c.FirstMs, r.DurationMs)
		}
		if _, err := tx.NewInsert().Model(&c).Exec(ctx); err != nil {
			return fmt.Errorf("store: add recording chunk: %w", err)
		}
		_, err := tx.NewUpdate().Model((*Recording)(nil)).
			Set("bytes = bytes + ?", c.Bytes).
			Set("chunks = chunks + 1").
			Set("duration_ms = CASE WHEN duration_ms > ? THEN duration_ms ELSE ? END", c.EndMs, c.EndMs).
			Where("session_id = ?", c.SessionID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: add recording chunk: %w", err)
		}
		return nil
	})
	return dup, err
}

// RecordingsDue returns the recordings kept longer than their provider's retention, oldest first, at
// most limit of them.
func (s *Store) RecordingsDue(ctx context.Context, limit int) ([]Recording, error) {
	// The retention is per provider: one query per provider that has recordings kept, so that no date
	// arithmetic differs between SQLite and PostgreSQL.
	var providers []struct {
		ID   string `bun:"id"`
		Days int    `bun:"recording_retention_days"`
	}
	err := s.db.NewSelect().Table("providers").Column("id", "recording_retention_days").
		Where("EXISTS (SELECT 1 FROM recordings r WHERE r.provider_id = providers.id AND r.deleted_at IS NULL)").
		Scan(ctx, &providers)
	if err != nil {
		return nil, fmt.Errorf("store: recordings due: %w", err)
	}
	now := s.now()
	var due []Recording
	for _, p := range providers {
		var rs []Recording
		err := s.db.NewSelect().Model(&rs).
			Where("provider_id = ? AND deleted_at IS NULL AND created_at <= ?", p.ID, now.Add(-time.Duration(p.Days)*24*time.Hour)).
			Order("created_at").Limit(int64(limit - len(due))).Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: recordings due: %w", err)
		}
		due = append(due, rs...)
		if len(due) >= limit {
			break
		}
	}
	return due, nil
}

// ClaimRecordingDeletion marks r deleted as of now, unless it already is: claimed is true for the one
// caller (of every instance) that gets to delete its blobs. From then on it takes no chunks.
func (s *Store) ClaimRecordingDeletion(ctx context.Context, sessionID string) (claimed bool, err error) {
	res, err := s.db.NewUpdate().Model((*Recording)(nil)).Set("deleted_at = ?", s.now()).
		Where("session_id = ? AND deleted_at IS NULL", sessionID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("store: claim recording deletion: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseRecordingDeletion gives a claim back when the blobs could not be deleted, so that a later sweep
// tries again.
func (s *Store) ReleaseRecordingDeletion(ctx context.Context, sessionID string) error {
	if _, err := s.db.NewUpdate().Model((*Recording)(nil)).Set("deleted_at = NULL").Where("session_id = ?", sessionID).Exec(ctx); err != nil {
		return fmt.Errorf("store: release recording deletion: %w", err)
	}
	return nil
}

// FinishRecordingDeletion forgets the chunks of a recording whose blobs are gone and logs
// EventRecordingDeleted in its session's log, with detail.
func (s *Store) FinishRecordingDeletion(ctx context.Context, r Recording, detail string) error {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model((*Session)(nil)).Column("id").Where("id = ?", r.SessionID)
		if s.dialect == dialectPostgres {
			q = q.For("UPDATE")
		}
		var id string
		if err := q.Scan(ctx, &id); err != nil {
			return notFound(err, "recording session")
		}
		if _, err := tx.NewDelete().Model((*RecordingChunk)(nil)).Where("session_id = ?", r.SessionID).Exec(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: forget recording chunks: %w", err)
		}
		_, err := s.appendEvent(ctx, tx, Event{SessionID: r.SessionID, ProviderID: r.ProviderID, Kind: EventRecordingDeleted, Actor: ActorSystem, Detail: detail})
		return err
	})
}
