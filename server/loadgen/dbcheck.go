//go:build linux

package main

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"tether/server/store"
)

// DBCheck compares what PostgreSQL holds with what the generator did: every
// session in the state its clients left it in, none ended, every event the
// store should have appended, and the byte counters the agents reported.
type DBCheck struct {
	OK       bool           `json:"ok"`
	States   map[string]int `json:"sessions_by_state"` // "state" or "ended: reason"
	Wrong    int            `json:"sessions_in_wrong_state"`
	Events   map[string]int `json:"events_by_kind"`
	Expected map[string]int `json:"events_expected"`
	Bytes    [2]int64       `json:"bytes_to_viewer"` // recorded, reported by the agents
	Notes    []string       `json:"notes,omitempty"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+$`)

func checkDatabase(ctx context.Context, dsn, providerID string, timeout time.Duration, ws []*waiting, as []*active, connected []bool) DBCheck {
	c := DBCheck{States: map[string]int{}, Events: map[string]int{}, Expected: map[string]int{}}
	if !idPattern.MatchString(providerID) {
		c.Notes = append(c.Notes, "unexpected provider id")
		return c
	}
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	defer db.Close()
	want := map[string]store.State{}
	var reported int64
	var cycles int64
	for i, w := range ws {
		if connected[i] {
			want[w.inv.id] = store.StateJoined
			cycles += w.cycles.Load()
		}
	}
	for _, a := range as {
		want[a.inv.id] = store.StateActive
		reported += a.reportd.Load()
	}
	c.Bytes[1] = reported
	c.Expected = map[string]int{
		store.EventCreated:        len(ws) + len(as),
		store.EventAgentConnected: len(want),
		store.EventAgentLost:      int(cycles),
		// Every lost agent that came back is recorded coming back.
		store.EventAgentReconnected: int(cycles),
		store.EventConsentGiven:     len(as),
		store.EventViewerConnected:  len(as),
	}
	where := " WHERE provider_id = '" + providerID + "'"
	// The agents' last stats may still be on their way.
	deadline := time.Now().Add(timeout)
	for {
		err := db.QueryRowContext(ctx, "SELECT COALESCE(SUM(bytes_to_viewer), 0) FROM support_sessions"+where).Scan(&c.Bytes[0])
		if err != nil {
			c.Notes = append(c.Notes, "bytes: "+err.Error())
			return c
		}
		if c.Bytes[0] == reported || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	rows, err := db.QueryContext(ctx, "SELECT id, state, end_reason FROM support_sessions"+where)
	if err != nil {
		c.Notes = append(c.Notes, "sessions: "+err.Error())
		return c
	}
	for rows.Next() {
		var id, state, reason string
		if err := rows.Scan(&id, &state, &reason); err != nil {
			c.Notes = append(c.Notes, "sessions: "+err.Error())
			break
		}
		key := state
		if state == string(store.StateEnded) {
			key = "ended: " + reason
		}
		c.States[key]++
		if w, ok := want[id]; !ok || string(w) != state {
			c.Wrong++
		}
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, "SELECT kind, COUNT(*) FROM session_events"+where+" GROUP BY kind")
	if err != nil {
		c.Notes = append(c.Notes, "events: "+err.Error())
		return c
	}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			c.Notes = append(c.Notes, "events: "+err.Error())
			break
		}
		c.Events[kind] = n
	}
	rows.Close()
	c.OK = c.Wrong == 0 && c.Bytes[0] == c.Bytes[1] && len(c.Notes) == 0
	for k, n := range c.Expected {
		if c.Events[k] != n {
			c.OK = false
			c.Notes = append(c.Notes, fmt.Sprintf("%s events: %d, expected %d", k, c.Events[k], n))
		}
	}
	// Viewers that left before the check are logged leaving.
	if n := c.Events[store.EventViewerDisconnected]; n > len(as) {
		c.OK = false
		c.Notes = append(c.Notes, fmt.Sprintf("%d viewer_disconnected events, more than the %d viewers", n, len(as)))
	}
	for k, n := range c.Events {
		if _, ok := c.Expected[k]; !ok && k != store.EventViewerDisconnected {
			c.OK = false
			c.Notes = append(c.Notes, fmt.Sprintf("%d unexpected %s events", n, k))
		}
	}
	if c.Wrong > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d sessions not in the state their clients left them in", c.Wrong))
	}
	if c.Bytes[0] != c.Bytes[1] {
		c.Notes = append(c.Notes, fmt.Sprintf("bytes_to_viewer %d, the agents reported %d", c.Bytes[0], c.Bytes[1]))
	}
	return c
}
