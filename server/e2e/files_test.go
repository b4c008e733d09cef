//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// fileWorld is a world whose agent saves files under a home folder of its
// own, with a customer who allowed files (and control unless viewOnly).
type fileWorld struct {
	*world
	c         *customer
	downloads string // the customer's Downloads folder
}

func newFileWorld(t testing.TB, winArgs []string, serverEnv ...string) *fileWorld {
	w := newWorldWith(t, winArgs, serverEnv...)
	home := t.TempDir()
	link, _ := w.newSession(t, "Fiona Files")
	cust := newBrowser(t)
	do(t, cust, 20*time.Second, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`#downloads`)))
	c := w.downloadAndRun(t, cust, "HOME="+home, "XDG_DOWNLOAD_DIR=")
	page, cancel := chromedp.NewContext(c.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(page, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	c.page = page
	do(t, c.page, 20*time.Second, "allow with files",
		chromedp.Navigate(c.consent),
		chromedp.WaitVisible(chromedp.CSS(`#grant-files`)),
		chromedp.Click(chromedp.CSS(`input[value=files]`)),
		chromedp.Click(chromedp.CSS(`#allow:enabled`)))
	waitJS(t, c.page, 10*time.Second, "sharing shown on the consent page", `document.getElementById("consent").dataset.phase === "sharing"`)
	waitJS(t, w.engineer, 15*time.Second, "first frame", `Number(document.getElementById("viewer").dataset.frames) > 0`)
	waitJS(t, w.engineer, 10*time.Second, "files allowed in the viewer", `!document.getElementById("v-files-btn").hidden && !document.getElementById("v-files-pick").disabled`)
	return &fileWorld{world: w, c: c, downloads: filepath.Join(home, "Downloads")}
}

// randomFile writes n random bytes to a file called name and returns its
// path and SHA-256.
func randomFile(t testing.TB, name string, n int64) (string, string) {
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

func fileSHA256(t testing.TB, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sendToCustomer picks path in the engineer's files panel and waits until
// the viewer reports it saved and checked on the customer's computer.
func (fw *fileWorld) sendToCustomer(t testing.TB, path string, d time.Duration) time.Duration {
	name := filepath.Base(path)
	before := eval[int](t, fw.engineer, `document.querySelectorAll('#v-files-list li[data-dir=out][data-state=done]').length`)
	start := time.Now()
	do(t, fw.engineer, 10*time.Second, "pick a file for the customer", chromedp.SetUploadFiles(chromedp.CSS(`#v-files-pick`), []string{path}))
	waitJS(t, fw.engineer, d, "the file saved on the customer's computer", fmt.Sprintf(
		`document.querySelectorAll('#v-files-list li[data-dir=out][data-state=done]').length > %d || !!document.querySelector('#v-files-list li[data-dir=out][data-state=failed][data-name=%q]')`, before, name))
	took := time.Since(start)
	if failed := eval[string](t, fw.engineer, fmt.Sprintf(`(document.querySelector('#v-files-list li[data-dir=out][data-state=failed][data-name=%q]') || {}).innerText || ""`, name)); failed != "" {
		t.Fatalf("sending %s failed: %s", name, failed)
	}
	return took
}

// TestFilesBothWays: the engineer sends a file from the viewer's files
// panel; it lands in the customer's Downloads with the right hash and the
// consent page says so, with the folder. The customer offers a file on the
// consent page; the engineer's browser receives it, checked, as a download
// under its name. Both are in the session's audit log, with hashes.
func TestFilesBothWays(t *testing.T) {
	fw := newFileWorld(t, nil)
	w, c := fw.world, fw.c
	if where := eval[string](t, c.page, `document.getElementById("files-folder").textContent`); where != fw.downloads {
		t.Fatalf("consent page says files go to %q, want %q", where, fw.downloads)
	}

	// Engineer to customer.
	out, outSum := randomFile(t, "Quarterly report.pdf", 3<<20+12345)
	do(t, w.engineer, 5*time.Second, "open the files panel", chromedp.Click(chromedp.CSS(`#v-files-btn`)))
	took := fw.sendToCustomer(t, out, 60*time.Second)
	t.Logf("engineer to customer, %d bytes in %v", 3<<20+12345, took)
	saved := filepath.Join(fw.downloads, "Quarterly report.pdf")
	if got := fileSHA256(t, saved); got != outSum {
		t.Fatalf("saved file's SHA-256 %s, sent %s", got, outSum)
	}
	if got := eval[string](t, w.engineer, `document.querySelector('#v-files-list li[data-dir=out][data-state=done]').dataset.sha256`); got != outSum {
		t.Fatalf("viewer reports SHA-256 %s, want %s", got, outSum)
	}
	waitJS(t, c.page, 10*time.Second, "the consent page tells the customer", fmt.Sprintf(
		`[...document.querySelectorAll('#file-list li[data-dir=in][data-state=done]')].some(li => li.innerText.includes(%q))`, saved))
	if names, _ := os.ReadDir(fw.downloads); len(names) != 1 {
		t.Fatalf("Downloads holds %v", names)
	}
	shot(t, w.engineer, "viewer-files-sent")
	shot(t, c.page, "customer-consent-file-received")

	// The customer picks another folder: one that does not exist is refused
	// with the reason; their Desktop is taken, and the next file lands there.
	desktop := filepath.Join(filepath.Dir(fw.downloads), "Desktop")
	if err := os.Mkdir(desktop, 0o700); err != nil {
		t.Fatal(err)
	}
	do(t, c.page, 10*time.Second, "another folder", chromedp.Click(chromedp.CSS(`#folder-change`)), chromedp.WaitVisible(chromedp.CSS(`#folder-input`)),
		chromedp.SetValue(chromedp.CSS(`#folder-input`), filepath.Join(desktop, "nope")), chromedp.Click(chromedp.CSS(`#folder-form button[type=submit]`)))
	waitJS(t, c.page, 10*time.Second, "a missing folder refused", `!document.getElementById("folder-note").hidden && document.getElementById("folder-note").textContent.includes("There is no folder")`)
	do(t, c.page, 10*time.Second, "the Desktop", chromedp.SetValue(chromedp.CSS(`#folder-input`), desktop), chromedp.Click(chromedp.CSS(`#folder-form button[type=submit]`)))
	waitJS(t, c.page, 10*time.Second, "the page names the new folder", fmt.Sprintf(`document.getElementById("files-folder").textContent === %q && document.getElementById("folder-form").hidden`, desktop))
	note, noteSum := randomFile(t, "notes.txt", 40000)
	fw.sendToCustomer(t, note, 60*time.Second)
	if got := fileSHA256(t, filepath.Join(desktop, "notes.txt")); got != noteSum {
		t.Fatalf("the file in the chosen folder hashes to %s, sent %s", got, noteSum)
	}

	// Customer to engineer: the engineer's browser saves downloads in dl.
	dl := t.TempDir()
	do(t, w.engineer, 10*time.Second, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl,
		})
		return err
	}))
	in, inSum := randomFile(t, "system log.txt", 2<<20+777)
	do(t, c.page, 10*time.Second, "offer a file on the consent page", chromedp.SetUploadFiles(chromedp.CSS(`#file-pick`), []string{in}))
	waitJS(t, w.engineer, 60*time.Second, "the file from the customer", `!!document.querySelector('#v-files-list li[data-dir=in][data-state=done], #v-files-list li[data-dir=in][data-state=failed]')`)
	row := eval[[]string](t, w.engineer, `(() => { const li = document.querySelector('#v-files-list li[data-dir=in]');
		const a = li.querySelector("a"); return [li.dataset.state, li.dataset.name, li.dataset.sha256 || "", a ? a.getAttribute("download") : "", li.innerText]; })()`)
	if row[0] != "done" || row[1] != "system log.txt" || row[2] != inSum || row[3] != "system log.txt" {
		t.Fatalf("received row %q, want done, the name, SHA-256 %s and a download", row, inSum)
	}
	// The browser saved it as a download under its name: the customer's bytes.
	got := filepath.Join(dl, "system log.txt")
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, partial := os.Stat(got + ".crdownload")
		if st, err := os.Stat(got); err == nil && st.Size() == 2<<20+777 && os.IsNotExist(partial) {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dl)
			t.Fatalf("the engineer's browser did not save the file: %v", entries)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if sum := fileSHA256(t, got); sum != inSum {
		t.Fatalf("the engineer's download hashes to %s, the customer's file to %s", sum, inSum)
	}
	waitJS(t, c.page, 10*time.Second, "the consent page says it arrived", `!!document.querySelector('#file-list li[data-dir=out][data-state=done]')`)
	shot(t, w.engineer, "viewer-files-received")
	fullShot(t, c.page, "customer-consent-files")

	// Both in the audit log, with name, size and hash, never content.
	id := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.session`)
	do(t, w.engineer, 10*time.Second, "end", chromedp.Click(chromedp.CSS(`#v-toolbar button.danger`)))
	c.waitExit(t, 5*time.Second)
	if names, _ := os.ReadDir(fw.downloads); len(names) != 1 {
		t.Fatalf("after the session Downloads holds %v", names)
	}
	do(t, w.engineer, 10*time.Second, "session details", chromedp.Navigate(w.srv.url+"/sessions/"+id), chromedp.WaitVisible(chromedp.CSS(`table.audit`)))
	log := eval[string](t, w.engineer, `document.querySelector("table.audit").innerText`)
	fullShot(t, w.engineer, "session-audit-files")
	for _, want := range []string{"File sent to the customer", "Quarterly report.pdf", outSum, "File received from the customer", "system log.txt", inSum} {
		if !strings.Contains(log, want) {
			t.Errorf("session log lacks %q:\n%s", want, log)
		}
	}
}

