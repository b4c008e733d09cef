package hub

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Bus is the Hub of several server instances: members join on the instance
// their connection reached, and messages, replacements and presence cross
// instances over NATS subjects, one per topic and role:
//
//	tether.m.<role>.<topic>   deliveries and replacements
//	tether.p.<role>.<topic>   presence queries (request/reply)
//
// An instance subscribes to a subject while it has members there, so a
// crashed instance's members vanish with its bus connection: presence asks
// the instances that are there, and NATS answers "no responders" at once
// when none is. Every frame is signed (busFrame), so the bus carries
// nothing a non-instance could have forged.
type Bus struct {
	nc       *nats.Conn
	key      []byte
	instance string
	log      *slog.Logger
	now      func() time.Time

	// mu guards topics and the members' done/err, like Local.mu.
	mu     sync.Mutex
	topics map[busKey]*busTopic

	lastJoin atomic.Int64 // keeps join stamps of this instance strictly increasing
	forged   atomic.Int64
	rtt      atomic.Int64 // nanoseconds, last measured
	sent     atomic.Int64
	received atomic.Int64
}

type busKey struct {
	role  Role
	topic string
}

// busTopic is one subject this instance listens on, with its local members.
type busTopic struct {
	members  map[*Member]struct{}
	msgs     *nats.Subscription
	presence *nats.Subscription
}

