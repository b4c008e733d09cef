package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"tether/server/auth"
	"tether/server/store"
)

// startLoginFor signs a browser in as u without the form, for users made
// directly in the store.
func (s *Server) startLoginFor(b *browser, u store.User) error {
	tok := auth.NewToken()
	if err := s.Store.CreateLogin(b.h.t.Context(), auth.HashToken(tok), u.ID, s.Now().Add(time.Hour)); err != nil {
		return err
	}
	base, _ := url.Parse(b.h.ts.URL)
	b.c.Jar.SetCookies(base, []*http.Cookie{{Name: loginCookie, Value: tok, Path: "/"}})
	return nil
}

// userByEmail is the one account with this email (tests make one provider per harness).
func userByEmail(st *store.Store, email string) (store.User, error) {
	users, err := st.UsersByEmail(context.Background(), email)
	if err != nil {
		return store.User{}, err
	}
	if len(users) != 1 {
		return store.User{}, fmt.Errorf("%d accounts with %s: %w", len(users), email, store.ErrNotFound)
	}
	return users[0], nil
}