// screenRate clicks the remote test window (-mark paints at every click)
// every 50 ms for d and returns the frames the viewer painted per second.
func screenRate(t testing.TB, w *world, d time.Duration) float64 {
	before := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	eval[bool](t, w.engineer, `(() => { window.__ticks = 0; clearInterval(window.__tick); window.__tick = setInterval(() => window.__ticks++, 10); return true; })()`)
	w.win.mu.Lock()
	events := len(w.win.events)
	w.win.mu.Unlock()
	start := time.Now()
	clicks := 0
	for i := 0; time.Since(start) < d; i++ {
		w.clickRemote(t, 100+(i%21)*20, 200) // 21 places: each click changes a colour (-mark alternates)
		clicks++
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 50 * time.Millisecond)))
	}
	after := eval[int](t, w.engineer, `Number(document.getElementById("viewer").dataset.frames)`)
	ticks := eval[int](t, w.engineer, `window.__ticks`)
	w.win.mu.Lock()
	events = len(w.win.events) - events
	w.win.mu.Unlock()
	t.Logf("%d events reached the window", events)
	stats := eval[string](t, w.engineer, `document.getElementById("v-toolbar").innerText.replace(/\s+/g, " ")`)
	t.Logf("screen: %d clicks, %d frames, %d of %d event-loop ticks in %v; toolbar %s", clicks, after-before, ticks, int(time.Since(start)/(10*time.Millisecond)), time.Since(start), stats)
	return float64(after-before) / time.Since(start).Seconds()
}

