//go:build linux

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// artifacts are the real programs the tests run, built once per test binary.
type artifacts struct {
	server, testwin, testwinExe, buildDir string
	// sbsprobe is the side-by-side benchmark's probe window.
	sbsprobe string
}

var (
	buildOnce sync.Once
	built     artifacts
	buildErr  error
)

// TestMain runs the tests, then removes what was made once for all of
// them (the build folder, the Wine prefix).
func TestMain(m *testing.M) {
	defer func() {
		atExitMu.Lock()
		defer atExitMu.Unlock()
		for i := len(atExit) - 1; i >= 0; i-- {
			atExit[i]()
		}
	}()
	m.Run()
}

var (
	atExitMu sync.Mutex
	atExit   []func()
)

// removeAtExit removes dir when the test binary is done with it.
func removeAtExit(dir string) {
	atExitMu.Lock()
	defer atExitMu.Unlock()
	atExit = append(atExit, func() { os.RemoveAll(dir) })
}

// requireTools skips (or, with TETHER_REQUIRE_E2E=1 as in CI, fails) when a
// program the end-to-end tests need is missing.
func requireTools(t testing.TB) {
	t.Helper()
	requireTool(t, "Xvfb", "xvfb")
	requireTool(t, "chromium", "chromium")
}

// requireTool returns the path of a program, looked up on PATH and then at
// the other places given; when it is missing the test is skipped, or fails
// with TETHER_REQUIRE_E2E=1 as in CI. pkg is the Debian package to install.
func requireTool(t testing.TB, name, pkg string, elsewhere ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	for _, p := range elsewhere {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv("TETHER_REQUIRE_E2E") != "" {
		t.Fatalf("%s is required for the end-to-end tests: %v", name, err)
	}
	t.Skipf("end-to-end tests need %s (apt-get install %s); set TETHER_REQUIRE_E2E=1 to fail instead", name, pkg)
	return ""
}

// build compiles the server, the viewer, the linux/amd64 and windows/amd64
// agents and both builds of the test window into a temporary folder, the
// way `go tool task build` does.
func build(t testing.TB) artifacts {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tether-e2e-build")
		if err != nil {
			buildErr = err
			return
		}
		removeAtExit(dir)
		root, err := filepath.Abs("../..")
		if err != nil {
			buildErr = err
			return
		}
		built = artifacts{
			server:     filepath.Join(dir, "tether"),
			testwin:    filepath.Join(dir, "testwin"),
			testwinExe: filepath.Join(dir, "testwin.exe"),
			buildDir:   filepath.Join(dir, "build"),
			sbsprobe:   filepath.Join(dir, "sbsprobe"),
		}
		steps := []struct {
			env  []string
			out  string
			pkg  string
			opts []string
		}{
			{nil, built.server, "./server", nil},
			{nil, built.testwin, "./server/e2e/testwin", nil},
			{nil, built.sbsprobe, "./server/e2e/sbsprobe", nil},
			{[]string{"GOOS=js", "GOARCH=wasm"}, filepath.Join(built.buildDir, "viewer.wasm"), "./wasm", nil},
			{[]string{"GOOS=linux", "GOARCH=amd64"}, filepath.Join(built.buildDir, "agents", "tether-agent-linux-amd64"), "./agent", []string{"-ldflags=-s -w"}},
			{[]string{"GOOS=windows", "GOARCH=amd64"}, built.testwinExe, "./server/e2e/testwin", nil},
			{[]string{"GOOS=windows", "GOARCH=amd64"}, filepath.Join(built.buildDir, "agents", "tether-agent-windows-amd64.exe"), "./agent", []string{"-ldflags=-s -w"}},
		}
		for _, s := range steps {
			args := append([]string{"build", "-trimpath", "-o", s.out}, s.opts...)
			cmd := exec.Command("go", append(args, s.pkg)...)
			cmd.Dir = root
			cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), s.env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", s.pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// testWindow is the "customer's application": a known picture that reports
// the clicks and keys it receives.
type testWindow struct {
	mu     sync.Mutex
	events []map[string]any
	typed  string
	notify chan struct{}
}

// startTestWindow runs the X11 test window on display.
func startTestWindow(t testing.TB, bin, display string, args ...string) *testWindow {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	return watchTestWindow(t, cmd)
}

// watchTestWindow starts cmd, a test window of either build, follows the
// events it reports and waits until it is ready.
func watchTestWindow(t testing.TB, cmd *exec.Cmd) *testWindow {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	tw := &testWindow{notify: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			tw.mu.Lock()
			tw.events = append(tw.events, ev)
			if ev["event"] == "typed" {
				tw.typed, _ = ev["text"].(string)
			}
			tw.mu.Unlock()
			select {
			case tw.notify <- struct{}{}:
			default:
			}
		}
	}()
	tw.waitFor(t, 10*time.Second, "ready", func(map[string]any) bool { return true })
	return tw
}

// waitFor waits until an event of kind that satisfies ok has arrived.
func (tw *testWindow) waitFor(t testing.TB, d time.Duration, kind string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(d)
	for {
		tw.mu.Lock()
		for _, ev := range tw.events {
			if ev["event"] == kind && ok(ev) {
				tw.mu.Unlock()
				return ev
			}
		}
		tw.mu.Unlock()
		select {
		case <-tw.notify:
		case <-deadline:
			tw.mu.Lock()
			defer tw.mu.Unlock()
			t.Fatalf("test window: no %q event within %s; got %v", kind, d, tw.events)
		}
	}
}

func (tw *testWindow) typedText() string {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return tw.typed
}

// server is a running Tether server process.
type server struct {
	url   string
	setup string
	port  int
	data  string
	env   []string
	bin   string
	cmd   *exec.Cmd
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var setupLink = regexp.MustCompile(`(http://\S+/setup\?token=\S+)`)

func startServer(t testing.TB, a artifacts, env ...string) *server {
	t.Helper()
	// The embedded TURN server listens on a port of its own choosing, on
	// loopback only, unless the test says otherwise.
	if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "TETHER_TURN_LISTEN=") }) {
		env = append(env, "TETHER_TURN_LISTEN=127.0.0.1:0")
	}
	s := &server{port: freePort(t), data: t.TempDir(), env: env, bin: a.server}
	// A test that must know the port before the server starts (to put a
	// proxy in front of it) picks it and passes TETHER_LISTEN.
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "TETHER_LISTEN=127.0.0.1:"); ok {
			port, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("TETHER_LISTEN %q", e)
			}
			s.port = port
		}
	}
	s.url = "http://127.0.0.1:" + strconv.Itoa(s.port)
	s.start(t, a.buildDir)
	if s.setup == "" {
		t.Fatal("the server printed no setup link")
	}
	return s
}

