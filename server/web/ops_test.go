package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/hub"
	"tether/server/live"
	"tether/server/metrics"
	"tether/server/protocol"
)

// outageHub is an in-process hub whose bus can be taken away.
type outageHub struct {
	*hub.Local
	down atomic.Bool
}

func (h *outageHub) Ready() error {
	if h.down.Load() {
		return hub.ErrUnavailable
	}
	return nil
}

// withHub rebuilds the harness's live service on h.
func withHub(h hub.Hub) func(*Deps) {
	return func(d *Deps) {
		d.Live = live.New(d.Store.(live.Store), h, live.Config{Instance: "test", P2P: true}, d.Log)
	}
}

// TestBusOutageRefusesNewSessions: while the bus is away, new sessions,
// codes and connections are refused with a message saying why, /readyz
// says so, and everything works again once the bus is back, without a
// restart.
func TestBusOutageRefusesNewSessions(t *testing.T) {
	hb := &outageHub{Local: hub.NewLocal()}
	h := newHarnessWith(t, nil, withHub(hb))
	eng := h.signedUp("Acme", "erin@acme.test")
	_, token := h.newSession(eng, "Before")

	hb.down.Store(true)
	if code, body := h.get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "bus unavailable") {
		t.Fatalf("readyz during the outage: %d %q", code, body)
	}
	if code, _ := h.get("/healthz"); code != http.StatusOK {
		t.Fatalf("healthz during the outage: %d", code)
	}
	eng.get("/console")
	code, body, _ := eng.post("/sessions", url.Values{"customer": {"During"}})
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "lost its connection to the other servers") {
		t.Fatalf("new session during the outage: %d %s", code, body)
	}
	anon := h.browser()
	anon.get("/")
	if code, body, _ := anon.post("/code", url.Values{"code": {"ABCDEF"}}); code != http.StatusServiceUnavailable || !strings.Contains(body, "reconnects by itself") {
		t.Fatalf("code during the outage: %d", code)
	}
	// An agent is asked to try again later (it reconnects by itself), not
	// told that its session ended.
	agent := h.wsDial(nil, "/ws/agent")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := agent.Read(ctx); websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
		t.Fatalf("agent during the outage: %v", err)
	}

	hb.down.Store(false)
	if code, _ := h.get("/readyz"); code != http.StatusOK {
		t.Fatalf("readyz after the outage: %d", code)
	}
	h.newSession(eng, "After")
	agent = h.wsDial(nil, "/ws/agent")
	send(t, agent, protocol.SigAgentHello, hello(token))
	expect(t, agent, protocol.SigWelcome, nil)
}

// TestDrainHandsConnectionsOver: a stopping instance closes its websockets
// with "going away" (clients reconnect elsewhere), answers new requests
// with 503 for the load balancer to retry, and reports not ready.
func TestDrainHandsConnectionsOver(t *testing.T) {
	h := newHarness(t)
	eng := h.signedUp("Acme", "erin@acme.test")
	console := h.wsDial(eng, "/ws/console")
	drained := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.srv.Drain(ctx)
		close(drained)
	}()
	// The console's snapshot may come first; then the close.
	if st := readClose(t, console, 5*time.Second); st != websocket.StatusGoingAway {
		t.Fatalf("console while draining: closed with %v, want going away", st)
	}
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("Drain did not return when its connections had closed")
	}
	if code, body, _ := eng.get("/console"); code != http.StatusServiceUnavailable || !strings.Contains(body, "restarting") {
		t.Fatalf("a page while draining: %d", code)
	}
	if code, _ := h.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz while draining: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	for _, tc := range []struct {
		name, token, auth string
		want              int
	}{
		{"loopback without a token", "", "", http.StatusOK},
		{"token required, none given", "s3cret-token", "", http.StatusUnauthorized},
		{"token required, wrong one", "s3cret-token", "Bearer nope", http.StatusUnauthorized},
		{"token required and given", "s3cret-token", "Bearer s3cret-token", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mx *metrics.Metrics
			h := newHarnessWith(t, nil, func(d *Deps) {
				lv := d.Live
				mx = metrics.New(metrics.Sources{Sessions: d.Store.(interface {
					CountByState(context.Context) (map[string]int, error)
				}).CountByState, Hub: lv.Hub(), Relay: lv.RelayBytes, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Name: "test"})
				d.Metrics, d.MetricsToken = mx, tc.token
			})
			eng := h.signedUp("Acme", "erin@acme.test")
			h.newSession(eng, "Maria")
			h.wsDial(eng, "/ws/console")
			// A refused attempt is counted.
			anon := h.browser()
			anon.get("/")
			for range 12 {
				anon.post("/code", url.Values{"code": {"ABCDEF"}})
			}
			req, _ := http.NewRequest(http.MethodGet, h.ts.URL+"/metrics", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want != http.StatusOK {
				return
			}
			for _, want := range []string{
				`tether_sessions{state="waiting"} 1`,
				`tether_connections{role="console"} 1`,
				`tether_relay_bytes_total{direction="to_viewer"} 0`,
				`tether_rate_limit_refusals_total{instance_name="test",limit="code attempt"}`,
				`go_goroutines`,
			} {
				if !strings.Contains(string(body), want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}

// get fetches path without cookies.
func (h *harness) get(path string) (int, string) {
	h.t.Helper()
	resp, err := http.Get(h.ts.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		h.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
