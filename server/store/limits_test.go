package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := Rate{Every: 10 * time.Second, Burst: 3}
		take := func(key string) (bool, time.Duration) {
			t.Helper()
			ok, retry, err := e.s.Allow(ctx, key, r)
			if err != nil {
				t.Fatal(err)
			}
			return ok, retry
		}
		for i := range 3 {
			if ok, _ := take("a"); !ok {
				t.Fatalf("attempt %d of the burst refused", i+1)
			}
		}
		ok, retry := take("a")
		if ok || retry != 10*time.Second {
			t.Fatalf("fourth attempt: ok %v, retry %v; want refused, 10s", ok, retry)
		}
		// Another key has its own budget.
		if ok, _ := take("b"); !ok {
			t.Fatal("other key refused")
		}
		e.clock.Advance(4 * time.Second)
		if ok, retry := take("a"); ok || retry != 6*time.Second {
			t.Fatalf("after 4s: ok %v, retry %v; want refused, 6s", ok, retry)
		}
		e.clock.Advance(6 * time.Second)
		if ok, _ := take("a"); !ok {
			t.Fatal("refused after one interval")
		}
		if ok, _ := take("a"); ok {
			t.Fatal("a second attempt in the same interval allowed")
		}
		// Long idle: the full burst is back, and purging forgets the keys.
		e.clock.Advance(time.Hour)
		if n, err := e.s.PurgeRateLimits(ctx); err != nil || n != 2 {
			t.Fatalf("purge = %d, %v; want 2", n, err)
		}
		for range 3 {
			if ok, _ := take("a"); !ok {
				t.Fatal("burst not restored")
			}
		}
		if _, _, err := e.s.Allow(ctx, "", r); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("empty key: %v", err)
		}
	})
}

func TestAllowConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for range 20 {
			wg.Go(func() {
				ok, _, err := e.s.Allow(context.Background(), "shared", Rate{Every: time.Minute, Burst: 5})
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if allowed != 5 {
			t.Fatalf("%d of 20 concurrent attempts allowed, want 5", allowed)
		}
	})
}

func TestSignInFailures(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		lock := func(n int) time.Duration {
			if n < 3 {
				return 0
			}
			return time.Duration(n-2) * time.Minute
		}
		for i := 1; i <= 4; i++ {
			f, err := e.s.RecordSignInFailure(ctx, "acct", 24*time.Hour, lock)
			if err != nil {
				t.Fatal(err)
			}
			if f.Failures != i || f.LockedUntil.IsZero() != (i < 3) {
				t.Fatalf("failure %d: %+v", i, f)
			}
		}
		f, err := e.s.SignInLock(ctx, "acct")
		if err != nil || f.Failures != 4 || !f.LockedUntil.Equal(e.clock.Now().Add(2*time.Minute)) {
			t.Fatalf("lock = %+v, %v", f, err)
		}
		e.clock.Advance(3 * time.Minute)
		if f, _ := e.s.SignInLock(ctx, "acct"); !f.LockedUntil.IsZero() || f.Failures != 4 {
			t.Fatalf("lock after it passed = %+v", f)
		}
		// A day without failures starts the count over.
		e.clock.Advance(25 * time.Hour)
		if f, _ := e.s.RecordSignInFailure(ctx, "acct", 24*time.Hour, lock); f.Failures != 1 {
			t.Fatalf("count after a quiet day = %d, want 1", f.Failures)
		}
		if err := e.s.ClearSignInFailures(ctx, "acct"); err != nil {
			t.Fatal(err)
		}
		if f, _ := e.s.SignInLock(ctx, "acct"); f.Failures != 0 {
			t.Fatalf("after clear: %+v", f)
		}
	})
}

func TestSetUpOnce(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			s := eng.open(t, newTestClock().Now)
			ctx := context.Background()
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			errs := make([]error, 5)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					_, _, errs[i] = s.SetUp(ctx, "Acme", "Ada", "ada"+string(rune('a'+i))+"@acme.test", "hash")
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, ErrAlreadySetUp):
					t.Errorf("SetUp error = %v, want nil or ErrAlreadySetUp", err)
				}
			}
			var providers, users int
			if err := s.db.NewRaw("SELECT COUNT(*) FROM providers").Scan(ctx, &providers); err != nil {
				t.Fatal(err)
			}
			if err := s.db.NewRaw("SELECT COUNT(*) FROM users").Scan(ctx, &users); err != nil {
				t.Fatal(err)
			}
			if won != 1 || providers != 1 || users != 1 {
				t.Fatalf("%d setups succeeded, %d providers, %d users; want 1 each", won, providers, users)
			}
			// Later providers (made by the operator) do not need setup.
			if _, _, err := s.CreateProviderWithOwner(ctx, "Beta", "Bo", "bo@beta.test", "hash"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDisableUser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, tok := range []string{"t1", "t2"} {
			if err := e.s.CreateLogin(ctx, tok, e.owner.ID, e.clock.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if u, exp, err := e.s.LoginUser(ctx, "t1"); err != nil || u.ID != e.owner.ID || !exp.Equal(e.clock.Now().Add(time.Hour)) {
			t.Fatalf("LoginUser = %s %v %v", u.ID, exp, err)
		}
		other, _, err := e.s.CreateProviderWithOwner(ctx, "Other", "Olga", "olga@other.test", "hash")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.DisableUser(ctx, other.ID, e.owner.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("disable from another provider: %v, want ErrNotFound", err)
		}
		hashes, err := e.s.DisableUser(ctx, e.p.ID, e.owner.ID)
		if err != nil || len(hashes) != 2 {
			t.Fatalf("DisableUser = %v, %v", hashes, err)
		}
		if _, _, err := e.s.LoginUser(ctx, "t1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("login of a disabled user: %v", err)
		}
		if u, err := e.s.UserByID(ctx, e.p.ID, e.owner.ID); err != nil || !u.Disabled() {
			t.Fatalf("user after disable: %+v %v", u, err)
		}
	})
}
