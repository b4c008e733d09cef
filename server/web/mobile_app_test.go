package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"tether/static"
)

// TestConsoleIsInstallable: the manifest names the console and icons that
// exist at their sizes; signed-in pages link it, customer pages do not;
// the service worker's cache is named after the shell and lists files
// that exist; the offline page says so.
func TestConsoleIsInstallable(t *testing.T) {
	// The real static files: the icons and the worker's code.
	h := newHarnessWith(t, nil, func(d *Deps) { d.Static = static.Files })
	b := h.browser()

	code, body, hdr := b.get("/manifest.webmanifest")
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %d %q", code, hdr.Get("Content-Type"))
	}
	var m webManifest
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if m.Name == "" || m.ShortName == "" || m.StartURL != "/console" || m.Display != "standalone" || m.ThemeColor == "" {
		t.Fatalf("manifest %+v", m)
	}
	sizes := map[string]bool{}
	for _, ic := range m.Icons {
		code, img, hdr := b.get(ic.Src)
		if code != http.StatusOK || hdr.Get("Content-Type") != "image/png" {
			t.Fatalf("icon %s: %d %q", ic.Src, code, hdr.Get("Content-Type"))
		}
		cfg, err := png.DecodeConfig(bytes.NewReader([]byte(img)))
		if err != nil {
			t.Fatalf("icon %s: %v", ic.Src, err)
		}
		if got := fmt.Sprintf("%dx%d", cfg.Width, cfg.Height); got != ic.Sizes {
			t.Errorf("icon %s is %s, the manifest says %s", ic.Src, got, ic.Sizes)
		}
		sizes[ic.Sizes+" "+ic.Purpose] = true
	}
	for _, want := range []string{"192x192 any", "512x512 any", "512x512 maskable"} {
		if !sizes[want] {
			t.Errorf("manifest lacks a %s icon: %v", want, sizes)
		}
	}

	code, sw, hdr := b.get("/sw.js")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/javascript") || hdr.Get("Cache-Control") != "no-cache" {
		t.Fatalf("sw.js: %d %q %q", code, hdr.Get("Content-Type"), hdr.Get("Cache-Control"))
	}
	if !regexp.MustCompile(`var CACHE = "tether-shell-[0-9a-f]{12}";`).MatchString(sw) {
		t.Fatalf("sw.js names no versioned cache:\n%.300s", sw)
	}
	shell := regexp.MustCompile(`var SHELL = (\[.*\]);`).FindStringSubmatch(sw)
	var urls []string
	if shell == nil || json.Unmarshal([]byte(shell[1]), &urls) != nil || len(urls) != len(shellAssets) {
		t.Fatalf("sw.js shell list %v", shell)
	}
	for _, u := range urls {
		if code, _, _ := b.get(u); code != http.StatusOK || !strings.Contains(u, "?v=") {
			t.Errorf("shell file %s: %d (want a versioned URL that exists)", u, code)
		}
	}
	// The worker stores navigations nowhere: pages come from the network only.
	if strings.Contains(sw, "cache.put") || !strings.Contains(sw, "req.mode === 'navigate'") {
		t.Error("sw.js must answer pages from the network and store nothing but the shell")
	}
	// The same release names the same cache; a release with another style sheet names another, and its
	// worker deletes the old one.
	if _, again, _ := b.get("/sw.js"); again != sw {
		t.Error("sw.js differs between two requests")
	}
	next := newHarnessWith(t, nil, func(d *Deps) {
		files := fstest.MapFS{"css/app.css": {Data: []byte("body{color:red}")}}
		for _, p := range append(shellAssets, "js/sw.js") {
			if p == "css/app.css" {
				continue
			}
			b, err := fs.ReadFile(static.Files, p)
			if err != nil {
				t.Fatal(err)
			}
			files[p] = &fstest.MapFile{Data: b}
		}
		d.Static = files
	})
	cacheName := regexp.MustCompile(`var CACHE = "([^"]+)";`)
	if _, sw2, _ := next.browser().get("/sw.js"); cacheName.FindStringSubmatch(sw2)[1] == cacheName.FindStringSubmatch(sw)[1] {
		t.Error("a new style sheet keeps the old cache name")
	}
	if !strings.Contains(sw, "caches.delete") {
		t.Error("the worker does not delete older caches")
	}

	code, page, _ := b.get("/offline")
	if code != http.StatusOK || !strings.Contains(page, "You are offline") || !strings.Contains(page, "Tether needs a connection") {
		t.Fatalf("offline page: %d\n%.400s", code, page)
	}
	if _, de, _ := h.browser().get("/offline?lang=de"); !strings.Contains(de, "Sie sind offline") {
		t.Error("the offline page does not speak German")
	}

	en := h.signedUp("Acme", "erin@acme.test")
	_, console, hdr := en.get("/console")
	for _, want := range []string{`<link rel="manifest" href="/manifest.webmanifest">`, `rel="apple-touch-icon"`, `js/app-install.js`, `id="menu-toggle"`} {
		if !strings.Contains(console, want) {
			t.Errorf("the console lacks %s", want)
		}
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "worker-src 'self'") || !strings.Contains(csp, "manifest-src 'self'") {
		t.Errorf("CSP %q does not allow the worker and manifest", csp)
	}
	_, login, _ := h.browser().get("/login")
	if strings.Contains(login, `rel="manifest"`) || strings.Contains(login, "app-install.js") {
		t.Error("a page for guests offers to install the console")
	}
}
