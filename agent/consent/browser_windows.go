package consent

import "os/exec"

// openDefault asks the shell's URL handler, which opens the default browser
// without the quoting traps of "cmd /c start" (& and # in the URL).
func openDefault(url string) error {
	return start(exec.Command("rundll32", "url.dll,FileProtocolHandler", url))
}
