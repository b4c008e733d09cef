//go:build linux

package main

import (
	"math"
	"sync/atomic"
	"time"
)

// hist is a latency histogram that many goroutines add to without a lock:
// log-spaced buckets 2 % wide from 1 µs to about 30 minutes, so a quantile
// is within 2 % of the true value.
type hist struct {
	buckets [histBuckets]atomic.Uint64
	n       atomic.Uint64
	max     atomic.Int64
}

const (
	histGrowth  = 1.02
	histBuckets = 1100 // 1.02^1100 µs ≈ 30 min
)

var logGrowth = math.Log(histGrowth)

func (h *hist) add(d time.Duration) {
	us := float64(d) / float64(time.Microsecond)
	i := 0
	if us > 1 {
		i = min(int(math.Log(us)/logGrowth)+1, histBuckets-1)
	}
	h.buckets[i].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// quantile returns the upper edge of the bucket holding quantile q.
func (h *hist) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	var seen uint64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			if i == 0 {
				return time.Microsecond
			}
			return min(time.Duration(math.Pow(histGrowth, float64(i))*float64(time.Microsecond)), time.Duration(h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}

// latency is a histogram's summary for the report.
type latency struct {
	N   uint64  `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func (h *hist) summary() latency {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }
	return latency{N: h.n.Load(), P50: ms(h.quantile(0.5)), P95: ms(h.quantile(0.95)), P99: ms(h.quantile(0.99)), Max: ms(time.Duration(h.max.Load()))}
}

// window collects what happens between two points of the run (a phase, a
// ramp step); the recorder swaps in a fresh one at each boundary.
type window struct {
	start time.Time

	// Signaling between the two ends of a relayed session (candidate
	// envelopes carrying their send time), each way.
	sigToViewer, sigToAgent hist
	// A waiting agent leaving and coming back, as its engineer's console
	// (another instance) and the customer's page (the agent's) see it.
	consoleLost, consoleBack, pageBack hist
	// Relayed session messages: a frame's age when the viewer reads it,
	// and the viewer's ping round trip.
	frame, ping hist

	framesSent, framesHeld, bytesSent, bytesRecv, msgsRecv, inputsSent atomic.Int64
}

// recorder hands out the current window.
type recorder struct{ cur atomic.Pointer[window] }

func newRecorder() *recorder {
	r := &recorder{}
	r.cur.Store(&window{start: time.Now()})
	return r
}

// w is the window open now.
func (r *recorder) w() *window { return r.cur.Load() }

// next closes the open window and returns it.
func (r *recorder) next() *window { return r.cur.Swap(&window{start: time.Now()}) }

// seqCheck follows one ordered stream of numbered messages (1, 2, 3 …) at
// its receiving end: anything skipped is lost, anything at or below what
// came already is a duplicate or out of order. Its sender counts sent.
type seqCheck struct {
	sent atomic.Int64 // by the sender
	next int64        // by the receiver: the number expected
	recv atomic.Int64
	lost atomic.Int64
	dup  atomic.Int64
}

// got records the arrival of message seq (the receiver's goroutine only).
func (c *seqCheck) got(seq int64) {
	if c.next == 0 {
		c.next = 1
	}
	switch {
	case seq == c.next:
		c.recv.Add(1)
		c.next++
	case seq > c.next:
		c.recv.Add(1)
		c.lost.Add(seq - c.next)
		c.next = seq + 1
	default:
		c.dup.Add(1)
	}
}

// flow is the sum of seqChecks of one kind over all sessions.
type flow struct {
	Sent    int64 `json:"sent"`
	Recv    int64 `json:"received"`
	Skipped int64 `json:"skipped"`    // gaps in the sequence
	Dup     int64 `json:"duplicated"` // duplicates or out of order
	Missing int64 `json:"missing"`    // sent, never received (at the end)
}

func (f *flow) add(c *seqCheck) {
	f.Sent += c.sent.Load()
	f.Recv += c.recv.Load()
	f.Skipped += c.lost.Load()
	f.Dup += c.dup.Load()
	f.Missing = f.Sent - f.Recv
}

// ok reports exactly-once, in-order delivery.
func (f flow) ok() bool { return f.Sent == f.Recv && f.Skipped == 0 && f.Dup == 0 }
