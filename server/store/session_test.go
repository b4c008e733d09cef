package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"tether/server/protocol"
)

func TestCreateSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		otherP, otherOwner, otherDesk := e.otherProvider(t)
		sess := e.newSession(t, " ab12cd ")
		if sess.State != StateWaiting || sess.Code != "AB12CD" || sess.Source != "" || sess.Grants != 0 ||
			sess.JoinedAt != nil || sess.ActiveAt != nil || sess.EndedAt != nil || !sess.CreatedAt.Equal(e.clock.Now()) {
			t.Errorf("CreateSession() = %+v", sess)
		}
		got, err := e.s.SessionByID(ctx, e.p.ID, sess.ID)
		if err != nil {
			t.Fatalf("SessionByID: %v", err)
		}
		if got.ID != sess.ID || got.TokenHash != sess.TokenHash || !got.ExpiresAt.Equal(sess.ExpiresAt) || got.JoinedAt != nil {
			t.Errorf("SessionByID() = %+v, want %+v", got, sess)
		}

		base := NewSession{ProviderID: e.p.ID, DeskID: e.desk.ID, EngineerID: e.owner.ID, ExpiresAt: e.clock.Now().Add(time.Hour)}
		with := func(f func(*NewSession)) NewSession { n := base; n.TokenHash = NewID(); f(&n); return n }
		tests := []struct {
			name    string
			n       NewSession
			wantErr error
		}{
			{name: "live code taken", n: with(func(n *NewSession) { n.Code = "AB12CD" }), wantErr: ErrCodeTaken},
			{name: "live code taken, other case", n: with(func(n *NewSession) { n.Code = "ab12cd" }), wantErr: ErrCodeTaken},
			{name: "live code taken by another provider", n: NewSession{ProviderID: otherP.ID, DeskID: otherDesk.ID, EngineerID: otherOwner.ID, TokenHash: NewID(), Code: "AB12CD", ExpiresAt: base.ExpiresAt}, wantErr: ErrCodeTaken},
			{name: "desk of another provider", n: with(func(n *NewSession) { n.Code = "ZZZZZ1"; n.DeskID = otherDesk.ID }), wantErr: ErrNotFound},
			{name: "engineer of another provider", n: with(func(n *NewSession) { n.Code = "ZZZZZ2"; n.EngineerID = otherOwner.ID }), wantErr: ErrNotFound},
			{name: "token hash reused", n: with(func(n *NewSession) { n.Code = "ZZZZZ3"; n.TokenHash = sess.TokenHash }), wantErr: nil /* checked below */},
			{name: "no code", n: with(func(n *NewSession) {}), wantErr: ErrInvalidArgument},
			{name: "code token hash reused", n: with(func(n *NewSession) { n.Code = "ZZZZZ4"; n.CodeTokenHash = sess.CodeTokenHash }), wantErr: errAny},
			{name: "id reused", n: with(func(n *NewSession) { n.Code = "ZZZZZ5"; n.ID = sess.ID }), wantErr: errAny},
			{name: "fresh code", n: with(func(n *NewSession) { n.Code = "QQQQQ1" })},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.s.CreateSession(ctx, tt.n)
				if tt.wantErr == errAny {
					if err == nil || errors.Is(err, ErrCodeTaken) {
						t.Fatalf("CreateSession error = %v, want a unique violation", err)
					}
					return
				}
				if tt.n.TokenHash == sess.TokenHash {
					if err == nil || errors.Is(err, ErrCodeTaken) {
						t.Fatalf("CreateSession with a reused token hash error = %v, want a unique violation", err)
					}
					return
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("CreateSession error = %v, want %v", err, tt.wantErr)
				}
			})
		}

		// A caller-chosen id is kept; no code token is fine.
		chosen := NewID()
		if got, err := e.s.CreateSession(ctx, with(func(n *NewSession) { n.ID = chosen; n.Code = "QQQQQ2" })); err != nil || got.ID != chosen || got.CodeTokenHash != "" {
			t.Errorf("CreateSession(with id) = %s %q, %v; want id %s, no code token", got.ID, got.CodeTokenHash, err, chosen)
		}
		if _, err := e.s.CreateSession(ctx, with(func(n *NewSession) { n.Code = "QQQQQ3" })); err != nil {
			t.Errorf("a second session without a code token: %v", err)
		}

		// The code is free again once its holder has ended.
		if _, ended, err := e.s.EndSession(ctx, sess.ID, "done", ActorEngineer(e.owner.ID)); err != nil || !ended {
			t.Fatalf("EndSession() = %v, %v", ended, err)
		}
		if _, err := e.s.SessionByCode(ctx, "AB12CD"); !errors.Is(err, ErrNotFound) {
			t.Errorf("SessionByCode(ended holder) error = %v, want ErrNotFound", err)
		}
		again := e.newSession(t, "AB12CD")
		if got, err := e.s.SessionByCode(ctx, "ab12cd"); err != nil || got.ID != again.ID {
			t.Errorf("SessionByCode() = %v, %v; want the new holder %s", got.ID, err, again.ID)
		}
		// Ending the new holder too keeps both ended rows with the same code.
		if _, _, err := e.s.EndSession(ctx, again.ID, "done", ActorSystem); err != nil {
			t.Fatalf("EndSession: %v", err)
		}
		e.newSession(t, "AB12CD")
	})
}