// start runs the server and waits until it says it is running.
func (s *server) start(t testing.TB, buildDir string) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "-listen", "127.0.0.1:"+strconv.Itoa(s.port), "-data", s.data, "-build-dir", buildDir)
	s.cmd.Env = append(os.Environ(), s.env...)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &prefixWriter{t: t, prefix: "server: "}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := s.cmd
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	running := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := setupLink.FindString(sc.Text()); m != "" {
				s.setup = m
			}
			if strings.HasPrefix(sc.Text(), "Engineers sign in") || s.setup != "" {
				close(running)
				io.Copy(io.Discard, out)
				return
			}
		}
	}()
	select {
	case <-running:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
	}
}

// restart stops the server and starts it again on the same port and data.
func (s *server) restart(t testing.TB, buildDir string) {
	t.Helper()
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
	s.setup = ""
	s.start(t, buildDir)
}

// prefixWriter sends a program's log lines to the test log.
type prefixWriter struct {
	t      testing.TB
	prefix string
	mu     sync.Mutex
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(w.prefix + l)
	}
	return len(p), nil
}

// newBrowser starts a headless Chromium; every call is a separate browser,
// like the engineer's and the customer's separate computers. extra options
// come last (chromedp.UserAgent for a customer on another system).
func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
		chromedp.WindowSize(1400, 1000),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}
