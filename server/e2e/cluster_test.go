//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/uptrace/bun/driver/pgdriver"

	"tether/agent/capture/xvfbtest"
	"tether/server/protocol"
)

// cluster is two Tether instances on one PostgreSQL database and one
// message bus, behind nginx configured by docs/deploy/nginx.conf.
type cluster struct {
	a, b *server
	lb   string // the load balancer's URL: every instance's base URL
	db   string // the database's DSN
}

// TestSessionAcrossTwoInstances: the customer's page and agent reach
// instance A (through the load balancer), the engineer's console and viewer
// instance B; signaling, presence, the relay and the console's live updates
// cross the bus. Then A is killed mid-session (or stopped, draining): the
// agent reconnects through the load balancer to B and the session goes on
// (new keys, same session, control works). Finally the customer's computer goes away for good: the
// session ends as interrupted after the rejoin grace, its record intact.
func TestSessionAcrossTwoInstances(t *testing.T) {
	kill := func(s *server) { s.cmd.Process.Kill(); s.cmd.Wait() }
	stop := func(s *server) { s.cmd.Process.Signal(syscall.SIGTERM); s.cmd.Wait() }
	for _, tc := range []struct {
		name string
		env  []string
		path string
		down func(*server) // how instance A goes
	}{
		{"peer to peer, A killed", nil, protocol.PathP2P, kill},
		{"relay, A killed", []string{"TETHER_P2P=false"}, protocol.PathRelay, kill},
		// A deploy: A drains, hands its connections over and exits.
		{"relay, A stopped", []string{"TETHER_P2P=false"}, protocol.PathRelay, stop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, c := newClusterWorld(t, tc.env...)
			link, _ := w.newSession(t, "Cora Cluster")
			if !strings.HasPrefix(link, c.lb+"/") {
				t.Fatalf("invitation %q does not use the load balancer's address %s", link, c.lb)
			}
			cust := newBrowser(t)
			do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
			agent := w.downloadAndRun(t, cust)
			agent.approve(t, "control")
			waitJS(t, w.engineer, 20*time.Second, "first frame across instances", `Number(document.getElementById("viewer").dataset.frames) > 0`)
			if got := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.path`); got != tc.path {
				t.Fatalf("path %q, want %q", got, tc.path)
			}
			w.checkPixels(t)
			w.controlAndCheck(t)
			code := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.code`)
			id := c.sessionID(t, "Cora Cluster")
			if got := c.agentInstance(t, id); got != "a" {
				t.Fatalf("the agent is held by instance %q, want a", got)
			}
			shot(t, w.engineer, "cluster-viewer-"+tc.path)

			frames := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
			killedAt := time.Now()
			tc.down(c.a)
			// A new key exchange, then the new stream's first frame, show
			// the agent reached the viewer again through B.
			waitJS(t, w.engineer, 30*time.Second, "the session back after instance A died",
				fmt.Sprintf(`(() => { const v = document.getElementById("viewer").dataset; return v.state === "streaming" && v.code !== "" && v.code !== %q && Number(v.frames) > %d; })()`, code, frames))
			t.Logf("instance A gone: the screen was back after %v", time.Since(killedAt).Round(10*time.Millisecond))
			if got := c.agentInstance(t, id); got != "b" {
				t.Fatalf("after A died the agent is held by %q, want b", got)
			}
			w.waitPixels(t, 15*time.Second, "the screen after failover")
			w.controlAndCheck(t)
			if got := c.state(t, id); got != "active" {
				t.Fatalf("session %s after failover, want active", got)
			}

			// The customer's computer goes away too: after the rejoin grace
			// the consent lapses, and after another the session ends, on the
			// record and in the viewer.
			agent.agent.Process.Kill()
			waitJS(t, w.engineer, 30*time.Second, "viewer shows the end", `document.getElementById("viewer").dataset.state === "ended"`)
			if got := c.state(t, id) + " / " + c.endReason(t, id); got != "ended / "+protocol.EndAgentLost {
				t.Fatalf("session %s, want ended / %s", got, protocol.EndAgentLost)
			}
			kinds := c.eventKinds(t, id)
			want := []string{"created", "agent_connected", "consent_given", "agent_reconnected", "agent_lost", "consent_lapsed", "ended"}
			if !containsInOrder(kinds, want) {
				t.Fatalf("events %v, want %v in this order", kinds, want)
			}
		})
	}
}