func TestSessionLookupsAreScoped(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		otherP, _, _ := e.otherProvider(t)
		sess := e.newSession(t, "SCOPE1")

		tests := []struct {
			name    string
			get     func() (Session, error)
			wantErr error
		}{
			{"own provider", func() (Session, error) { return e.s.SessionByID(ctx, e.p.ID, sess.ID) }, nil},
			{"other provider", func() (Session, error) { return e.s.SessionByID(ctx, otherP.ID, sess.ID) }, ErrNotFound},
			{"unknown id", func() (Session, error) { return e.s.SessionByID(ctx, e.p.ID, "nope") }, ErrNotFound},
			{"unscoped", func() (Session, error) { return e.s.SessionByIDUnscoped(ctx, sess.ID) }, nil},
			{"unscoped unknown", func() (Session, error) { return e.s.SessionByIDUnscoped(ctx, "nope") }, ErrNotFound},
			{"token hash", func() (Session, error) { return e.s.SessionByTokenHash(ctx, sess.TokenHash) }, nil},
			{"empty token hash", func() (Session, error) { return e.s.SessionByTokenHash(ctx, "") }, ErrNotFound},
			{"code token hash", func() (Session, error) { return e.s.SessionByCodeTokenHash(ctx, sess.CodeTokenHash) }, nil},
			{"link token is not a code token", func() (Session, error) { return e.s.SessionByCodeTokenHash(ctx, sess.TokenHash) }, ErrNotFound},
			{"empty code token hash", func() (Session, error) { return e.s.SessionByCodeTokenHash(ctx, "") }, ErrNotFound},
			{"unknown token hash", func() (Session, error) { return e.s.SessionByTokenHash(ctx, "nope") }, ErrNotFound},
			{"code", func() (Session, error) { return e.s.SessionByCode(ctx, " scope1") }, nil},
			{"unknown code", func() (Session, error) { return e.s.SessionByCode(ctx, "NOPE00") }, ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := tt.get()
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if err == nil && got.ID != sess.ID {
					t.Errorf("got session %s, want %s", got.ID, sess.ID)
				}
			})
		}
		if _, err := e.s.Events(ctx, otherP.ID, sess.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Events(other provider) error = %v, want ErrNotFound", err)
		}
	})
}

func TestListSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		otherP, otherOwner, otherDesk := e.otherProvider(t)
		var ids []string
		for _, code := range []string{"LIST01", "LIST02", "LIST03"} {
			ids = append(ids, e.newSession(t, code).ID)
			e.clock.Advance(time.Second)
		}
		if _, _, err := e.s.EndSession(ctx, ids[1], "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.CreateSession(ctx, NewSession{ProviderID: otherP.ID, DeskID: otherDesk.ID, EngineerID: otherOwner.ID,
			TokenHash: NewID(), Code: "LIST04", ExpiresAt: e.clock.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name string
			f    ListFilter
			want []string
		}{
			{"all, newest first", ListFilter{}, []string{ids[2], ids[1], ids[0]}},
			{"limit", ListFilter{Limit: 2}, []string{ids[2], ids[1]}},
			{"live", ListFilter{States: []State{StateWaiting, StateJoined, StateActive}}, []string{ids[2], ids[0]}},
			{"ended", ListFilter{States: []State{StateEnded}}, []string{ids[1]}},
			{"none active", ListFilter{States: []State{StateActive}}, []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := e.s.ListSessions(ctx, e.p.ID, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var gotIDs []string
				for _, s := range got {
					gotIDs = append(gotIDs, s.ID)
				}
				if len(gotIDs) != len(tt.want) {
					t.Fatalf("ListSessions() = %v, want %v", gotIDs, tt.want)
				}
				for i := range gotIDs {
					if gotIDs[i] != tt.want[i] {
						t.Fatalf("ListSessions() = %v, want %v", gotIDs, tt.want)
					}
				}
			})
		}
	})
}

func TestJoinAgent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "JOIN01")
		e.clock.Advance(time.Minute)
		joinedAt := e.clock.Now()

		tests := []struct {
			name, key, source string
			wantErr           error
			wantState         State
		}{
			{name: "bad source", key: "k1", source: "mail", wantErr: ErrInvalidArgument},
			{name: "empty key", key: "", source: protocol.SourceLink, wantErr: ErrInvalidArgument},
			{name: "first agent joins", key: "k1", source: protocol.SourceCode, wantState: StateJoined},
			{name: "same agent reconnects", key: "k1", source: protocol.SourceLink, wantState: StateJoined},
			{name: "other agent is refused", key: "k2", source: protocol.SourceLink, wantErr: ErrAgentBound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: tt.key, Source: tt.source, OS: "linux", Host: "pc-1"})
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("JoinAgent error = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					return
				}
				if got.State != tt.wantState || got.AgentKeyHash != "k1" || got.Source != protocol.SourceCode ||
					got.AgentOS != "linux" || got.AgentHost != "pc-1" || got.JoinedAt == nil || !got.JoinedAt.Equal(joinedAt) {
					t.Errorf("JoinAgent() = %+v", got)
				}
			})
		}

		// A reconnect of an active session keeps it active; other keys still bounce.
		if _, err := e.s.GiveConsent(ctx, sess.ID, protocol.GrantView); err != nil {
			t.Fatal(err)
		}
		if got, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k1", Source: protocol.SourceLink, OS: "linux", Host: "pc-1"}); err != nil || got.State != StateActive {
			t.Errorf("JoinAgent(reconnect while active) = %s, %v; want active", got.State, err)
		}
		if _, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k2", Source: protocol.SourceLink, OS: "", Host: ""}); !errors.Is(err, ErrAgentBound) {
			t.Errorf("JoinAgent(other key while active) error = %v, want ErrAgentBound", err)
		}
		if _, _, err := e.s.EndSession(ctx, sess.ID, "done", ActorCustomer); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k1", Source: protocol.SourceLink, OS: "", Host: ""}); !errors.Is(err, ErrSessionEnded) {
			t.Errorf("JoinAgent(ended) error = %v, want ErrSessionEnded", err)
		}
		if _, err := e.s.JoinAgent(ctx, "nope", AgentJoin{KeyHash: "k1", Source: protocol.SourceLink, OS: "", Host: ""}); !errors.Is(err, ErrNotFound) {
			t.Errorf("JoinAgent(unknown) error = %v, want ErrNotFound", err)
		}
		assertKinds(t, e, sess.ID, EventCreated, EventAgentConnected, EventConsentGiven, EventEnded)
	})
}

