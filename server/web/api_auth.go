package web

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/store"
)

// apiTokenPrefix starts every API token, so that secret scanners (and people) recognise one.
const apiTokenPrefix = "tth_"

// rateAPI is what one API token may do: 60 requests at once, then 10 a second.
var rateAPI = store.Rate{Every: 100 * time.Millisecond, Burst: 60}

// newAPIToken makes a token: the prefix and 32 random bytes in lowercase base32 (256 bits).
func newAPIToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
	return apiTokenPrefix + strings.ToLower(b32.EncodeToString(b[:]))
}

// apiClient is the provider an API request acts for, and the token it came with.
type apiClient struct {
	Token    store.APIToken
	Provider store.Provider
}

func apiError(status int, heading, message string) error {
	return &httpError{status: status, heading: heading, message: message}
}

// apiAuth wraps an API handler: the request must carry "Authorization: Bearer tth_…" with a token
// that is not revoked. The token is looked up in the database on every request, so a revocation holds
// on every instance at once. Each token has its own rate limit.
func (s *Server) apiAuth(h func(echo.Context, apiClient) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, tok, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tether"`)
			return apiError(http.StatusUnauthorized, "Unauthorized", "Send your API token as \"Authorization: Bearer tth_…\".")
		}
		ctx := c.Request().Context()
		t, err := s.Store.APITokenByHash(ctx, auth.HashToken(tok))
		if errors.Is(err, store.ErrNotFound) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tether", error="invalid_token"`)
			return apiError(http.StatusUnauthorized, "Unauthorized", "This API token is not valid: it is wrong or has been revoked.")
		}
		if err != nil {
			return err
		}
		p, err := s.Store.ProviderByID(ctx, t.ProviderID)
		if err != nil {
			return err
		}
		if p.Disabled() {
			return apiError(http.StatusForbidden, "Account closed", p.Name+"'s account on this server is disabled. Ask the operator of this server.")
		}
		if spent, err := s.spend(c, "api", budget{"api:" + t.ID, rateAPI}); err != nil {
			return err
		} else if spent != nil {
			return apiError(http.StatusTooManyRequests, "Too many requests",
				"This token made too many requests. Wait "+c.Response().Header().Get("Retry-After")+" seconds and try again.")
		}
		if err := s.Store.TouchAPIToken(ctx, t.ID); err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return h(c, apiClient{Token: t, Provider: p})
	}
}
