// Package hub routes live messages between the connections of a support
// session (agent, viewer, customer pages) and to each provider's consoles.
//
// Local is the in-process implementation used by a single server; Bus
// routes between several server instances over a NATS message bus (see
// docs/architecture.md#several-instances for why NATS).
//
// Delivery never blocks a sender: every member has a bounded inbox, and a
// member whose inbox is full is dropped (its Done channel closes with
// ErrSlow), like coder/websocket's chat example.
package hub

import (
	"errors"

	"tether/server/protocol"
)

// Role is what a member is to its session.
type Role string

const (
	RoleAgent   Role = protocol.RoleAgent
	RoleViewer  Role = protocol.RoleViewer
	RolePage    Role = "page"    // a customer's invitation page
	RoleConsole Role = "console" // an engineer's console, joined per provider
	// RoleSignIn is every signed-in connection of one browser sign-in,
	// joined per sign-in (its token hash), so that signing out closes them.
	RoleSignIn Role = "sign-in"
)

// Message is one delivery: a text signaling envelope or binary session bytes.
type Message struct {
	Binary bool
	Data   []byte
	// Close, when set, asks the receiving connection to send Data (if any)
	// and then close with this reason.
	Close string
	// Files puts a relayed session message on the file lane
	// (protocol.Type.FileLane): the member's second, smaller queue, which
	// its connection writes only when the main one is empty. A file thus
	// never delays the screen, and never fills the main inbox.
	Files bool
}

// FilesInboxSize bounds each member's file lane. Senders keep at most
// protocol.FileWindow chunks unacknowledged per transfer; a member whose
// lane still fills (a peer ignoring the window) is dropped as too slow.
const FilesInboxSize = 64

// Errors a member can be dropped with.
var (
	ErrSlow     = errors.New("hub: member fell behind and was dropped")
	ErrReplaced = errors.New("hub: replaced by a newer connection")
	ErrLeft     = errors.New("hub: left")
)

// Hub routes messages. Topics are session ids, or provider ids for RoleConsole.
type Hub interface {
	// Join adds a member. For RoleAgent and RoleViewer there is at most one
	// member per topic: joining replaces (drops with ErrReplaced) the old one.
	Join(topic string, role Role) *Member
	// JoinCapped adds a member unless topic has max members with role
	// already, in one step (false: it had).
	JoinCapped(topic string, role Role, max int) (*Member, bool)
	// Send delivers m to the members of topic with role, wherever they are
	// connected. Delivery is asynchronous and never blocks.
	Send(topic string, role Role, m Message)
	// Present reports whether topic has a member with role.
	Present(topic string, role Role) bool
	// Ready is nil when the hub can route between all members; a bus hub
	// that lost its bus says why. Live connections keep working where they
	// can, but new sessions should be refused meanwhile.
	Ready() error
	// Counts is the number of members connected to this instance, by role.
	Counts() map[Role]int
}

// ErrUnavailable is the cause Ready gives while the message bus is away.
var ErrUnavailable = errors.New("hub: message bus unavailable")

// Member is one connection's place in a hub.
type Member struct {
	Topic string
	Role  Role
	inbox chan Message
	files chan Message // the file lane
	done  chan struct{}
	err   error
	leave func(*Member, error)
	// joined orders the joins of one agent or viewer across instances (Bus):
	// the newest stays.
	joined int64
}

// newMember makes a member with empty queues.
func newMember(topic string, role Role, leave func(*Member, error)) *Member {
	return &Member{Topic: topic, Role: role, inbox: make(chan Message, InboxSize), files: make(chan Message, FilesInboxSize), done: make(chan struct{}), leave: leave}
}

// Inbox delivers the member's messages.
func (m *Member) Inbox() <-chan Message { return m.inbox }

// Files delivers the member's file-lane messages (Message.Files). Its
// connection writes them only while Inbox has nothing waiting.
func (m *Member) Files() <-chan Message { return m.files }

// Done closes when the member is dropped or leaves; Err tells why.
func (m *Member) Done() <-chan struct{} { return m.done }

// Err is the reason the member was dropped, after Done closed.
func (m *Member) Err() error {
	<-m.done
	return m.err
}

// Leave removes the member. It is safe to call more than once.
func (m *Member) Leave() { m.leave(m, ErrLeft) }

// offer queues msg without blocking; false: the inbox is full.
func (m *Member) offer(msg Message) bool {
	q := m.inbox
	if msg.Files {
		q = m.files
	}
	select {
	case q <- msg:
		return true
	default:
		return false
	}
}
