//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// The Windows tests run Windows programs under Wine, in a virtual desktop
// that covers a private Xvfb screen, so the Windows screen is the X screen.
// One Wine prefix is made per test binary; each test gets its own desktop
// on its own display and stops every Windows program of the prefix at its
// end, so Wine tests must not run in parallel.

// winePrefix is a Wine prefix ready for Go programs.
type winePrefix struct {
	loader, server string // wine64 and wineserver
	dir            string // WINEPREFIX
	tmp            string // TMPDIR, where the wineserver puts its socket
	opened         string // where the "default browser" writes the URL it was asked to open
}

var (
	wineOnce sync.Once
	winePfx  winePrefix
	wineErr  error
)

// env is what every Wine process of the tests gets: no Mono or Gecko
// installers, no menu entries in the user's home, no debug chatter, and
// the wineserver's socket folder inside the prefix's temporary folder.
func (p winePrefix) env(display string) []string {
	var env []string
	for _, kv := range os.Environ() {
		// The agent would run $BROWSER, a Linux program, instead of
		// asking Windows to open the page.
		if !strings.HasPrefix(kv, "BROWSER=") {
			env = append(env, kv)
		}
	}
	return append(env, "WINEPREFIX="+p.dir, "TMPDIR="+p.tmp, "WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d", "DISPLAY="+display)
}

// requireWine returns the test binary's Wine prefix, making it on first
// use: wineboot, the bcryptprimitives.dll shim that Go programs need under
// Wine 8 (see testdata/wine/bcryptprimitives.c), one virtual desktop named
// "tether" for every program, and a "default browser" that records the URL
// it was asked to open. It skips (or fails under TETHER_REQUIRE_E2E=1) when
// wine64 or the MinGW compiler is missing.
func requireWine(t testing.TB) winePrefix {
	t.Helper()
	loader := requireTool(t, "wine64", "wine64", "/usr/lib/wine/wine64")
	server := requireTool(t, "wineserver", "wine64", "/usr/lib/wine/wineserver")
	cc := requireTool(t, "x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64")
	wineOnce.Do(func() {
		winePfx, wineErr = makeWinePrefix(loader, server, cc)
	})
	if wineErr != nil {
		t.Fatal(wineErr)
	}
	return winePfx
}