// BusOptions configure NewBus.
type BusOptions struct {
	// URL is the bus, e.g. nats://user:password@bus.internal:4222; several
	// comma-separated URLs name a NATS cluster.
	URL string
	// Secret is the server secret every instance shares; the key that signs
	// bus frames is derived from it.
	Secret []byte
	// Instance names this instance (at most 255 bytes).
	Instance string
	Log      *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// presenceTimeout bounds a presence query over the bus; NATS answers at
// once when nobody listens, so this is reached only when the bus is slow.
const presenceTimeout = 2 * time.Second

// NewBus connects to the bus. A bus that is not reachable yet (instances
// and bus starting together) is waited for in the background, like a later
// outage: Ready reports it meanwhile, and new sessions are refused.
func NewBus(opts BusOptions) (*Bus, error) {
	if len(opts.Instance) == 0 || len(opts.Instance) > 255 {
		return nil, fmt.Errorf("hub: instance name must have 1 to 255 bytes")
	}
	if len(opts.Secret) < 16 {
		return nil, fmt.Errorf("hub: bus secret too short")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	mac := hmac.New(sha256.New, opts.Secret)
	mac.Write([]byte("tether bus frames v1"))
	b := &Bus{key: mac.Sum(nil), instance: opts.Instance, log: opts.Log, now: opts.Now, topics: make(map[busKey]*busTopic)}
	nc, err := nats.Connect(opts.URL,
		nats.Name("tether "+opts.Instance),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ConnectHandler(func(c *nats.Conn) {
			b.log.Info("message bus connected", "url", c.ConnectedUrlRedacted())
		}),
		nats.ReconnectWait(500*time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.PingInterval(5*time.Second),
		nats.MaxPingsOutstanding(2),
		nats.Timeout(5*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			b.log.Warn("message bus disconnected; refusing new sessions until it is back", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			b.log.Info("message bus reconnected", "url", c.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			subj := ""
			if s != nil {
				subj = s.Subject
			}
			b.log.Error("message bus", "subject", subj, "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("hub: connect to the message bus: %w", err)
	}
	b.nc = nc
	if !nc.IsConnected() {
		b.log.Warn("message bus not reachable yet; refusing new sessions until it is", "status", nc.Status().String())
	}
	return b, nil
}

var _ Hub = (*Bus)(nil)

// Close leaves the bus. Members still joined are dropped with ErrLeft.
func (b *Bus) Close() {
	b.mu.Lock()
	for _, t := range b.topics {
		for m := range t.members {
			b.dropLocked(m, ErrLeft)
		}
	}
	b.mu.Unlock()
	b.nc.Close()
}

// Ready is nil while the bus is connected.
func (b *Bus) Ready() error {
	if b.nc.IsConnected() {
		return nil
	}
	return fmt.Errorf("%w (%s)", ErrUnavailable, strings.ToLower(b.nc.Status().String()))
}

// BusStats are counters for metrics.
type BusStats struct {
	RTT      time.Duration // last measured round trip to the bus
	Forged   int64         // frames refused for a wrong signature
	Sent     int64         // frames published
	Received int64         // frames taken
}

// Stats reads the counters.
func (b *Bus) Stats() BusStats {
	return BusStats{RTT: time.Duration(b.rtt.Load()), Forged: b.forged.Load(), Sent: b.sent.Load(), Received: b.received.Load()}
}

// Measure records the round trip to the bus every interval until ctx ends.
func (b *Bus) Measure(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if rtt, err := b.nc.RTT(); err == nil {
			b.rtt.Store(int64(rtt))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *Bus) Join(topic string, role Role) *Member {
	m, _ := b.join(topic, role, 0)
	return m
}

// JoinCapped caps the members of this instance: the cap bounds what one
// connection flood can cost an instance, and a customer's few tabs land
// within it wherever they connect.
func (b *Bus) JoinCapped(topic string, role Role, max int) (*Member, bool) {
	return b.join(topic, role, max)
}

func (b *Bus) join(topic string, role Role, max int) (*Member, bool) {
	k := busKey{role, topic}
	b.mu.Lock()
	t := b.topics[k]
	if max > 0 && t != nil && len(t.members) >= max {
		b.mu.Unlock()
		return nil, false
	}
	m := newMember(topic, role, b.drop)
	m.joined = b.stamp()
	created := t == nil
	if created {
		t = &busTopic{members: make(map[*Member]struct{})}
		if err := b.subscribeLocked(k, t); err != nil {
			// Subscribe fails only on a closed connection: this instance
			// is stopping, and its members are dropped with it.
			b.log.Error("subscribe on the message bus", "role", role, "err", err)
		}
		b.topics[k] = t
	}
	single := role == RoleAgent || role == RoleViewer
	// The new member is in the set before older ones leave, so the topic
	// and its subscriptions stay.
	t.members[m] = struct{}{}
	if single {
		for old := range t.members {
			if old != m {
				b.dropLocked(old, ErrReplaced)
			}
		}
	}
	b.mu.Unlock()
	if created {
		// One round trip makes sure the bus has the subscriptions before
		// the caller tells anyone this member is here.
		if err := b.nc.FlushTimeout(presenceTimeout); err != nil {
			b.log.Warn("message bus: flush after subscribe", "err", err)
		}
	}
	if single {
		b.publish(k, &busFrame{Op: opReplace, Joined: m.joined})
	}
	return m, true
}

// stamp returns a join time, strictly increasing on this instance.
func (b *Bus) stamp() int64 {
	for {
		now, last := b.now().UnixNano(), b.lastJoin.Load()
		if now <= last {
			now = last + 1
		}
		if b.lastJoin.CompareAndSwap(last, now) {
			return now
		}
	}
}

func (b *Bus) subscribeLocked(k busKey, t *busTopic) error {
	var err error
	subj := subject("m", k)
	t.msgs, err = b.nc.Subscribe(subj, func(msg *nats.Msg) { b.take(k, msg) })
	if err != nil {
		return err
	}
	// Deliveries are handed on without blocking; let NATS buffer a burst
	// rather than call this a slow consumer.
	_ = t.msgs.SetPendingLimits(64*InboxSize, 256<<20)
	psubj := subject("p", k)
	t.presence, err = b.nc.Subscribe(psubj, func(msg *nats.Msg) {
		if _, err := b.open(psubj, msg.Data); err != nil {
			return
		}
		reply := busFrame{Op: opPresent, Sent: b.now().UnixMilli(), Instance: b.instance}
		_ = msg.Respond(reply.marshal(b.key, msg.Reply))
	})
	return err
}

// take handles one frame from the bus for the members of k.
func (b *Bus) take(k busKey, msg *nats.Msg) {
	f, err := b.open(msg.Subject, msg.Data)
	if err != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topics[k]
	if t == nil {
		return
	}
	switch f.Op {
	case opDeliver:
		// The frame is one allocation NATS made for this message; members
		// keep their Data, so it is not reused.
		m := Message{Binary: f.Binary, Data: f.Data, Close: f.Close, Files: f.Files}
		for mem := range t.members {
			if !mem.offer(m) {
				b.dropLocked(mem, ErrSlow)
			}
		}
	case opReplace:
		var keep *Member
		for mem := range t.members {
			if newer(f.Joined, f.Instance, mem.joined, b.instance) {
				b.dropLocked(mem, ErrReplaced)
			} else if f.Instance != b.instance {
				keep = mem
			}
		}
		if keep != nil {
			// An older join elsewhere announced itself, perhaps before this
			// instance listened: answer with the newer one, so that it goes.
			go b.publish(k, &busFrame{Op: opReplace, Joined: keep.joined})
		}
	}
}

// newer orders two joins: by time, then by instance name, so that two
// instances decide alike which of two simultaneous joins stays.
func newer(at int64, inst string, than int64, thanInst string) bool {
	if at != than {
		return at > than
	}
	return inst > thanInst
}

// open checks and decodes a frame, counting and logging forgeries.
func (b *Bus) open(subj string, data []byte) (busFrame, error) {
	f, err := unmarshalBus(b.key, subj, data)
	if err != nil {
		b.forged.Add(1)
		b.log.Warn("message bus: frame refused", "subject", subj, "err", err)
		return f, err
	}
	b.received.Add(1)
	return f, nil
}

func (b *Bus) publish(k busKey, f *busFrame) {
	f.Sent, f.Instance = b.now().UnixMilli(), b.instance
	subj := subject("m", k)
	if err := b.nc.Publish(subj, f.marshal(b.key, subj)); err != nil {
		b.log.Warn("message bus: publish", "subject", subj, "err", err)
		return
	}
	b.sent.Add(1)
}

func (b *Bus) Send(topic string, role Role, m Message) {
	b.publish(busKey{role, topic}, &busFrame{Op: opDeliver, Binary: m.Binary, Files: m.Files, Close: m.Close, Data: m.Data})
}

// Present answers from this instance's members when it has one, and asks
// the bus otherwise.
func (b *Bus) Present(topic string, role Role) bool {
	k := busKey{role, topic}
	b.mu.Lock()
	local := b.topics[k] != nil
	b.mu.Unlock()
	if local {
		return true
	}
	subj := subject("p", k)
	q := busFrame{Sent: b.now().UnixMilli(), Instance: b.instance}
	reply, err := b.nc.Request(subj, q.marshal(b.key, subj), presenceTimeout)
	if errors.Is(err, nats.ErrNoResponders) {
		return false
	}
	if err != nil {
		b.log.Warn("message bus: presence", "subject", subj, "err", err)
		return false
	}
	f, err := b.open(reply.Subject, reply.Data)
	return err == nil && f.Op == opPresent
}

func (b *Bus) Counts() map[Role]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := make(map[Role]int)
	for k, t := range b.topics {
		n[k.role] += len(t.members)
	}
	return n
}

func (b *Bus) drop(m *Member, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dropLocked(m, err)
}

func (b *Bus) dropLocked(m *Member, err error) {
	k := busKey{m.Role, m.Topic}
	t := b.topics[k]
	if t == nil {
		return
	}
	if _, ok := t.members[m]; !ok {
		return
	}
	delete(t.members, m)
	if len(t.members) == 0 {
		delete(b.topics, k)
		// Unsubscribing tells the bus at once that this instance no
		// longer holds the topic; a failure only leaves a subscription
		// whose frames find no members.
		for _, s := range []*nats.Subscription{t.msgs, t.presence} {
			if s != nil {
				_ = s.Unsubscribe()
			}
		}
	}
	m.err = err
	close(m.done)
}

// subject names a topic's subject of kind ("m" or "p"). Topics are ids or
// hex hashes; anything else is hex-encoded, so no topic can reach into
// another's subject with NATS wildcards or separators.
func subject(kind string, k busKey) string {
	topic := k.topic
	for _, c := range topic {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			topic = "x" + hex.EncodeToString([]byte(topic))
			break
		}
	}
	return "tether." + kind + "." + string(k.role) + "." + topic
}
