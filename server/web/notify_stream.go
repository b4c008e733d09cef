package web

import (
	"context"
	"time"

	"github.com/coder/websocket"

	"tether/server/hub"
	"tether/server/protocol"
	"tether/server/store"
)

// snapshotDelay gathers a burst of updates (a session ending sends a state and a request update) into
// one snapshot.
const snapshotDelay = 150 * time.Millisecond

// consoleStream runs an engineer's /ws/console: a snapshot first (protocol.SigConsole), then every
// update the engineer may see (consoleAdmit) as it comes, each followed shortly by a fresh snapshot. The
// snapshot is read from the store after the console joined the hub, so nothing that happens meanwhile
// is missed; a console that was disconnected catches up by comparing it with the last one it had.
// Nothing of it lives in this process: any instance serves the reconnect.
func (s *Server) consoleStream(ctx context.Context, conn *websocket.Conn, m *hub.Member, en engineer) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		// The console only listens: a message from it is a protocol violation; a read error is its
		// end.
		if _, _, err := conn.Read(ctx); err == nil {
			conn.Close(websocket.StatusPolicyViolation, "this connection only listens")
		}
		stop()
	}()
	if !s.sendSnapshot(ctx, conn, en) {
		return
	}
	admit := s.consoleAdmit(ctx, en)
	var due <-chan time.Time
	for {
		select {
		case msg := <-m.Inbox():
			if admit != nil && !admit(msg) {
				continue
			}
			if len(msg.Data) > 0 {
				wctx, cancel := context.WithTimeout(ctx, writeTimeout)
				err := conn.Write(wctx, websocket.MessageText, msg.Data)
				cancel()
				if err != nil {
					conn.CloseNow()
					return
				}
			}
			if msg.Close != "" {
				conn.Close(websocket.StatusNormalClosure, msg.Close)
				return
			}
			if due == nil {
				due = time.After(snapshotDelay)
			}
		case <-due:
			due = nil
			if !s.sendSnapshot(ctx, conn, en) {
				return
			}
		case <-m.Done():
			// After ErrSlow the console reconnects and catches up from its next snapshot.
			closeForHub(conn, m.Err())
			return
		case <-ctx.Done():
			return
		}
	}
}

// sendSnapshot writes en's console snapshot; false when the connection is done.
func (s *Server) sendSnapshot(ctx context.Context, conn *websocket.Conn, en engineer) bool {
	snap, err := s.consoleSnapshot(ctx, en)
	if err != nil {
		if ctx.Err() == nil {
			s.Log.Error("console snapshot", "user", en.User.ID, "err", err)
			// The page reconnects and asks again.
			conn.Close(websocket.StatusInternalError, "try again")
		}
		return false
	}
	if err := sendNow(ctx, conn, protocol.SigConsole, snap); err != nil {
		conn.CloseNow()
		return false
	}
	return true
}

// consoleSnapshot reads what en's console counts and announces. The waiting items are the requests in
// en's desks and en's sessions whose customer waits for them: the support program is connected and
// en's viewer is not open (presence is asked of the hub, which answers for every instance).
func (s *Server) consoleSnapshot(ctx context.Context, en engineer) (protocol.ConsoleSnapshot, error) {
	snap := protocol.ConsoleSnapshot{Requests: []protocol.ConsoleRequest{}, Taken: []protocol.ConsoleTaken{}, Sessions: []protocol.ConsoleSession{}}
	var desks []string
	if !seesAllDesks(en) {
		ds, err := s.Store.DesksOf(ctx, en.Provider.ID, en.User.ID)
		if err != nil {
			return snap, err
		}
		desks = make([]string, len(ds))
		for i, d := range ds {
			desks[i] = d.ID
		}
	}
	reqs, err := s.Store.WaitingRequests(ctx, en.Provider.ID, desks)
	if err != nil {
		return snap, err
	}
	for _, r := range reqs {
		snap.Requests = append(snap.Requests, protocol.ConsoleRequest{SessionID: r.ID, Customer: r.CustomerName, Description: r.Description})
	}
	since := s.Now().Add(-protocol.ConsoleRecentMinutes * time.Minute)
	mine, taken, err := s.Store.ConsoleWatch(ctx, en.Provider.ID, en.User.ID, desks, since)
	if err != nil {
		return snap, err
	}
	for _, t := range taken {
		snap.Taken = append(snap.Taken, protocol.ConsoleTaken{SessionID: t.SessionID, Customer: t.CustomerName, Engineer: t.Engineer})
	}
	snap.Waiting = len(snap.Requests)
	for _, sess := range mine {
		cs := protocol.ConsoleSession{SessionID: sess.ID, Customer: sess.CustomerName, State: sess.State}
		switch sess.State {
		case store.StateEnded:
			cs.Left = protocol.CustomerLeft(sess.EndReason)
		case store.StateJoined, store.StateActive:
			if sess.AgentLostAt == nil {
				cs.Waiting = !s.Live.Hub().Present(sess.ID, hub.RoleViewer)
			}
		}
		if cs.Waiting {
			snap.Waiting++
		}
		snap.Sessions = append(snap.Sessions, cs)
	}
	return snap, nil
}