func makeWinePrefix(loader, server, cc string) (winePrefix, error) {
	root, err := os.MkdirTemp("", "tether-e2e-wine")
	if err != nil {
		return winePrefix{}, err
	}
	removeAtExit(root)
	p := winePrefix{loader: loader, server: server, dir: filepath.Join(root, "prefix"), tmp: filepath.Join(root, "tmp"),
		opened: filepath.Join(root, "opened-url")}
	if err := os.Mkdir(p.tmp, 0o700); err != nil {
		return p, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	src, err := filepath.Abs("testdata/wine/bcryptprimitives.c")
	if err != nil {
		return p, err
	}
	dll := filepath.Join(root, "bcryptprimitives.dll")
	if out, err := exec.CommandContext(ctx, cc, "-shared", "-O2", "-nostdlib", "-e", "DllEntry", "-o", dll, src, "-ladvapi32").CombinedOutput(); err != nil {
		return p, fmt.Errorf("build the bcryptprimitives shim: %v\n%s", err, out)
	}
	browser := filepath.Join(root, "browser.sh")
	script := "#!/bin/sh\nprintf '%s' \"$1\" > " + p.opened + ".tmp && mv " + p.opened + ".tmp " + p.opened + "\n"
	if err := os.WriteFile(browser, []byte(script), 0o755); err != nil {
		return p, err
	}

	// No display: wineboot needs none, and no window may appear anywhere.
	env := p.env("")
	steps := [][]string{
		{"wineboot", "-i"},
		// Every program joins the desktop "tether", which each test starts
		// with its screen's size.
		{"reg", "add", `HKCU\Software\Wine\Explorer`, "/v", "Desktop", "/d", "tether", "/f"},
		// Windows opens web pages through winebrowser, which runs the
		// first program of this list that exists.
		{"reg", "add", `HKCU\Software\Wine\WineBrowser`, "/v", "Browsers", "/d", browser, "/f"},
	}
	for _, s := range steps {
		cmd := exec.CommandContext(ctx, loader, s...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return p, fmt.Errorf("wine %s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	if err := copyFile(dll, filepath.Join(p.dir, "drive_c", "windows", "system32", "bcryptprimitives.dll")); err != nil {
		return p, err
	}
	// Stop the wineserver wineboot started, so it writes the registry and
	// the first test starts its own on its own display.
	if err := p.stopAll(ctx); err != nil {
		return p, err
	}
	return p, nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// stopAll ends every Windows program of the prefix and waits until the
// wineserver has gone.
func (p winePrefix) stopAll(ctx context.Context) error {
	for _, arg := range []string{"-k", "-w"} {
		cmd := exec.CommandContext(ctx, p.server, arg)
		cmd.Env = p.env("")
		// -k fails when no wineserver runs; -w then returns at once.
		if out, err := cmd.CombinedOutput(); err != nil && arg == "-w" {
			return fmt.Errorf("wineserver %s: %v\n%s", arg, err, out)
		}
	}
	return nil
}

// wineDesktop is Wine's desktop covering one Xvfb screen.
type wineDesktop struct {
	winePrefix
	display string
}

// startWineDesktop starts the desktop "tether" on display, w×h like the X
// screen, and checks that it lies at 0,0 so Windows and X coordinates are
// the same. Every Windows program of the prefix is stopped when t ends.
func startWineDesktop(t testing.TB, display string, w, h int) *wineDesktop {
	t.Helper()
	d := &wineDesktop{winePrefix: requireWine(t), display: display}
	if err := os.Remove(d.opened); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	explorer := d.command("explorer", fmt.Sprintf("/desktop=tether,%dx%d", w, h))
	explorer.Stdout = &prefixWriter{t: t, prefix: "wine explorer: "}
	explorer.Stderr = explorer.Stdout
	if err := explorer.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.stopAll(ctx); err != nil {
			t.Error(err)
		}
		explorer.Process.Kill()
		explorer.Wait() // stopped on purpose
	})
	x, y, gw, gh := waitX11Window(t, display, "tether - Wine desktop", 30*time.Second)
	if x != 0 || y != 0 || gw != w || gh != h {
		t.Fatalf("Wine's desktop is %dx%d at %d,%d; want %dx%d at 0,0", gw, gh, x, y, w, h)
	}
	return d
}

// command prepares a Windows program (a path on this machine, or a name
// Wine finds like "explorer") to run in the desktop. The caller sets its
// output and starts it.
func (d *wineDesktop) command(program string, args ...string) *exec.Cmd {
	cmd := exec.Command(d.loader, append([]string{program}, args...)...)
	cmd.Env = d.env(d.display)
	return cmd
}

// openedURL returns the URL Windows was last asked to open in the default
// browser, or "" if none.
func (d *wineDesktop) openedURL() string {
	b, err := os.ReadFile(d.opened)
	if err != nil {
		return ""
	}
	return string(b)
}

// windowsPath is how Windows programs under Wine name a file of this
// machine: drive Z: is the root of the file system.
func windowsPath(p string) string {
	return `Z:` + strings.ReplaceAll(p, "/", `\`)
}

// waitX11Window waits for a top-level window named name and returns its
// position and size.
func waitX11Window(t testing.TB, display, name string, d time.Duration) (x, y, w, h int) {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	deadline := time.Now().Add(d)
	for {
		tree, err := xproto.QueryTree(c, root).Reply()
		if err != nil {
			t.Fatal(err)
		}
		for _, win := range tree.Children {
			prop, err := xproto.GetProperty(c, false, win, xproto.AtomWmName, xproto.AtomAny, 0, 256).Reply()
			if err != nil || string(prop.Value) != name {
				continue
			}
			g, err := xproto.GetGeometry(c, xproto.Drawable(win)).Reply()
			if err != nil {
				t.Fatal(err)
			}
			return int(g.X), int(g.Y), int(g.Width), int(g.Height)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window %q on %s within %s", name, display, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
