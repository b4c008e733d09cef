package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter rate-limits attempts per client address with a token bucket per
// address. Idle buckets are forgotten so memory stays bounded.
type Limiter struct {
	every time.Duration
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter allows burst attempts at once and then one per every.
func NewLimiter(every time.Duration, burst int, now func() time.Time) *Limiter {
	return &Limiter{every: every, burst: burst, now: now, buckets: make(map[string]*bucket)}
}

// Allow reports whether addr may make an attempt now, and uses it up.
func (l *Limiter) Allow(addr string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		idle := l.every * time.Duration(l.burst+1)
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[addr] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
