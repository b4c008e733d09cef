package session

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"tether/agent/link"
	"tether/server/protocol"
)

// syncWriter serialises writes to the customer's console: the owner and the
// consent prompt both print.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// counters hold session-message bytes since the last stats message.
type counters struct {
	toViewer, toAgent atomic.Int64
	// frames counts screen messages sent (changed pixels or pointer
	// moves): the activity the idle timeout watches.
	frames atomic.Int64
}

func (c *counters) take() (toViewer, toAgent int64) {
	return c.toViewer.Swap(0), c.toAgent.Swap(0)
}

func (c *counters) giveBack(toViewer, toAgent int64) {
	c.toViewer.Add(toViewer)
	c.toAgent.Add(toAgent)
}

// countingConn counts the bytes of a viewer path for protocol.Stats.
type countingConn struct {
	link.Conn
	c *counters
}

func (c *countingConn) Send(b []byte) error {
	err := c.Conn.Send(b)
	if err == nil {
		c.c.toViewer.Add(int64(len(b)))
		if t, terr := protocol.PeekType(b); terr == nil && (t == protocol.TypeUpdate || t == protocol.TypePhoto || t == protocol.TypeCursorPos) {
			c.c.frames.Add(1)
		}
	}
	return err
}

func (c *countingConn) Recv(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Recv(ctx)
	if err == nil {
		c.c.toAgent.Add(int64(len(b)))
	}
	return b, err
}