// TestFilesKeepScreenFlowingOnRelay: a large file moves on the relay's
// file lane while the engineer works: the screen keeps coming, the viewer
// is not dropped as too slow, and the file arrives whole.
func TestFilesKeepScreenFlowingOnRelay(t *testing.T) {
	fw := newFileWorld(t, []string{"-mark"}, "TETHER_P2P=false")
	w := fw.world
	if p := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.path`); p != "relay" {
		t.Fatalf("path %q, want relay", p)
	}
	idle := screenRate(t, w, 3*time.Second)
	const size = 96 << 20
	path, sum := randomFile(t, "disk image.bin", size)
	do(t, w.engineer, 5*time.Second, "open the files panel", chromedp.Click(chromedp.CSS(`#v-files-btn`)))
	do(t, w.engineer, 10*time.Second, "pick a large file", chromedp.SetUploadFiles(chromedp.CSS(`#v-files-pick`), []string{path}))
	start := time.Now()
	waitJS(t, w.engineer, 10*time.Second, "the transfer under way", `!!document.querySelector('#v-files-list li[data-dir=out][data-state=moving]')`)
	during := screenRate(t, w, 3*time.Second)
	shot(t, w.engineer, "viewer-files-progress")
	fullShot(t, fw.c.page, "customer-consent-file-progress")
	moving := eval[bool](t, w.engineer, `!!document.querySelector('#v-files-list li[data-dir=out][data-state=moving]')`)
	waitJS(t, w.engineer, 3*time.Minute, "the large file saved", `!!document.querySelector('#v-files-list li[data-dir=out][data-state=done], #v-files-list li[data-dir=out][data-state=failed]')`)
	took := time.Since(start)
	if st := eval[string](t, w.engineer, `document.querySelector('#v-files-list li[data-dir=out]').dataset.state`); st != "done" {
		t.Fatalf("large file: %s", eval[string](t, w.engineer, `document.querySelector('#v-files-list li[data-dir=out]').innerText`))
	}
	t.Logf("relay: %d MiB in %v (%.1f MB/s); screen %.1f fps idle, %.1f fps during the transfer (still moving at the end of the measure: %v)",
		size>>20, took.Round(time.Millisecond), float64(size)/1e6/took.Seconds(), idle, during, moving)
	if got := fileSHA256(t, filepath.Join(fw.downloads, "disk image.bin")); got != sum {
		t.Fatalf("saved file hashes to %s, sent %s", got, sum)
	}
	if st := eval[string](t, w.engineer, `document.getElementById("viewer").dataset.state`); st != "streaming" {
		t.Fatalf("viewer state %q after the transfer, want streaming (not dropped)", st)
	}
	if during < idle/3 || during < 2 {
		t.Fatalf("the screen stalled during the transfer: %.1f fps, %.1f fps before", during, idle)
	}
	w.waitPixels(t, 10*time.Second, "the screen after the transfer")
}

