package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSummaryAndSurvey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "SUM001")
		other, _, _ := e.otherProvider(t)

		if _, err := e.s.SetSummary(ctx, other.ID, sess.ID, e.owner.ID, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("summary from another provider: %v, want ErrNotFound", err)
		}
		if _, err := e.s.SetSummary(ctx, e.p.ID, sess.ID, e.owner.ID, strings.Repeat("é", MaxSummary+1)); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("overlong summary: %v", err)
		}
		got, err := e.s.SetSummary(ctx, e.p.ID, sess.ID, e.owner.ID, "Printer driver reinstalled.")
		if err != nil || got.Summary != "Printer driver reinstalled." || got.SummaryBy != e.owner.ID || got.SummaryAt == nil {
			t.Fatalf("SetSummary = %+v, %v", got, err)
		}

		if _, err := e.s.Rate(ctx, sess.ID, 5, ""); !errors.Is(err, ErrSessionLive) {
			t.Fatalf("rating a live session: %v, want ErrSessionLive", err)
		}
		if _, _, err := e.s.EndSession(ctx, sess.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			rating  int
			comment string
		}{{0, ""}, {6, ""}, {3, strings.Repeat("a", MaxRatingComment+1)}, {3, "\xff"}} {
			if _, err := e.s.Rate(ctx, sess.ID, bad.rating, bad.comment); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("Rate(%d, %d bytes): %v, want ErrInvalidArgument", bad.rating, len(bad.comment), err)
			}
		}
		rated, err := e.s.Rate(ctx, sess.ID, 4, "Quick and friendly")
		if err != nil || rated.Rating != 4 || rated.RatingComment != "Quick and friendly" || rated.RatedAt == nil {
			t.Fatalf("Rate = %+v, %v", rated, err)
		}
		if _, err := e.s.Rate(ctx, sess.ID, 1, "changed my mind"); !errors.Is(err, ErrAlreadyRated) {
			t.Fatalf("second answer: %v, want ErrAlreadyRated", err)
		}
		back, err := e.s.SessionByID(ctx, e.p.ID, sess.ID)
		if err != nil || back.Rating != 4 || back.RatingComment != "Quick and friendly" || back.Summary != "Printer driver reinstalled." {
			t.Fatalf("stored session %+v, %v", back, err)
		}
		evs, err := e.s.Events(ctx, e.p.ID, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, ev := range evs {
			kinds = append(kinds, ev.Kind+":"+ev.Detail)
		}
		if s := strings.Join(kinds, " "); !strings.Contains(s, EventSummaryWritten+":27 characters") || !strings.Contains(s, EventRated+":4/5") {
			t.Errorf("events %s", s)
		}
	})
}

func TestScreenshots(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "SHOT01")
		other, _, _ := e.otherProvider(t)
		sh := Screenshot{Blob: "screenshots/" + sess.ID + "/a.png", Size: 10, Width: 4, Height: 3}
		if _, err := e.s.AddScreenshot(ctx, other.ID, sess.ID, "engineer:x", sh); !errors.Is(err, ErrNotFound) {
			t.Fatalf("screenshot into another provider's session: %v", err)
		}
		ev, err := e.s.AddScreenshot(ctx, e.p.ID, sess.ID, ActorEngineer(e.owner.ID), sh)
		if err != nil || ev.Kind != EventScreenshot {
			t.Fatalf("AddScreenshot = %+v, %v", ev, err)
		}
		got, gotSh, err := e.s.ScreenshotBySeq(ctx, e.p.ID, sess.ID, ev.Seq)
		if err != nil || got.ID != ev.ID || gotSh != sh {
			t.Fatalf("ScreenshotBySeq = %+v %+v, %v", got, gotSh, err)
		}
		if _, _, err := e.s.ScreenshotBySeq(ctx, other.ID, sess.ID, ev.Seq); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another provider reads the screenshot: %v", err)
		}
		if _, _, err := e.s.ScreenshotBySeq(ctx, e.p.ID, sess.ID, 1); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the created event read as a screenshot: %v", err)
		}
		for range MaxScreenshots - 1 {
			if _, err := e.s.AddScreenshot(ctx, e.p.ID, sess.ID, ActorEngineer(e.owner.ID), sh); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.s.AddScreenshot(ctx, e.p.ID, sess.ID, ActorEngineer(e.owner.ID), sh); !errors.Is(err, ErrTooManyRecords) {
			t.Fatalf("screenshot %d: %v, want ErrTooManyRecords", MaxScreenshots+1, err)
		}
		if _, _, err := e.s.EndSession(ctx, sess.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.AddScreenshot(ctx, e.p.ID, sess.ID, ActorEngineer(e.owner.ID), sh); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("screenshot after the end: %v, want ErrSessionEnded", err)
		}
	})
}
