//go:build !windows

package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// setTitle names the terminal window the program runs in, with the xterm
// sequences every common terminal understands, only when the output is that
// terminal (not a pipe or a file). The terminal's own title is saved first
// (pushed) and put back by the returned function. The title is one clean
// line (windowTitle): it cannot end the sequence early.
func setTitle(out io.Writer, title string) (restore func()) {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	fmt.Fprintf(f, "\x1b[22;0t\x1b]0;%s\x07", title)
	return func() { fmt.Fprint(f, "\x1b[23;0t") }
}
