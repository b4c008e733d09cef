package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"
)

// healthz answers while the process serves requests at all: a liveness
// probe that restarts a wedged process, nothing more.
func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// readyz answers 200 when this instance should get traffic: the database
// answers, the hub can route (its message bus is connected) and the
// instance is not stopping. A load balancer takes it out of rotation
// otherwise.
func (s *Server) readyz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if s.drain.draining() {
		return c.String(http.StatusServiceUnavailable, "stopping: connections are moving to other instances\n")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if _, err := s.Store.HasProvider(ctx); err != nil {
		s.Log.Warn("not ready: database", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	if err := s.Live.Hub().Ready(); err != nil {
		return c.String(http.StatusServiceUnavailable, err.Error()+"\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// metrics serves Prometheus metrics to a scraper holding MetricsToken, or,
// without a token configured, to loopback clients only: the numbers say
// how busy a help desk is, which is nobody else's business.
func (s *Server) metrics(c echo.Context) error {
	if s.Metrics == nil {
		return echo.ErrNotFound
	}
	if s.MetricsToken != "" {
		got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.MetricsToken)) != 1 {
			return &httpError{status: http.StatusUnauthorized, heading: "Not allowed", message: "This address needs the metrics token."}
		}
	} else if a, err := netip.ParseAddr(c.RealIP()); err != nil || !a.Unmap().IsLoopback() {
		return &httpError{status: http.StatusForbidden, heading: "Not allowed", message: "Metrics are served to this machine only unless a metrics token is set."}
	}
	s.Metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}

// drainer is this process's stop signal for its own open websockets: they
// are connections of this process, so they are counted here.
type drainer struct {
	once sync.Once
	ch   chan struct{}
	// open counts this instance's websockets; Drain watches it reach zero
	// (a WaitGroup may not grow while someone waits on it).
	open atomic.Int64
}

func newDrainer() drainer { return drainer{ch: make(chan struct{})} }

func (d *drainer) draining() bool {
	select {
	case <-d.ch:
		return true
	default:
		return false
	}
}

// refuseWhileDraining answers 503 to new requests while the instance stops,
// so that a load balancer retries them on another instance (nginx:
// proxy_next_upstream http_503).
func (s *Server) refuseWhileDraining(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.drain.draining() && c.Path() != "/healthz" && c.Path() != "/readyz" && c.Path() != "/metrics" {
			c.Response().Header().Set("Retry-After", "1")
			c.Response().Header().Set("Connection", "close")
			return &httpError{status: http.StatusServiceUnavailable, heading: "Restarting",
				message: "This server is restarting. Reload the page in a moment."}
		}
		return next(c)
	}
}

// Drain hands this instance's connections over before it stops: new
// requests are refused with 503, and every open websocket is closed with
// "going away", on which agents, viewers and pages reconnect — through the
// load balancer, to another instance — without their sessions ending. It
// returns when all are closed or ctx ends.
func (s *Server) Drain(ctx context.Context) {
	s.drain.once.Do(func() { close(s.drain.ch) })
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for s.drain.open.Load() > 0 {
		select {
		case <-t.C:
		case <-ctx.Done():
			s.Log.Warn("drain: connections still open at the deadline", "open", s.drain.open.Load())
			return
		}
	}
}

// closeOnDrain closes conn with StatusGoingAway when the instance drains,
// until ctx (the request) ends.
func (s *Server) closeOnDrain(ctx context.Context, conn *websocket.Conn) {
	select {
	case <-s.drain.ch:
		conn.Close(websocket.StatusGoingAway, "server restarting: reconnect")
	case <-ctx.Done():
	}
}

// liveReady refuses to start anything new while the hub cannot route (the
// message bus is away): a session begun now could not meet its other end.
// The instance recovers by itself when the bus returns.
func (s *Server) liveReady() error {
	if err := s.Live.Hub().Ready(); err != nil {
		return &httpError{status: http.StatusServiceUnavailable, heading: "Temporarily unavailable",
			message: "Live sessions are unavailable for a moment: this server lost its connection to the other servers. It reconnects by itself; try again in a minute.", cause: err}
	}
	return nil
}

// retryLater closes a websocket that cannot be served while the hub cannot
// route; its client reconnects with backoff and finds a ready instance.
func (s *Server) retryLater(conn *websocket.Conn) bool {
	if err := s.Live.Hub().Ready(); err != nil {
		s.Log.Warn("websocket refused until the message bus is back", "err", err)
		conn.Close(websocket.StatusTryAgainLater, "server temporarily unavailable, retrying")
		return true
	}
	return false
}