// newClusterWorld starts the bus, PostgreSQL database, instances A and B
// and nginx, and signs the engineer up on B.
func newClusterWorld(t *testing.T, env ...string) (*world, *cluster) {
	requireTools(t)
	if _, err := exec.LookPath("nginx"); err != nil {
		t.Fatal("nginx is needed for the load balancer (apt-get install nginx-light)")
	}
	dsn := freshDatabase(t)
	w := &world{sw: screenW, sh: screenH, a: build(t)}
	w.display = xvfbtest.Start(t, w.sw, w.sh)
	w.win = startTestWindow(t, w.a.testwin, w.display)

	password := randomHex(t, 16)
	busPort := freePort(t)
	bus := exec.Command(w.a.server, "bus", "-listen", "127.0.0.1:"+strconv.Itoa(busPort), "-password", password)
	bus.Stdout = &prefixWriter{t: t, prefix: "bus: "}
	bus.Stderr = &prefixWriter{t: t, prefix: "bus: "}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Process.Kill(); bus.Wait() })

	c := &cluster{db: dsn}
	portA, portB, lbPort := freePort(t), freePort(t), freePort(t)
	c.lb = "http://127.0.0.1:" + strconv.Itoa(lbPort)
	common := append([]string{
		"TETHER_DATABASE=" + dsn,
		"TETHER_BUS=nats://tether:" + password + "@127.0.0.1:" + strconv.Itoa(busPort),
		"TETHER_SECRET=" + randomHex(t, 32),
		"TETHER_BASE_URL=" + c.lb,
		"TETHER_TRUSTED_PROXIES=127.0.0.1",
		"TETHER_REJOIN_GRACE=5s",
	}, env...)
	c.a = startServer(t, w.a, append(common, "TETHER_INSTANCE=a", "TETHER_LISTEN=127.0.0.1:"+strconv.Itoa(portA))...)
	c.b = startServer(t, w.a, append(common, "TETHER_INSTANCE=b", "TETHER_LISTEN=127.0.0.1:"+strconv.Itoa(portB))...)
	startNginx(t, lbPort, portA, portB)
	// The engineer works on B directly; B's one-time setup link is B's own.
	c.b.setup = strings.Replace(c.b.setup, c.lb, c.b.url, 1)
	w.srv = c.b
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	return w, c
}

// startNginx runs docs/deploy/nginx.conf in front of A and B on lbPort,
// with the TLS lines removed and B made the backup, so that the customer
// deterministically lands on A while it lives.
func startNginx(t *testing.T, lbPort, portA, portB int) {
	// Tests run in their package's folder, server/e2e.
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	if i, j := strings.Index(conf, "# tls-begin"), strings.Index(conf, "# tls-end"); i >= 0 && j > i {
		conf = conf[:i] + "listen 127.0.0.1:" + strconv.Itoa(lbPort) + ";\n" + conf[j+len("# tls-end"):]
	}
	for old, repl := range map[string]string{
		"server 10.0.0.11:8080":                              "server 127.0.0.1:" + strconv.Itoa(portA),
		"server 10.0.0.12:8080 max_fails=1 fail_timeout=5s;": "server 127.0.0.1:" + strconv.Itoa(portB) + " backup;",
		"worker_processes auto;":                             "worker_processes 1;\ndaemon off;\nmaster_process off;\npid nginx.pid;\nerror_log stderr warn;",
		"http {":                                             "http {\n    access_log off;\n    client_body_temp_path tmp; proxy_temp_path tmp;",
	} {
		if !strings.Contains(conf, old) {
			t.Fatalf("docs/deploy/nginx.conf no longer has %q", old)
		}
		conf = strings.Replace(conf, old, repl, 1)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nginx", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdout = &prefixWriter{t: t, prefix: "nginx: "}
	cmd.Stderr = &prefixWriter{t: t, prefix: "nginx: "}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(lbPort) + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(end) {
			t.Fatal("nginx did not start")
		}
	}
}

// freshDatabase creates an empty database in the test PostgreSQL cluster
// (TETHER_TEST_POSTGRES, which .ci/run provides) and returns its DSN.
func freshDatabase(t *testing.T) string {
	base := os.Getenv("TETHER_TEST_POSTGRES")
	if base == "" {
		t.Skip("TETHER_TEST_POSTGRES is not set: several instances need PostgreSQL (.ci/run starts one)")
	}
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base)))
	defer db.Close()
	name := "tether_e2e_" + randomHex(t, 6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func (c *cluster) query(t *testing.T, q string, args ...any) *sql.Rows {
	t.Helper()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(c.db)))
	t.Cleanup(func() { db.Close() })
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rows.Close() })
	return rows
}

func (c *cluster) one(t *testing.T, q string, args ...any) string {
	t.Helper()
	rows := c.query(t, q, args...)
	if !rows.Next() {
		t.Fatalf("no row for %s", q)
	}
	var s string
	if err := rows.Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (c *cluster) sessionID(t *testing.T, customer string) string {
	return c.one(t, "SELECT id FROM support_sessions WHERE customer_name = $1", customer)
}

func (c *cluster) agentInstance(t *testing.T, id string) string {
	return c.one(t, "SELECT agent_instance FROM support_sessions WHERE id = $1", id)
}

func (c *cluster) state(t *testing.T, id string) string {
	return c.one(t, "SELECT state FROM support_sessions WHERE id = $1", id)
}

func (c *cluster) endReason(t *testing.T, id string) string {
	return c.one(t, "SELECT end_reason FROM support_sessions WHERE id = $1", id)
}

func (c *cluster) eventKinds(t *testing.T, id string) []string {
	rows := c.query(t, "SELECT kind FROM session_events WHERE session_id = $1 ORDER BY seq", id)
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// containsInOrder reports whether want appears in got in order, perhaps
// with other items between.
func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
