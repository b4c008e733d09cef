//go:build unix && !darwin

package consent

import "os/exec"

// openDefault uses xdg-open, the freedesktop way to reach the desktop's
// default browser.
func openDefault(url string) error {
	return start(exec.Command("xdg-open", url))
}