// BenchmarkFileThroughput moves a 128 MiB file from the engineer's browser
// to the customer's Downloads on loopback, peer-to-peer (the "files" data
// channel) and on the relay (the file lane), while the engineer clicks in
// the test window: it reports the throughput (median MB/s) and the screen's
// frame rate during the transfer beside the rate without one.
//
//	go test ./server/e2e -run '^$' -bench FileThroughput -benchtime 3x
//
// TETHER_BENCH_FILE_MB sets the file's size (128 MiB by default).
func BenchmarkFileThroughput(b *testing.B) {
	for _, path := range []struct{ name, env string }{{"p2p", "TETHER_P2P=true"}, {"relay", "TETHER_P2P=false"}} {
		b.Run(path.name, func(b *testing.B) {
			fw := newFileWorld(b, []string{"-mark"}, path.env)
			w := fw.world
			if p := eval[string](b, w.engineer, `document.getElementById("viewer").dataset.path`); p != map[string]string{"p2p": "p2p", "relay": "relay"}[path.name] {
				b.Fatalf("path %q", p)
			}
			size := int64(128 << 20)
			if mb, err := strconv.Atoi(os.Getenv("TETHER_BENCH_FILE_MB")); err == nil && mb > 0 {
				size = int64(mb) << 20 // a 1 GiB run: TETHER_BENCH_FILE_MB=1024
			}
			file, sum := randomFile(b, "bench.bin", size)
			idle := screenRate(b, w, 3*time.Second)
			var rates, fps []float64
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				do(b, w.engineer, 10*time.Second, "pick", chromedp.SetUploadFiles(chromedp.CSS(`#v-files-pick`), []string{file}))
				waitJS(b, w.engineer, 10*time.Second, "moving", `!!document.querySelector('#v-files-list li[data-dir=out][data-state=moving]')`)
				fps = append(fps, screenRate(b, w, 2*time.Second))
				waitJS(b, w.engineer, 5*time.Minute, "done", fmt.Sprintf(`document.querySelectorAll('#v-files-list li[data-dir=out][data-state=done]').length > %d`, i))
				took := time.Since(start)
				rates = append(rates, float64(size)/1e6/took.Seconds())
				b.StopTimer()
				saved := filepath.Join(fw.downloads, "bench.bin")
				if got := fileSHA256(b, saved); got != sum {
					b.Fatalf("saved file hashes to %s", got)
				}
				if err := os.Remove(saved); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(median(rates), "MB/s-median")
			b.ReportMetric(median(fps), "fps-during")
			b.ReportMetric(idle, "fps-idle")
			b.Logf("%s: MB/s %.1f, fps during %.1f, idle %.1f", path.name, rates, fps, idle)
		})
	}
}
