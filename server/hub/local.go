package hub

import "sync"

// InboxSize bounds each member's queue. With frame acknowledgements the
// agent keeps at most two frames in flight, far below this in messages.
const InboxSize = 512

// Local is the in-process Hub.
type Local struct {
	// mu guards topics and every member's done/err. Sends hold it only to
	// pick recipients and do non-blocking channel sends.
	mu     sync.Mutex
	topics map[string]map[*Member]struct{}
}

// NewLocal returns an empty in-process hub.
func NewLocal() *Local { return &Local{topics: make(map[string]map[*Member]struct{})} }

var _ Hub = (*Local)(nil)

func (h *Local) Join(topic string, role Role) *Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.joinLocked(topic, role)
}

func (h *Local) JoinCapped(topic string, role Role, max int) (*Member, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for m := range h.topics[topic] {
		if m.Role == role {
			n++
		}
	}
	if n >= max {
		return nil, false
	}
	return h.joinLocked(topic, role), true
}

func (h *Local) joinLocked(topic string, role Role) *Member {
	m := newMember(topic, role, h.drop)
	if role == RoleAgent || role == RoleViewer {
		for old := range h.topics[topic] {
			if old.Role == role {
				h.dropLocked(old, ErrReplaced)
			}
		}
	}
	// Only now look up the set: dropping the last member above deletes it.
	set := h.topics[topic]
	if set == nil {
		set = make(map[*Member]struct{})
		h.topics[topic] = set
	}
	set[m] = struct{}{}
	return m
}

func (h *Local) Send(topic string, role Role, msg Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for m := range h.topics[topic] {
		if m.Role == role {
			h.deliverLocked(m, msg)
		}
	}
}

// Ready is always nil: there is nothing between the members to lose.
func (h *Local) Ready() error { return nil }

func (h *Local) Counts() map[Role]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := make(map[Role]int)
	for _, set := range h.topics {
		for m := range set {
			n[m.Role]++
		}
	}
	return n
}

func (h *Local) Present(topic string, role Role) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for m := range h.topics[topic] {
		if m.Role == role {
			return true
		}
	}
	return false
}

// deliverLocked queues msg for m, dropping m if its inbox is full.
func (h *Local) deliverLocked(m *Member, msg Message) {
	if !m.offer(msg) {
		h.dropLocked(m, ErrSlow)
	}
}

func (h *Local) drop(m *Member, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropLocked(m, err)
}

func (h *Local) dropLocked(m *Member, err error) {
	set := h.topics[m.Topic]
	if _, ok := set[m]; !ok {
		return
	}
	delete(set, m)
	if len(set) == 0 {
		delete(h.topics, m.Topic)
	}
	m.err = err
	close(m.done)
}
