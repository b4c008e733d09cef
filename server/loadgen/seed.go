//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"tether/server/auth"
	"tether/server/store"
)

// The benchmark seeds the database through tether/server/store, as the
// server's own handlers do, rather than through the sign-in and
// session-creation pages: those pages (bcrypt, CSRF, templates) are not
// what this benchmark measures. What it skips is the console's notice of a
// newly created session; everything after creation goes through the
// instances.

// engineer is a signed-in engineer of the provider, with a console open.
type engineer struct {
	i      int
	id     string
	cookie string // the sign-in, as the browser sends it
	peer   *peer
	inst   *instance // where the console and the viewers connect
	cons   *console
}

// provider is the seeded provider and its engineers.
type provider struct {
	st        *store.Store
	id, desk  string
	engineers []*engineer
}

func seedProvider(ctx context.Context, st *store.Store, engineers int, engInstance func(int) *instance) (*provider, error) {
	p, owner, err := st.CreateProviderWithOwner(ctx, "Load Test Support", "Load Owner", "owner@load.test", "not a usable hash")
	if err != nil {
		return nil, fmt.Errorf("create provider: %w", err)
	}
	desk, err := st.DefaultDesk(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	pr := &provider{st: st, id: p.ID, desk: desk.ID}
	for i := range engineers {
		u := owner
		if i > 0 {
			u, err = st.CreateUser(ctx, store.User{ProviderID: p.ID, Email: fmt.Sprintf("engineer%d@load.test", i),
				Name: fmt.Sprintf("Engineer %d", i), PasswordHash: "not a usable hash", Role: store.RoleEngineer}, desk.ID)
			if err != nil {
				return nil, fmt.Errorf("create engineer: %w", err)
			}
		}
		tok := auth.NewToken()
		if err := st.CreateLogin(ctx, auth.HashToken(tok), u.ID, time.Now().Add(24*time.Hour)); err != nil {
			return nil, err
		}
		pr.engineers = append(pr.engineers, &engineer{i: i, id: u.ID, cookie: "tether_login=" + tok,
			peer: newPeer(engineerAddr(i)), inst: engInstance(i)})
	}
	return pr, nil
}

// invitation is a seeded session: its id and the token in its link.
type invitation struct {
	id, token string
	eng       *engineer
}

// invite creates n waiting sessions, shared out among the engineers from
// engineer first on, with 8 at a time.
func (p *provider) invite(ctx context.Context, n, first int) ([]invitation, error) {
	out := make([]invitation, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = p.createSession(ctx, p.engineers[(first+i)%len(p.engineers)], first+i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

func (p *provider) createSession(ctx context.Context, eng *engineer, i int) (invitation, error) {
	tok := auth.NewToken()
	for range 8 {
		s, err := p.st.CreateSession(ctx, store.NewSession{
			ProviderID: p.id, DeskID: p.desk, EngineerID: eng.id, CustomerName: fmt.Sprintf("Customer %d", i),
			TokenHash: auth.HashToken(tok), Code: auth.NewCode(), ExpiresAt: time.Now().Add(24 * time.Hour),
		})
		if errors.Is(err, store.ErrCodeTaken) {
			continue
		}
		if err != nil {
			return invitation{}, fmt.Errorf("create session: %w", err)
		}
		return invitation{id: s.ID, token: tok, eng: eng}, nil
	}
	return invitation{}, errors.New("create session: no free code")
}