func TestJoinAgentExpired(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "LATE01")
		e.clock.Advance(time.Hour) // expires_at == now: expired
		if _, err := e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k1", Source: protocol.SourceLink, OS: "", Host: ""}); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("JoinAgent(expired) error = %v, want ErrSessionEnded", err)
		}
		got, err := e.s.SessionByID(ctx, e.p.ID, sess.ID)
		if err != nil || got.State != StateEnded || got.EndReason != protocol.EndExpired || got.AgentKeyHash != "" {
			t.Errorf("after late join: %+v, %v; want ended/expired, unbound", got, err)
		}
	})
}

func TestJoinAgentConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sess := e.newSession(t, "RACE01")
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = e.s.JoinAgent(context.Background(), sess.ID, AgentJoin{KeyHash: NewID(), Source: protocol.SourceLink, OS: "", Host: ""})
			})
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ErrAgentBound):
				t.Errorf("JoinAgent error = %v, want nil or ErrAgentBound", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d agents joined, want exactly 1", wins)
		}
	})
}

func TestTransitions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// One session per starting state.
		inState := func(t *testing.T, st State) Session {
			t.Helper()
			sess := e.newSession(t, NewID()[:6])
			var err error
			if st == StateJoined || st == StateActive {
				if sess, err = e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceLink, OS: "", Host: ""}); err != nil {
					t.Fatal(err)
				}
			}
			if st == StateActive {
				if sess, err = e.s.GiveConsent(ctx, sess.ID, protocol.GrantView); err != nil {
					t.Fatal(err)
				}
			}
			if st == StateEnded {
				if sess, _, err = e.s.EndSession(ctx, sess.ID, "x", ActorSystem); err != nil {
					t.Fatal(err)
				}
			}
			return sess
		}
		give := func(level protocol.Grants) func(string) (Session, error) {
			return func(id string) (Session, error) { return e.s.GiveConsent(ctx, id, level) }
		}
		change := func(level protocol.Grants) func(string) (Session, error) {
			return func(id string) (Session, error) { return e.s.ChangeGrants(ctx, id, level) }
		}
		tests := []struct {
			name      string
			from      State
			do        func(id string) (Session, error)
			wantErr   error
			wantState State
			wantLevel protocol.Grants
		}{
			{"consent from waiting", StateWaiting, give(viewControl), ErrInvalidTransition, "", 0},
			{"consent from joined", StateJoined, give(viewControl), nil, StateActive, viewControl},
			{"consent twice", StateActive, give(viewControl), ErrInvalidTransition, "", 0},
			{"consent after end", StateEnded, give(protocol.GrantView), ErrSessionEnded, "", 0},
			{"consent bad level", StateJoined, give(protocol.GrantControl), ErrInvalidArgument, "", 0},
			{"control from waiting", StateWaiting, change(viewControl), ErrInvalidTransition, "", 0},
			{"control from joined", StateJoined, change(viewControl), ErrInvalidTransition, "", 0},
			{"control while active", StateActive, change(viewControl), nil, StateActive, viewControl},
			{"control after end", StateEnded, change(protocol.GrantView), ErrSessionEnded, "", 0},
			{"no grants", StateActive, change(0), ErrInvalidArgument, "", 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sess := inState(t, tt.from)
				e.clock.Advance(time.Second)
				got, err := tt.do(sess.ID)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					after, err := e.s.SessionByID(ctx, e.p.ID, sess.ID)
					if err != nil || after.State != tt.from || after.Grants != sess.Grants {
						t.Errorf("failed transition changed the session: %+v, %v", after, err)
					}
					return
				}
				if got.State != tt.wantState || got.Grants != tt.wantLevel {
					t.Errorf("got state %s grants %q, want %s %q", got.State, got.Grants, tt.wantState, tt.wantLevel)
				}
				if tt.from == StateJoined && (got.ActiveAt == nil || !got.ActiveAt.Equal(e.clock.Now())) {
					t.Errorf("ActiveAt = %v, want %v", got.ActiveAt, e.clock.Now())
				}
			})
		}
		if _, err := e.s.GiveConsent(ctx, "nope", protocol.GrantView); !errors.Is(err, ErrNotFound) {
			t.Errorf("GiveConsent(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

func TestEndSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "END001")
		e.clock.Advance(time.Minute)
		got, ended, err := e.s.EndSession(ctx, sess.ID, "customer stopped", ActorCustomer)
		if err != nil || !ended {
			t.Fatalf("EndSession() = %v, %v; want true, nil", ended, err)
		}
		if got.State != StateEnded || got.EndReason != "customer stopped" || got.EndedAt == nil || !got.EndedAt.Equal(e.clock.Now()) {
			t.Errorf("EndSession() = %+v", got)
		}
		e.clock.Advance(time.Minute)
		again, ended, err := e.s.EndSession(ctx, sess.ID, "twice", ActorSystem)
		if err != nil || ended || again.EndReason != "customer stopped" || !again.EndedAt.Equal(*got.EndedAt) {
			t.Errorf("EndSession(again) = %+v, %v, %v; want unchanged, false, nil", again, ended, err)
		}
		if _, _, err := e.s.EndSession(ctx, "nope", "x", ActorSystem); !errors.Is(err, ErrNotFound) {
			t.Errorf("EndSession(unknown) error = %v, want ErrNotFound", err)
		}
		evs := assertKinds(t, e, sess.ID, EventCreated, EventEnded)
		if evs[1].Actor != ActorCustomer || evs[1].Detail != "customer stopped" {
			t.Errorf("ended event = %+v", evs[1])
		}
	})
}

