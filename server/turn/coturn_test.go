package turn

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"tether/server/turn/restcred"
)

// TestCoturnAcceptsTetherCredentials: a real coturn configured as
// docs/deploy.md says (use-auth-secret, static-auth-secret) allocates with
// the credentials Tether hands out for it (-turn-urls, -turn-secret) and
// refuses expired ones. It runs where coturn is installed (apt-get install
// coturn), and fails instead of skipping with TETHER_REQUIRE_COTURN=1.
func TestCoturnAcceptsTetherCredentials(t *testing.T) {
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		if os.Getenv("TETHER_REQUIRE_COTURN") != "" {
			t.Fatal("coturn's turnserver is required")
		}
		t.Skip("coturn is not installed (apt-get install coturn)")
	}
	const secret = "the coturn static-auth-secret"
	port := freeUDPPort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "-n", "--no-cli", "--no-tls", "--no-dtls", "--log-file=stdout", "--simple-log",
		"--pidfile="+filepath.Join(dir, "turnserver.pid"), "--userdb="+filepath.Join(dir, "turndb"),
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port="+strconv.Itoa(port),
		"--use-auth-secret", "--static-auth-secret="+secret, "--realm=tether.test",
		"--min-port=49152", "--max-port=65535")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	iss := &restcred.Issuer{TURN: []string{"turn:" + addr + "?transport=udp"}, Secret: []byte(secret)}
	ice := iss.ICEServers("sess1")[0]
	// coturn takes a moment to start; a refused or unanswered allocation
	// before then is retried.
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := clientAt(t, addr, "udp", ice.Username, ice.Credential).Allocate()
		if err == nil {
			a.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("coturn refused Tether's credentials: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	expired, cred := restcred.Mint([]byte(secret), "sess1", time.Now().Add(-time.Minute))
	if a, err := clientAt(t, addr, "udp", expired, cred).Allocate(); err == nil {
		a.Close()
		t.Fatal("coturn allocated with expired credentials")
	}
	if a, err := clientAt(t, addr, "udp", ice.Username, restcred.Password([]byte("another secret"), ice.Username)).Allocate(); err == nil {
		a.Close()
		t.Fatal("coturn allocated with a credential of another secret")
	}
}

// freeUDPPort returns a UDP and TCP port free on loopback right now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	udp, tcp, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	defer tcp.Close()
	return udp.LocalAddr().(*net.UDPAddr).Port
}
