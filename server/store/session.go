package store

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"tether/server/protocol"
)

// State is where a support session is in its life (protocol.SessionState):
//
//	waiting --JoinAgent--> joined --GiveConsent--> active --ChangeGrants--> active
//	   \                     \                       \
//	    +---------------------+-----------------------+--EndSession/ExpireDue/EndLostAgents/InterruptActive--> ended
type State = protocol.SessionState

// Session states, named here for the store's callers; the values are the protocol's.
const (
	StateWaiting = protocol.SessionWaiting
	StateJoined  = protocol.SessionJoined
	StateActive  = protocol.SessionActive
	StateEnded   = protocol.SessionEnded
)

// Event kinds the store appends itself.
const (
	EventCreated        = "created"
	EventAgentConnected = "agent_connected"
	EventConsentGiven   = "consent_given"
	EventGrantsChanged  = "grants_changed"
	EventAgentLost      = "agent_lost"
	// EventAgentReconnected: a lost agent came back, or its connection moved
	// to another instance; Detail names the instance.
	EventAgentReconnected = "agent_reconnected"
	// EventViewerConnected is appended by the web layer when an engineer
	// opens the viewer; the store has no transition for it.
	EventViewerConnected = "viewer_connected"
	// EventViewerDisconnected: the engineer's viewer left (closed, reloaded,
	// lost its connection); a viewer replaced by a newer one is not logged.
	EventViewerDisconnected = "viewer_disconnected"
	// EventScopeChanged: the customer changed what is shared (one window,
	// hidden windows); Detail words it.
	EventScopeChanged = "scope_changed"
	EventEnded        = "ended"
)

// Actors the store records for its own events; engineers are "engineer:<user id>".
const (
	ActorAgent    = "agent"
	ActorCustomer = "customer"
	ActorSystem   = "system"
)

// ActorEngineer is the actor string for an engineer.
func ActorEngineer(userID string) string { return "engineer:" + userID }

