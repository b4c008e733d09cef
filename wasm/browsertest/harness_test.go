//go:build unix

package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
)

// Paths relative to this package directory (go test runs tests there).
const (
	moduleRoot = "../.."
	staticDir  = "../../static"
)

var (
	buildOnce sync.Once
	buildDir  string
	wasmPath  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// chromium returns the browser binary or skips the test.
func chromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	tb.Skip("chromium is not installed (looked for chromium, chromium-browser, google-chrome): skipping the browser test")
	return ""
}

// viewerWasm builds the viewer once per test binary.
func viewerWasm(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "tether-viewer-")
		if buildErr != nil {
			return
		}
		wasmPath = filepath.Join(buildDir, "viewer.wasm")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", wasmPath, "./wasm")
		cmd.Dir = moduleRoot
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build viewer.wasm: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return wasmPath
}

// viewerPage is the DOM contract exactly as the server's template renders it,
// plus the stylesheet.
const viewerPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>viewer test</title>
<link rel="stylesheet" href="/static/css/viewer.css">
<style>body{margin:0}</style></head><body>
<div id="viewer" data-session="x" data-ws="/ws/viewer/x" data-wasm="/static/build/viewer.wasm?v=test">
  <div id="v-toolbar">
    <span id="v-state"></span> <span id="v-level"></span> <span id="v-path"></span> <span id="v-code"></span>
    <span id="v-fps"></span> <span id="v-bw"></span> <span id="v-rtt"></span>
    <button id="v-scale" type="button">1:1</button> <button id="v-refresh" type="button">Refresh</button>
  </div>
  <div id="v-stage"><canvas id="v-screen" tabindex="0"></canvas><canvas id="v-cursor"></canvas></div>
</div>
<script src="/static/js/msgs.js"></script><script src="/static/wasm_exec.js"></script><script src="/static/js/viewer-pixels.js"></script><script src="/static/js/viewer-boot.js"></script>
</body></html>`

// newServer serves the page, the static files, the built wasm and a fake
// signaling endpoint whose only viewer is handed to agent.
func newServer(tb testing.TB, agent *fakeAgent) *httptest.Server {
	tb.Helper()
	wasm := viewerWasm(tb)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, viewerPage)
	})
	mux.HandleFunc("GET /static/build/viewer.wasm", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, wasm)
	})
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.Dir(staticDir))))
	mux.HandleFunc("GET /ws/viewer/x", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			agent.fail(fmt.Errorf("accept: %w", err))
			return
		}
		agent.serve(r.Context(), c)
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	return srv
}

// newBrowser starts headless Chromium and returns a tab context, logging
// the page's console to the test log.
func newBrowser(tb testing.TB, timeout time.Duration) context.Context {
	tb.Helper()
	exe := chromium(tb)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		// Host candidates with real addresses, so that pion and Chromium
		// connect on this machine without an mDNS responder.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,WebRtcHideLocalIpsWithMdns"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	tb.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	tb.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	tb.Cleanup(bcancel)
	var mu sync.Mutex
	done := false
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !done { // testing panics on a log after the test
			tb.Logf(format, args...)
		}
	}
	err := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			}
			logf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			logf("page exception: %s", ev.ExceptionDetails.Text)
		}
	})
	tb.Cleanup(func() {
		mu.Lock()
		done = true
		mu.Unlock()
	})
	if err != nil {
		tb.Fatalf("listen to chromium: %v", err)
	}
	if err := chromedp.Do(bctx); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// waitJS polls a boolean expression in the page until it holds.
func waitJS(ctx context.Context, expr string, timeout time.Duration) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('v-state').textContent`))
		return fmt.Errorf("waiting for %s (#v-state %q): %w", expr, text, err)
	}
	return nil
}

// openViewer loads the viewer page in the tab. With inflate "go" the page
// first loses DecompressionStream, as in a browser that lacks it, so the
// viewer falls back to inflating in Go.
func openViewer(ctx context.Context, url, inflate string, vw, vh int, scale float64) error {
	actions := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(int64(vw), int64(vh), chromedp.EmulateScale(scale))}
	if inflate == "go" {
		actions = append(actions, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `delete window.DecompressionStream;`})
			return err
		}))
	}
	actions = append(actions, chromedp.Navigate(url))
	return chromedp.Do(ctx, actions...)
}

// checkInflater waits until the viewer says which inflater it uses.
func checkInflater(ctx context.Context, inflate string) error {
	return waitJS(ctx, dataset("inflate")+` === '`+inflate+`'`, 10*time.Second)
}

func dataset(name string) string {
	return fmt.Sprintf("document.getElementById('viewer').dataset.%s", name)
}
