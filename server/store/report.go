package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Event kinds of the session's record that people add: the engineer's summary, the customer's survey
// answer, a screenshot of the customer's screen.
const (
	EventSummaryWritten = "summary_written"
	EventRated          = "rated"
	EventScreenshot     = "screenshot"
)

// Bounds of what people write into a session's record, in characters.
const (
	MaxSummary       = 10000
	MaxRatingComment = 1000
	// MaxScreenshots is how many screenshots one session keeps.
	MaxScreenshots = 100
)

// More sentinel errors of the session's record.
var (
	ErrAlreadyRated   = errors.New("store: the customer already answered the survey for this session")
	ErrSessionLive    = errors.New("store: the session has not ended yet")
	ErrTooManyRecords = errors.New("store: the session holds as many of these as it may")
)

// SetSummary saves the summary of a provider's session, written by the engineer userID, in any state; an
// event records who saved it (not the text: the session holds that). ErrInvalidArgument when the text is
// too long or not UTF-8.
func (s *Store) SetSummary(ctx context.Context, providerID, id, userID, text string) (Session, error) {
	if !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxSummary {
		return Session{}, fmt.Errorf("%w: the summary must be text of at most %d characters", ErrInvalidArgument, MaxSummary)
	}
	var out Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("summary = ?", text).Set("summary_by = ?", userID).Set("summary_at = ?", s.now()).
			Where("id = ? AND provider_id = ?", id, providerID))
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("summary: %w", ErrNotFound)
		}
		if out, err = s.sessionWhere(ctx, tx, "summary", "id = ?", id); err != nil {
			return err
		}
		_, err = s.appendEvent(ctx, tx, Event{SessionID: id, ProviderID: providerID, Kind: EventSummaryWritten,
			Actor: ActorEngineer(userID), Detail: strconv.Itoa(utf8.RuneCountInString(text)) + " characters"})
		return err
	})
	if err != nil {
		return Session{}, err
	}
	return out, nil
}

// Rate records the customer's survey answer for an ended session, once: a second answer gets
// ErrAlreadyRated and changes nothing, a live session ErrSessionLive. The event carries the rating; the
// comment stays in the session.
func (s *Store) Rate(ctx context.Context, id string, rating int, comment string) (Session, error) {
	if rating < 1 || rating > 5 {
		return Session{}, fmt.Errorf("%w: the rating must be from 1 to 5", ErrInvalidArgument)
	}
	if !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > MaxRatingComment {
		return Session{}, fmt.Errorf("%w: the comment must be text of at most %d characters", ErrInvalidArgument, MaxRatingComment)
	}
	var out Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("rating = ?", rating).Set("rating_comment = ?", comment).Set("rated_at = ?", s.now()).
			Where("id = ? AND state = ? AND rated_at IS NULL", id, StateEnded))
		if err != nil {
			return err
		}
		cur, err := s.sessionWhere(ctx, tx, "rate", "id = ?", id)
		if err != nil {
			return err
		}
		switch {
		case n == 1:
		case cur.State != StateEnded:
			return ErrSessionLive
		default:
			return ErrAlreadyRated
		}
		out = cur
		_, err = s.appendEvent(ctx, tx, Event{SessionID: id, ProviderID: cur.ProviderID, Kind: EventRated,
			Actor: ActorCustomer, Detail: strconv.Itoa(rating) + "/5"})
		return err
	})
	if err != nil {
		return Session{}, err
	}
	return out, nil
}

// Screenshot is what a screenshot event records (as JSON in its Detail); the image is a blob.
type Screenshot struct {
	Blob   string `json:"blob"` // the blob store's key
	Size   int64  `json:"size"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// ParseScreenshot reads a screenshot event's detail.
func ParseScreenshot(detail string) (Screenshot, error) {
	var sh Screenshot
	if err := json.Unmarshal([]byte(detail), &sh); err != nil || sh.Blob == "" {
		return Screenshot{}, fmt.Errorf("%w: screenshot record %q", ErrInvalidArgument, detail)
	}
	return sh, nil
}

// AddScreenshot records a screenshot, already in the blob store, in a live session of the provider. The
// event's Seq numbers the screenshot in its session. ErrSessionEnded for an ended session (the caller
// deletes the blob), ErrTooManyRecords past MaxScreenshots.
func (s *Store) AddScreenshot(ctx context.Context, providerID, id, actor string, sh Screenshot) (Event, error) {
	detail, err := json.Marshal(sh)
	if err != nil {
		return Event{}, err
	}
	var ev Event
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model((*Session)(nil)).Column("state").Where("id = ? AND provider_id = ?", id, providerID)
		if s.dialect == dialectPostgres {
			q = q.For("UPDATE")
		}
		var state State
		if err := q.Scan(ctx, &state); err != nil {
			return notFound(err, "screenshot session")
		}
		if state == StateEnded {
			return ErrSessionEnded
		}
		n, err := tx.NewSelect().Model((*Event)(nil)).Where("session_id = ? AND kind = ?", id, EventScreenshot).Count(ctx)
		if err != nil {
			return fmt.Errorf("store: count screenshots: %w", err)
		}
		if n >= MaxScreenshots {
			return ErrTooManyRecords
		}
		ev, err = s.appendEvent(ctx, tx, Event{SessionID: id, ProviderID: providerID, Kind: EventScreenshot, Actor: actor, Detail: string(detail)})
		return err
	})
	return ev, err
}

// ScreenshotBySeq returns screenshot number seq (its event's Seq) of a provider's session; ErrNotFound
// for another provider's session or an event that is no screenshot.
func (s *Store) ScreenshotBySeq(ctx context.Context, providerID, id string, seq int64) (Event, Screenshot, error) {
	var ev Event
	err := s.db.NewSelect().Model(&ev).
		Where("session_id = ? AND provider_id = ? AND seq = ? AND kind = ?", id, providerID, seq, EventScreenshot).Scan(ctx)
	if err != nil {
		return Event{}, Screenshot{}, notFound(err, "screenshot")
	}
	sh, err := ParseScreenshot(ev.Detail)
	return ev, sh, err
}
