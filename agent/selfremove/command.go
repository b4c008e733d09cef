package selfremove

import "strings"

// deleteCommand is the full cmd.exe command line Remove runs on Windows;
// it lives here so its quoting is tested on every OS. Windows paths cannot hold
// a double quote, so quoting the path is enough; /d skips AutoRun scripts.
//
// The file can only be deleted once the agent has exited, which may be a
// while (a double-clicked agent waits for Enter before closing its window),
// so cmd tries about once a second for two minutes and stops as soon as the
// file is gone. Echo is off with /q rather than "do @(...)": Wine's cmd
// does not parse @ before a parenthesised block and runs nothing.
func deleteCommand(path string) string {
	path = `"` + strings.ReplaceAll(path, `"`, ``) + `"`
	return `cmd.exe /d /q /c "for /l %i in (1,1,120) do (ping -n 2 127.0.0.1 >nul & del /f /q ` + path +
		` 2>nul & if not exist ` + path + ` exit /b 0)"`
}
