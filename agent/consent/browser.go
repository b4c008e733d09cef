package consent

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// OpenBrowser opens url in the customer's default browser. $BROWSER, when
// set, wins (a list of commands separated like PATH, "%s" standing for the
// URL, as xdg-utils and Python's webbrowser read it); tests use it to see the
// URL without a real browser. Otherwise the OS's own opener is used.
func OpenBrowser(url string) error {
	if env := os.Getenv("BROWSER"); env != "" {
		var errs []error
		for _, cmdline := range strings.Split(env, string(os.PathListSeparator)) {
			err := startBrowser(cmdline, url)
			if err == nil {
				return nil
			}
			errs = append(errs, err)
		}
		return fmt.Errorf("consent: $BROWSER: %w", errors.Join(errs...))
	}
	return openDefault(url)
}

func startBrowser(cmdline, url string) error {
	args := strings.Fields(cmdline)
	if len(args) == 0 {
		return errors.New("empty command")
	}
	substituted := false
	for i, a := range args {
		if strings.Contains(a, "%s") {
			args[i] = strings.ReplaceAll(a, "%s", url)
			substituted = true
		}
	}
	if !substituted {
		args = append(args, url)
	}
	return start(exec.Command(args[0], args[1:]...))
}

// start runs cmd without waiting for it: a browser may live on after the
// agent. Wait runs in the background so the child does not stay a zombie.
func start(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() { _ = cmd.Wait() }() // its exit status tells nothing useful: openers exit 0 or fail silently.
	return nil
}
