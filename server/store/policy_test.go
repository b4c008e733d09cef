package store

import (
	"context"
	"errors"
	"testing"
)

func TestPolicy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p, err := e.s.ProviderByID(ctx, e.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Policy != DefaultPolicy() {
			t.Fatalf("new provider's policy = %+v, want the defaults %+v", p.Policy, DefaultPolicy())
		}
		want := Policy{SessionMaxMinutes: 45, IdleTimeoutMinutes: 0, Recording: true, RecordingRetentionDays: 7, FileMaxMB: 10, RequestTimeoutMinutes: 3}
		if err := e.s.SetPolicy(ctx, e.p.ID, want); err != nil {
			t.Fatal(err)
		}
		if p, err = e.s.ProviderByID(ctx, e.p.ID); err != nil || p.Policy != want {
			t.Fatalf("policy after set = %+v, %v; want %+v", p.Policy, err, want)
		}
		bad := []Policy{
			{SessionMaxMinutes: 4, RecordingRetentionDays: 1, FileMaxMB: 1, RequestTimeoutMinutes: 1},
			{SessionMaxMinutes: 60, IdleTimeoutMinutes: -1, RecordingRetentionDays: 1, FileMaxMB: 1, RequestTimeoutMinutes: 1},
			{SessionMaxMinutes: 60, RecordingRetentionDays: 0, FileMaxMB: 1, RequestTimeoutMinutes: 1},
			{SessionMaxMinutes: 60, RecordingRetentionDays: 1, FileMaxMB: 0, RequestTimeoutMinutes: 1},
			{SessionMaxMinutes: MaxSessionMinutes + 1, RecordingRetentionDays: 1, FileMaxMB: 1, RequestTimeoutMinutes: 1},
			{SessionMaxMinutes: 60, RecordingRetentionDays: 1, FileMaxMB: 1, RequestTimeoutMinutes: 0},
			{SessionMaxMinutes: 60, RecordingRetentionDays: 1, FileMaxMB: 1, RequestTimeoutMinutes: MaxRequestMinutes + 1},
		}
		for _, b := range bad {
			if err := e.s.SetPolicy(ctx, e.p.ID, b); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("SetPolicy(%+v) = %v, want ErrInvalidArgument", b, err)
			}
		}
		if p, _ = e.s.ProviderByID(ctx, e.p.ID); p.Policy != want {
			t.Fatalf("a refused policy changed the stored one: %+v", p.Policy)
		}
		if err := e.s.SetPolicy(ctx, "nope", want); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown provider: %v, want ErrNotFound", err)
		}
	})
}
