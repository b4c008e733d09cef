package selfremove

import "strings"

// deleteCommand is the full cmd.exe command line Remove runs on Windows;
// it lives here so its quoting is tested on every OS. Windows paths cannot hold
// a double quote, so quoting the path is enough; /d skips AutoRun scripts.
func deleteCommand(path string) string {
	path = strings.ReplaceAll(path, `"`, ``)
	return `cmd.exe /d /c "ping -n 3 127.0.0.1 >nul & del /f /q "` + path + `""`
}
