//go:build linux

package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The peer's viewer: noVNC from npm, pinned by the integrity the registry
// publishes for the tarball (npm view @novnc/novnc@1.7.0 dist.integrity).
const (
	noVNCURL       = "https://registry.npmjs.org/@novnc/novnc/-/novnc-1.7.0.tgz"
	noVNCIntegrity = "sha512-ucEJOx4T2avIRCleodk7YobZj5O2Ga2AeLfQ69A/yjG9HHba2+PDgwSkN3FttrmG+70ZGx21sElNFouK13RzyA=="
)

// noVNC returns a folder with noVNC's package (core/, vendor/), fetched
// once into the user's cache folder ($TETHER_SBS_CACHE, else
// $XDG_CACHE_HOME/tether-sbs or ~/.cache/tether-sbs) and checked against
// the pinned digest at every use.
func noVNC(t testing.TB) string {
	t.Helper()
	cache := os.Getenv("TETHER_SBS_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache folder for noVNC: %v", err)
		}
		cache = filepath.Join(dir, "tether-sbs")
	}
	tgz := filepath.Join(cache, filepath.Base(noVNCURL))
	b, err := os.ReadFile(tgz)
	if err != nil || checkIntegrity(b) != nil {
		if b, err = fetchURL(noVNCURL); err != nil {
			t.Fatalf("noVNC: %v", err)
		}
		if err := checkIntegrity(b); err != nil {
			t.Fatalf("noVNC from %s: %v", noVNCURL, err)
		}
		if err := os.MkdirAll(cache, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tgz+".tmp", b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tgz+".tmp", tgz); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if err := untar(b, dir); err != nil {
		t.Fatalf("unpack noVNC: %v", err)
	}
	return filepath.Join(dir, "package")
}

func checkIntegrity(b []byte) error {
	sum := sha512.Sum512(b)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != noVNCIntegrity {
		return fmt.Errorf("integrity %s, want %s", got, noVNCIntegrity)
	}
	return nil
}

func fetchURL(url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

// untar unpacks a gzipped tarball's regular files into dir.
func untar(b []byte, dir string) error {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || !filepath.IsLocal(name) {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}

// waitListening waits until something accepts TCP connections on port.
func waitListening(t testing.TB, what string, port int, p *proc) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if p.exited() {
			t.Fatalf("%s exited before listening on %d", what, port)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %d: %v", what, port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noVNCMode names the peer's two settings.
type noVNCMode string

const (
	// noVNCDefault is noVNC as it comes: quality 6, compression 2, so
	// x11vnc answers with Tight and JPEG.
	noVNCDefault noVNCMode = "default"
	// noVNCLossless asks for no quality level at all, which is how a
	// Tight client says "no JPEG" (the page drops the pseudo-encodings).
	noVNCLossless noVNCMode = "lossless"
)

// startPeer runs x11vnc on the display and websockify in front of it, and
// returns the websocket URL and both programs.
func startPeer(t testing.TB, display string) (wsURL string, vnc, ws *proc) {
	t.Helper()
	vncPort, wsPort := freePort(t), freePort(t)
	// x11vnc's defaults otherwise (polling with XDAMAGE hints, -wait 20,
	// -defer 20), as a user running it on Debian gets them; -noncache
	// because noVNC cannot use the client-side cache's huge framebuffer.
	vnc = startProc(t, display, "x11vnc", "-display", display, "-rfbport", strconv.Itoa(vncPort), "-localhost",
		"-shared", "-forever", "-nopw", "-noncache", "-quiet")
	waitListening(t, "x11vnc", vncPort, vnc)
	ws = startProc(t, display, "websockify", "127.0.0.1:"+strconv.Itoa(wsPort), "127.0.0.1:"+strconv.Itoa(vncPort))
	waitListening(t, "websockify", wsPort, ws)
	return "ws://127.0.0.1:" + strconv.Itoa(wsPort), vnc, ws
}

// pageServer serves noVNC, its page and the browser workload's page.
func pageServer(novnc string, text []string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/novnc/", http.StripPrefix("/novnc/", http.FileServer(http.Dir(novnc))))
	mux.HandleFunc("/novnc.html", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, "testdata/sbs/novnc.html")
	})
	mux.HandleFunc("/page.html", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile("testdata/sbs/page.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var body strings.Builder
		for i, l := range text {
			if i%12 == 0 {
				if i > 0 {
					body.WriteString("</p>\n")
				}
				fmt.Fprintf(&body, "<h2>Section %d</h2>\n<p>", i/12+1)
			}
			body.WriteString(l + " ")
		}
		body.WriteString("</p>\n")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(bytes.Replace(b, []byte("<!--TEXT-->"), []byte(body.String()), 1))
	})
	return mux
}