// Session is one support session. Nullable timestamps are *time.Time: nil until the step happened.
type Session struct {
	bun.BaseModel `bun:"table:support_sessions,alias:ss"`

	ID         string `bun:"id,pk"`
	ProviderID string `bun:"provider_id,notnull"`
	DeskID     string `bun:"desk_id,notnull"`
	// EngineerID is who helps; "" (NULL) while a customer's request waits in the desk's queue.
	EngineerID    string `bun:"engineer_id,nullzero"`
	CustomerName  string `bun:"customer_name,notnull"`
	Note          string `bun:"note,notnull"`
	TokenHash     string `bun:"token_hash,notnull"`      // hex sha256 of the invitation link's token; never the token
	CodeTokenHash string `bun:"code_token_hash,notnull"` // hex sha256 of the token the code page leads to; "" if none
	Code          string `bun:"code,notnull"`            // 6 characters, uppercase; unique among live sessions
	Source        string `bun:"source,notnull"`          // "" until the agent joins, then a protocol.Source...
	// Origin is where the session was opened (protocol.Origin...); Description what the customer wrote
	// when asking for help; AcceptedAt when an engineer took the waiting request.
	Origin      string     `bun:"origin,notnull"`
	Description string     `bun:"description,notnull"`
	AcceptedAt  *time.Time `bun:"accepted_at"`
	State       State      `bun:"state,notnull"`
	// Grants is what the customer allowed, as their agent reported it; empty until consent.
	Grants       protocol.Grants `bun:"grants,notnull"`
	AgentKeyHash string          `bun:"agent_key_hash,notnull"` // binds the one agent allowed in; "" until joined
	AgentOS      string          `bun:"agent_os,notnull"`
	AgentHost    string          `bun:"agent_host,notnull"`
	// AgentInstance is the server instance that holds the agent's connection.
	AgentInstance string `bun:"agent_instance,notnull"`
	// AgentLostAt is when the agent of a joined session went away; nil while it is connected.
	AgentLostAt   *time.Time `bun:"agent_lost_at"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
	ExpiresAt     time.Time  `bun:"expires_at,notnull"`
	JoinedAt      *time.Time `bun:"joined_at"`
	ActiveAt      *time.Time `bun:"active_at"`
	EndedAt       *time.Time `bun:"ended_at"`
	EndReason     string     `bun:"end_reason,notnull"`
	BytesToViewer int64      `bun:"bytes_to_viewer,notnull"`
	BytesToAgent  int64      `bun:"bytes_to_agent,notnull"`
	// Summary is the engineer's end-of-session summary (SetSummary); SummaryBy the user who last saved it.
	Summary   string     `bun:"summary,notnull"`
	SummaryBy string     `bun:"summary_by,notnull"`
	SummaryAt *time.Time `bun:"summary_at"`
	// Rating is the customer's 1 to 5 from the survey (Rate), 0 until they answer.
	Rating        int        `bun:"rating,notnull"`
	RatingComment string     `bun:"rating_comment,notnull"`
	RatedAt       *time.Time `bun:"rated_at"`
	// The time limits of an active session (timelimit.go): DeadlineAt is its maximum end, IdleAt when it
	// ends without further activity (nil: no idle timeout), WarnedFor the end both sides were last
	// warned about. Paused: the customer paused it.
	DeadlineAt     *time.Time `bun:"deadline_at"`
	LastActivityAt *time.Time `bun:"last_activity_at"`
	IdleAt         *time.Time `bun:"idle_at"`
	WarnedFor      *time.Time `bun:"warned_for"`
	Paused         bool       `bun:"paused,notnull"`

	// WidgetTokenHash is the hash of the token the website widget leads to; "" until the code is typed there.
	WidgetTokenHash string `bun:"widget_token_hash,notnull"`
}

// Live reports whether the session has not ended.
func (s Session) Live() bool { return s.State != StateEnded }

// NewSession is what an engineer provides to open a session. ID may be set by the caller (the web layer
// derives tokens from it); empty means NewID(). CodeTokenHash is optional. An empty EngineerID is a
// request waiting in DeskID's queue; an empty Origin is protocol.OriginConsole.
type NewSession struct {
	ID            string
	ProviderID    string
	DeskID        string
	EngineerID    string
	Origin        string
	Description   string
	CustomerName  string
	Note          string
	TokenHash     string
	CodeTokenHash string
	Code          string
	ExpiresAt     time.Time
}

// NormalizeCode is the form codes are stored and looked up in: trimmed, uppercase.
func NormalizeCode(code string) string {
	return strings.ToUpper(strings.TrimSpace(code))
}

// CreateSession opens a waiting session and logs its "created" event. The desk and the engineer must
// belong to n.ProviderID (ErrNotFound otherwise). ErrCodeTaken if a live session holds the code.
func (s *Store) CreateSession(ctx context.Context, n NewSession) (Session, error) {
	code := NormalizeCode(n.Code)
	if n.ProviderID == "" || n.TokenHash == "" || code == "" || n.ExpiresAt.IsZero() {
		return Session{}, fmt.Errorf("%w: session needs a provider, token hash, code and expiry", ErrInvalidArgument)
	}
	now := s.now()
	if n.ID == "" {
		n.ID = NewID()
	}
	sess := Session{
		ID:            n.ID,
		ProviderID:    n.ProviderID,
		DeskID:        n.DeskID,
		EngineerID:    n.EngineerID,
		Origin:        n.Origin,
		Description:   n.Description,
		CustomerName:  n.CustomerName,
		Note:          n.Note,
		TokenHash:     n.TokenHash,
		CodeTokenHash: n.CodeTokenHash,
		Code:          code,
		State:         StateWaiting,
		CreatedAt:     now,
		ExpiresAt:     utc(n.ExpiresAt),
	}
	if sess.Origin == "" {
		sess.Origin = protocol.OriginConsole
	}
	actor := ActorCustomer
	if n.EngineerID != "" {
		actor = ActorEngineer(n.EngineerID)
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		quotas, err := providerQuotas(ctx, tx, n.ProviderID)
		if err != nil {
			return err
		}
		live := tx.NewSelect().Model((*Session)(nil)).Where("provider_id = ? AND state <> ?", n.ProviderID, StateEnded)
		if err := checkQuota(ctx, live, quotas.MaxSessions, "concurrent sessions"); err != nil {
			return err
		}
		ok, err := tx.NewSelect().Model((*Desk)(nil)).Where("id = ? AND provider_id = ?", n.DeskID, n.ProviderID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("store: check desk: %w", err)
		}
		if !ok {
			return fmt.Errorf("session desk: %w", ErrNotFound)
		}
		if n.EngineerID != "" {
			ok, err = tx.NewSelect().Model((*User)(nil)).Where("id = ? AND provider_id = ?", n.EngineerID, n.ProviderID).Exists(ctx)
			if err != nil {
				return fmt.Errorf("store: check engineer: %w", err)
			}
			if !ok {
				return fmt.Errorf("session engineer: %w", ErrNotFound)
			}
		}
		if _, err := tx.NewInsert().Model(&sess).Exec(ctx); err != nil {
			if uniqueViolation(err, "support_sessions_live_code_uidx", "support_sessions.code") {
				return ErrCodeTaken
			}
			return fmt.Errorf("store: insert session: %w", err)
		}
		_, err = s.appendEvent(ctx, tx, Event{
			SessionID: sess.ID, ProviderID: sess.ProviderID, Kind: EventCreated, Actor: actor,
		})
		return err
	})
	if err != nil {
		return Session{}, err
	}
	return sess, nil
}

// SessionByID returns a session of the given provider; ErrNotFound for another provider's id.
func (s *Store) SessionByID(ctx context.Context, providerID, id string) (Session, error) {
	return s.sessionWhere(ctx, s.db, "session by id", "id = ? AND provider_id = ?", id, providerID)
}

// SessionByIDUnscoped returns a session whatever its provider; for the hub, which holds ids it issued.
func (s *Store) SessionByIDUnscoped(ctx context.Context, id string) (Session, error) {
	return s.sessionWhere(ctx, s.db, "session by id", "id = ?", id)
}

// SessionByTokenHash returns the session invited with the link token whose hash is given, in any state.
func (s *Store) SessionByTokenHash(ctx context.Context, tokenHash string) (Session, error) {
	if tokenHash == "" {
		return Session{}, fmt.Errorf("session by token: %w", ErrNotFound)
	}
	return s.sessionWhere(ctx, s.db, "session by token", "token_hash = ?", tokenHash)
}

// SessionByCodeTokenHash returns the session whose code token has the given hash, in any state.
func (s *Store) SessionByCodeTokenHash(ctx context.Context, tokenHash string) (Session, error) {
	if tokenHash == "" {
		return Session{}, fmt.Errorf("session by code token: %w", ErrNotFound)
	}
	return s.sessionWhere(ctx, s.db, "session by code token", "code_token_hash = ?", tokenHash)
}

// SessionByCode returns the live (not ended) session holding code.
func (s *Store) SessionByCode(ctx context.Context, code string) (Session, error) {
	return s.sessionWhere(ctx, s.db, "session by code", "code = ? AND state <> ?", NormalizeCode(code), StateEnded)
}

func (s *Store) sessionWhere(ctx context.Context, db bun.IDB, what, where string, args ...any) (Session, error) {
	var sess Session
	if err := db.NewSelect().Model(&sess).Where(where, args...).Scan(ctx); err != nil {
		return Session{}, notFound(err, what)
	}
	return sess, nil
}

// ListFilter narrows ListSessions. No states means all; Limit <= 0 means no limit. VisibleTo, when set,
// keeps only what that user may see (see visibleTo); empty is everything of the provider.
type ListFilter struct {
	States    []State
	Limit     int
	VisibleTo string
}

// ListSessions returns the provider's sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, providerID string, f ListFilter) ([]Session, error) {
	sessions := []Session{}
	q := s.db.NewSelect().Model(&sessions).
		Where("provider_id = ?", providerID).
		OrderExpr("created_at DESC, id DESC")
	if len(f.States) > 0 {
		q = q.Where("state IN (?)", bun.List(f.States))
	}
	q = visibleTo(q, f.VisibleTo)
	if f.Limit > 0 {
		q = q.Limit(int64(f.Limit))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	return sessions, nil
}

// AgentJoin is an agent's introduction, as JoinAgent records it.
type AgentJoin struct {
	KeyHash  string // hash of the agent's random key; binds the session to that agent
	Source   string // protocol.SourceLink, SourceCode or SourceWidget
	OS, Host string
	Instance string // the server instance holding the connection
}

// JoinAgent lets the agent holding j.KeyHash into a waiting session (waiting -> joined), binding that
// key. The same agent coming back to a joined or active session is a reconnect: the session keeps its
// state, records the instance now holding the agent and forgets that the agent was lost. Another key gets
// ErrAgentBound; an ended session ErrSessionEnded. A waiting session past its expiry is ended on the spot
// (reason expired) and answers ErrSessionEnded.
func (s *Store) JoinAgent(ctx context.Context, id string, j AgentJoin) (Session, error) {
	agentKeyHash, source, agentOS, agentHost := j.KeyHash, j.Source, j.OS, j.Host
	if agentKeyHash == "" {
		return Session{}, fmt.Errorf("%w: empty agent key", ErrInvalidArgument)
	}
	if !protocol.ValidSource(source) {
		return Session{}, fmt.Errorf("%w: source %q", ErrInvalidArgument, source)
	}
	var (
		out     Session
		expired bool
	)
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		expired = false
		now := s.now()
		n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("state = ?", StateJoined).
			Set("agent_key_hash = ?", agentKeyHash).
			Set("source = ?", source).
			Set("agent_os = ?", agentOS).
			Set("agent_host = ?", agentHost).
			Set("agent_instance = ?", j.Instance).
			Set("joined_at = ?", now).
			Where("id = ? AND state = ? AND expires_at > ?", id, StateWaiting, now))
		if err != nil {
			return err
		}
		if n == 1 {
			if out, err = s.sessionWhere(ctx, tx, "join agent", "id = ?", id); err != nil {
				return err
			}
			_, err = s.appendEvent(ctx, tx, Event{
				SessionID: id, ProviderID: out.ProviderID, Kind: EventAgentConnected, Actor: ActorAgent,
				Detail: joinDetail(source, agentOS, agentHost),
			})
			return err
		}
		cur, err := s.sessionWhere(ctx, tx, "join agent", "id = ?", id)
		if err != nil {
			return err
		}
		switch cur.State {
		case StateEnded:
			return ErrSessionEnded
		case StateWaiting: // past its expiry, not yet swept
			if _, _, err := s.end(ctx, tx, cur, protocol.EndExpired, ActorSystem, []State{StateWaiting}); err != nil {
				return err
			}
			// Commit the end; ErrSessionEnded is returned after, so it does not roll the end back.
			expired = true
			return nil
		}
		if subtle.ConstantTimeCompare([]byte(cur.AgentKeyHash), []byte(agentKeyHash)) != 1 {
			if cur.AgentLostAt == nil {
				return ErrAgentBound
			}
			// The agent was restarted while its session waited for it: the
			// new run binds the session and the customer is asked again.
			return s.rebindAgent(ctx, tx, cur, j, &out)
		}
		if _, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
			Set("agent_instance = ?", j.Instance).
			Set("agent_lost_at = NULL").
			Where("id = ? AND state IN (?)", id, bun.List([]State{StateJoined, StateActive}))); err != nil {
			return err
		}
		if out, err = s.sessionWhere(ctx, tx, "join agent", "id = ?", id); err != nil {
			return err
		}
		if cur.AgentLostAt != nil || cur.AgentInstance != j.Instance {
			// The record shows where the agent went after a drop or a
			// failover; a reconnect that nobody noticed is not news.
			_, err = s.appendEvent(ctx, tx, Event{SessionID: id, ProviderID: out.ProviderID, Kind: EventAgentReconnected, Actor: ActorAgent, Detail: "instance " + j.Instance})
		}
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if expired {
		return Session{}, ErrSessionEnded
	}
	return out, nil
}

func joinDetail(source, agentOS, agentHost string) string {
	return fmt.Sprintf("source=%s os=%s host=%s", source, agentOS, agentHost)
}

// GiveConsent records the customer's approval (joined -> active) with the grants their agent reported.
func (s *Store) GiveConsent(ctx context.Context, id string, g protocol.Grants) (Session, error) {
	if err := checkGrants(g); err != nil {
		return Session{}, err
	}
	return s.transition(ctx, id, []State{StateJoined}, func(q *bun.UpdateQuery, now time.Time) *bun.UpdateQuery {
		return q.Set("state = ?", StateActive).Set("grants = ?", g).Set("active_at = ?", now)
	}, Event{Kind: EventConsentGiven, Actor: ActorCustomer, Detail: g.String()})
}

// ChangeGrants records new grants for an active session; it stays active.
func (s *Store) ChangeGrants(ctx context.Context, id string, g protocol.Grants) (Session, error) {
	if err := checkGrants(g); err != nil {
		return Session{}, err
	}
	return s.transition(ctx, id, []State{StateActive}, func(q *bun.UpdateQuery, _ time.Time) *bun.UpdateQuery {
		return q.Set("grants = ?", g)
	}, Event{Kind: EventGrantsChanged, Actor: ActorCustomer, Detail: g.String()})
}

func checkGrants(g protocol.Grants) error {
	if err := g.Valid(); err != nil || !g.Consented() {
		return fmt.Errorf("%w: grants %q", ErrInvalidArgument, g)
	}
	return nil
}

// MarkAgentLost notes that the agent of a joined or active session went away from instance (once: a
// second call keeps the first time). EndLostAgents ends the session if the agent does not come back in
// time. A session whose agent meanwhile joined another instance, and sessions in other states, are left
// alone.
func (s *Store) MarkAgentLost(ctx context.Context, id, instance string) error {
	_, err := s.loseAgents(ctx, s.now(), "id = ? AND agent_instance = ?", id, instance)
	return err
}

// LostAgents returns the joined and active sessions whose agent went away more than grace ago.
func (s *Store) LostAgents(ctx context.Context, grace time.Duration) ([]Session, error) {
	var out []Session
	err := s.db.NewSelect().Model(&out).
		Where("state IN (?) AND agent_lost_at IS NOT NULL AND agent_lost_at <= ?", bun.List([]State{StateJoined, StateActive}), s.now().Add(-grace)).
		OrderExpr("created_at, id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: lost agents: %w", err)
	}
	return out, nil
}

// ClearAgentLost forgets that the agent of session id was lost: it is connected after all (the hub sees
// it), having come back while another connection of it was being taken down.
func (s *Store) ClearAgentLost(ctx context.Context, id string) error {
	_, err := affected(ctx, s.db.NewUpdate().Model((*Session)(nil)).Set("agent_lost_at = NULL").Where("id = ?", id))
	return err
}

// EndLostAgent ends a session LostAgents returned, if its agent is still lost since grace ago and it is
// still in the state it was read in: a joined session with reason protocol.EndAgentLost, an active one
// with protocol.EndInterrupted (the screen was being shared when the connection broke). The bool
// reports whether this call ended it.
func (s *Store) EndLostAgent(ctx context.Context, lost Session, grace time.Duration) (Session, bool, error) {
	reason := protocol.EndAgentLost
	if lost.State == StateActive {
		reason = protocol.EndInterrupted
	}
	ended, err := s.endWhere(ctx, reason, []State{lost.State},
		"id = ? AND state = ? AND agent_lost_at IS NOT NULL AND agent_lost_at <= ?", lost.ID, lost.State, s.now().Add(-grace))
	if err != nil || len(ended) == 0 {
		return Session{}, false, err
	}
	return ended[0], true, nil
}

// transition applies set to session id if it is in one of from, and appends ev, in one transaction.
// Otherwise: ErrNotFound, ErrSessionEnded or ErrInvalidTransition.
func (s *Store) transition(ctx context.Context, id string, from []State, set func(*bun.UpdateQuery, time.Time) *bun.UpdateQuery, ev Event) (Session, error) {
	var out Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		q := tx.NewUpdate().Model((*Session)(nil)).Where("id = ? AND state IN (?)", id, bun.List(from))
		n, err := affected(ctx, set(q, now))
		if err != nil {
			return err
		}
		cur, err := s.sessionWhere(ctx, tx, "transition", "id = ?", id)
		if err != nil {
			return err
		}
		if n == 0 {
			if cur.State == StateEnded {
				return ErrSessionEnded
			}
			return fmt.Errorf("%w: from %s", ErrInvalidTransition, cur.State)
		}
		ev.SessionID, ev.ProviderID = id, cur.ProviderID
		if _, err := s.appendEvent(ctx, tx, ev); err != nil {
			return err
		}
		out = cur
		return nil
	})
	if err != nil {
		return Session{}, err
	}
	return out, nil
}

// EndSession ends a session in any live state, logging actor and reason. ended is false, with no error,
// if the session had already ended.
func (s *Store) EndSession(ctx context.Context, id, reason, actor string) (sess Session, ended bool, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur, err := s.sessionWhere(ctx, tx, "end session", "id = ?", id)
		if err != nil {
			return err
		}
		sess, ended, err = s.end(ctx, tx, cur, reason, actor, []State{StateWaiting, StateJoined, StateActive})
		return err
	})
	if err != nil {
		return Session{}, false, err
	}
	return sess, ended, nil
}

// end moves cur to ended if it is still in one of from, appending the event. It reports false, and the
// current row, if another caller got there first.
func (s *Store) end(ctx context.Context, tx bun.Tx, cur Session, reason, actor string, from []State) (Session, bool, error) {
	now := s.now()
	n, err := affected(ctx, tx.NewUpdate().Model((*Session)(nil)).
		Set("state = ?", StateEnded).
		Set("ended_at = ?", now).
		Set("end_reason = ?", reason).
		Where("id = ? AND state IN (?)", cur.ID, bun.List(from)))
	if err != nil {
		return Session{}, false, err
	}
	after, err := s.sessionWhere(ctx, tx, "end session", "id = ?", cur.ID)
	if err != nil {
		return Session{}, false, err
	}
	if n == 0 {
		return after, false, nil
	}
	_, err = s.appendEvent(ctx, tx, Event{
		SessionID: cur.ID, ProviderID: cur.ProviderID, Kind: EventEnded, Actor: actor, Detail: reason,
	})
	if err != nil {
		return Session{}, false, err
	}
	return after, true, nil
}

// AddBytes adds relayed byte counts to a session, ended or not (the last flush may come after the end).
func (s *Store) AddBytes(ctx context.Context, id string, toViewer, toAgent int64) error {
	return s.AddStats(ctx, id, toViewer, toAgent, nil)
}

// AddStats is AddBytes for an agent's report that may also say the session was used (input carried out,
// the screen changed): with idle set, an active session's activity is recorded as Touch does, in the same
// update.
func (s *Store) AddStats(ctx context.Context, id string, toViewer, toAgent int64, idle *time.Duration) error {
	q := s.db.NewUpdate().Model((*Session)(nil)).
		Set("bytes_to_viewer = bytes_to_viewer + ?", toViewer).
		Set("bytes_to_agent = bytes_to_agent + ?", toAgent)
	if idle != nil {
		now := s.now()
		q = q.Set("last_activity_at = CASE WHEN state = ? THEN ? ELSE last_activity_at END", StateActive, now).
			Set("idle_at = CASE WHEN state = ? THEN ? ELSE idle_at END", StateActive, idleAt(now, *idle))
	}
	res, err := q.Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: add bytes: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: add bytes: %w", err)
	} else if n == 0 {
		return fmt.Errorf("add bytes: %w", ErrNotFound)
	}
	return nil
}

// ExpireDue ends waiting and joined sessions whose expiry has passed, with reason protocol.EndExpired.
func (s *Store) ExpireDue(ctx context.Context) ([]Session, error) {
	from := []State{StateWaiting, StateJoined}
	return s.endWhere(ctx, protocol.EndExpired, from, "state IN (?) AND expires_at <= ?", bun.List(from), s.now())
}

// endWhere ends the sessions matching where, one conditional update each, and returns those this call
// ended (not those a concurrent caller ended first).
func (s *Store) endWhere(ctx context.Context, reason string, from []State, where string, args ...any) ([]Session, error) {
	var out []Session
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out = out[:0]
		var due []Session
		if err := tx.NewSelect().Model(&due).Where(where, args...).OrderExpr("created_at, id").Scan(ctx); err != nil {
			return fmt.Errorf("store: select sessions to end: %w", err)
		}
		for _, cur := range due {
			after, ended, err := s.end(ctx, tx, cur, reason, ActorSystem, from)
			if err != nil {
				return err
			}
			if ended {
				out = append(out, after)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// affected runs q and returns the number of rows it changed.
func affected(ctx context.Context, q *bun.UpdateQuery) (int64, error) {
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: update session: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: update session: %w", err)
	}
	return n, nil
}

// CountByState counts all sessions by state, for metrics.
func (s *Store) CountByState(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State State `bun:"state"`
		N     int   `bun:"n"`
	}
	if err := s.db.NewSelect().Model((*Session)(nil)).Column("state").ColumnExpr("COUNT(*) AS n").Group("state").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("store: count sessions: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, st := range []State{StateWaiting, StateJoined, StateActive, StateEnded} {
		out[string(st)] = 0
	}
	for _, r := range rows {
		out[string(r.State)] = r.N
	}
	return out, nil
}
