package viewer

import "sync"

// queue hands work to the owner goroutine. push never blocks and never
// drops, so a JS callback can post from inside the event loop and data
// channel messages keep their order; flow control (FrameAck) bounds how much
// the agent can have in flight.
type queue struct {
	mu    sync.Mutex
	items []func()
	ready chan struct{}
}

func newQueue() *queue { return &queue{ready: make(chan struct{}, 1)} }

func (q *queue) push(f func()) {
	q.mu.Lock()
	q.items = append(q.items, f)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// drain takes everything queued so far.
func (q *queue) drain() []func() {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}