func TestInterruptActiveAndExpireDue(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mk := func(code string, ttl time.Duration, join, consent bool) Session {
			t.Helper()
			sess, err := e.s.CreateSession(ctx, NewSession{ProviderID: e.p.ID, DeskID: e.desk.ID, EngineerID: e.owner.ID,
				TokenHash: NewID(), Code: code, ExpiresAt: e.clock.Now().Add(ttl)})
			if err != nil {
				t.Fatal(err)
			}
			if join {
				if sess, err = e.s.JoinAgent(ctx, sess.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceLink, Instance: "i1"}); err != nil {
					t.Fatal(err)
				}
			}
			if consent {
				if sess, err = e.s.GiveConsent(ctx, sess.ID, protocol.GrantView); err != nil {
					t.Fatal(err)
				}
			}
			return sess
		}
		// An active session whose agent another instance holds.
		activeElsewhere := mk("A00003", time.Hour, false, false)
		if _, err := e.s.JoinAgent(ctx, activeElsewhere.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceLink, Instance: "i2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GiveConsent(ctx, activeElsewhere.ID, protocol.GrantView); err != nil {
			t.Fatal(err)
		}
		waitingDue := mk("W00001", time.Minute, false, false)
		waitingLater := mk("W00002", time.Hour, false, false)
		joinedDue := mk("J00001", time.Minute, true, false)
		activeDue := mk("A00001", time.Minute, true, true) // active sessions do not expire
		activeLater := mk("A00002", time.Hour, true, true)
		endedDue := mk("E00001", time.Minute, false, false)
		if _, _, err := e.s.EndSession(ctx, endedDue.ID, "done", ActorSystem); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)

		expired, err := e.s.ExpireDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		assertIDs(t, "ExpireDue", expired, waitingDue.ID, joinedDue.ID)
		for _, s := range expired {
			if s.State != StateEnded || s.EndReason != protocol.EndExpired || s.EndedAt == nil {
				t.Errorf("expired session = %+v", s)
			}
		}
		if again, err := e.s.ExpireDue(ctx); err != nil || len(again) != 0 {
			t.Errorf("ExpireDue again = %d sessions, %v; want none", len(again), err)
		}

		// The instance restarts: the agents it held are lost as of now,
		// and end as interrupted when they do not come back in time.
		lost, err := e.s.StartInstance(ctx, "i1")
		if err != nil {
			t.Fatal(err)
		}
		assertIDs(t, "StartInstance", lost, activeDue.ID, activeLater.ID)
		e.clock.Advance(31 * time.Second)
		interrupted := endLost(t, e, 30*time.Second)
		assertIDs(t, "EndLostAgent", interrupted, activeDue.ID, activeLater.ID)
		for _, s := range interrupted {
			if s.State != StateEnded || s.EndReason != protocol.EndInterrupted {
				t.Errorf("interrupted session = %+v", s)
			}
		}
		if got, err := e.s.SessionByID(ctx, e.p.ID, activeElsewhere.ID); err != nil || got.State != StateActive {
			t.Errorf("another instance's session = %s, %v; want active", got.State, err)
		}
		if got, err := e.s.SessionByID(ctx, e.p.ID, waitingLater.ID); err != nil || got.State != StateWaiting {
			t.Errorf("not yet due session = %s, %v; want waiting", got.State, err)
		}
		if got, err := e.s.SessionByID(ctx, e.p.ID, endedDue.ID); err != nil || got.EndReason != "done" {
			t.Errorf("already ended session reason = %q, %v; want done", got.EndReason, err)
		}
		evs := assertKinds(t, e, activeLater.ID, EventCreated, EventAgentConnected, EventConsentGiven, EventAgentLost, EventEnded)
		if evs[4].Actor != ActorSystem || evs[4].Detail != protocol.EndInterrupted {
			t.Errorf("interrupt event = %+v", evs[4])
		}
	})
}

