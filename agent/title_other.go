//go:build !windows

package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// setTitle names the terminal window the program runs in, with the xterm
// sequence every common terminal understands, only when the output is that
// terminal (not a pipe or a file). The title is one clean line
// (windowTitle): it cannot end the sequence early.
func setTitle(out io.Writer, title string) {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return
	}
	fmt.Fprintf(f, "\x1b]0;%s\x07", title)
}
