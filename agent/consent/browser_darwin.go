package consent

import "os/exec"

func openDefault(url string) error {
	return start(exec.Command("open", url))
}