func TestAddBytes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sess := e.newSession(t, "BYTES1")
		steps := []struct{ toViewer, toAgent int64 }{{1000, 10}, {1 << 40, 0}, {0, 5}}
		var wantV, wantA int64
		for _, st := range steps {
			if err := e.s.AddBytes(ctx, sess.ID, st.toViewer, st.toAgent); err != nil {
				t.Fatal(err)
			}
			wantV += st.toViewer
			wantA += st.toAgent
		}
		// Concurrent flushes add up.
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if err := e.s.AddBytes(ctx, sess.ID, 1, 2); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		wantV, wantA = wantV+10, wantA+20
		got, err := e.s.SessionByID(ctx, e.p.ID, sess.ID)
		if err != nil || got.BytesToViewer != wantV || got.BytesToAgent != wantA {
			t.Errorf("bytes = %d/%d, %v; want %d/%d", got.BytesToViewer, got.BytesToAgent, err, wantV, wantA)
		}
		if err := e.s.AddBytes(ctx, "nope", 1, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("AddBytes(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

// errAny marks a table case that wants some error other than the store's sentinels (a raw constraint).
var errAny = errors.New("any error")

func assertIDs(t *testing.T, what string, got []Session, want ...string) {
	t.Helper()
	ids := map[string]bool{}
	for _, s := range got {
		ids[s.ID] = true
	}
	if len(got) != len(want) {
		t.Fatalf("%s returned %d sessions, want %d", what, len(got), len(want))
	}
	for _, id := range want {
		if !ids[id] {
			t.Errorf("%s is missing session %s", what, id)
		}
	}
}

func TestAgentLostAndRejoin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		join := func(s Session, instance string) Session {
			t.Helper()
			got, err := e.s.JoinAgent(ctx, s.ID, AgentJoin{KeyHash: "k", Source: protocol.SourceLink, Instance: instance})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		back := join(e.newSession(t, "LOST01"), "i1")
		gone := join(e.newSession(t, "LOST02"), "i1")
		active := join(e.newSession(t, "LOST03"), "i1")
		moved := join(e.newSession(t, "LOST04"), "i2")
		if _, err := e.s.GiveConsent(ctx, active.ID, protocol.GrantView); err != nil {
			t.Fatal(err)
		}
		for _, s := range []Session{back, gone, active, moved} {
			if err := e.s.MarkAgentLost(ctx, s.ID, "i1"); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Advance(10 * time.Second)
		// Marking twice keeps the first time.
		if err := e.s.MarkAgentLost(ctx, gone.ID, "i1"); err != nil {
			t.Fatal(err)
		}
		// The agent comes back on another instance: the session forgets the loss.
		if got := join(back, "i2"); got.AgentLostAt != nil || got.AgentInstance != "i2" || got.State != StateJoined {
			t.Errorf("rejoined session = %+v", got)
		}
		if ended := endLost(t, e, 30*time.Second); len(ended) != 0 {
			t.Fatalf("ended before the grace: %v", ended)
		}
		e.clock.Advance(20 * time.Second)
		ended := endLost(t, e, 30*time.Second)
		// The agent that had moved to i2 before i1 noticed it leave was never lost.
		assertIDs(t, "EndLostAgent", ended, gone.ID, active.ID)
		for _, s := range ended {
			want := map[string]string{gone.ID: protocol.EndAgentLost, active.ID: protocol.EndInterrupted}[s.ID]
			if s.EndReason != want {
				t.Errorf("session %s ended with %q, want %q", s.Code, s.EndReason, want)
			}
		}
		for _, s := range []Session{back, moved} {
			if got, err := e.s.SessionByID(ctx, e.p.ID, s.ID); err != nil || got.State == StateEnded {
				t.Errorf("session %s = %s, %v; want it live", s.Code, got.State, err)
			}
		}
		assertKinds(t, e, gone.ID, EventCreated, EventAgentConnected, EventAgentLost, EventEnded)
	})
}

// TestDeadInstanceLosesItsAgents: an instance whose heartbeat stops (a
// crash) or that says it stopped has its agents marked lost, as of its last
// heartbeat, by whichever instance sweeps.
func TestDeadInstanceLosesItsAgents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, in := range []string{"i1", "i2", "i3"} {
			if _, err := e.s.StartInstance(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		mk := func(code, instance string) Session {
			s, err := e.s.JoinAgent(ctx, e.newSession(t, code).ID, AgentJoin{KeyHash: "k", Source: protocol.SourceLink, Instance: instance})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		crashed, alive, stopped := mk("DEAD01", "i1"), mk("DEAD02", "i2"), mk("DEAD03", "i3")
		crashedAt := e.s.now()
		e.clock.Advance(5 * time.Second)
		if err := e.s.Heartbeat(ctx, "i2"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.StopInstance(ctx, "i3"); err != nil {
			t.Fatal(err)
		}
		if lost, err := e.s.LoseDeadInstances(ctx, 10*time.Second); err != nil || len(lost) != 0 {
			t.Fatalf("stopped instance's agents lost twice, or a live one's: %v %v", lost, err)
		}
		e.clock.Advance(6 * time.Second)
		if err := e.s.Heartbeat(ctx, "i2"); err != nil {
			t.Fatal(err)
		}
		lost, err := e.s.LoseDeadInstances(ctx, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		assertIDs(t, "LoseDeadInstances", lost, crashed.ID)
		if !lost[0].AgentLostAt.Equal(crashedAt) {
			t.Errorf("lost at %v, want the last heartbeat %v", lost[0].AgentLostAt, crashedAt)
		}
		for _, s := range []Session{alive, stopped} {
			got, err := e.s.SessionByID(ctx, e.p.ID, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (got.AgentLostAt != nil) != (s.ID == stopped.ID) {
				t.Errorf("session %s lost at %v", s.Code, got.AgentLostAt)
			}
		}
	})
}

// endLost ends what the sweeper would: every session whose agent is lost
// for longer than grace.
func endLost(t *testing.T, e *env, grace time.Duration) []Session {
	t.Helper()
	ctx := context.Background()
	lost, err := e.s.LostAgents(ctx, grace)
	if err != nil {
		t.Fatal(err)
	}
	var out []Session
	for _, s := range lost {
		ended, ok, err := e.s.EndLostAgent(ctx, s, grace)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, ended)
		}
	}
	return out
}
