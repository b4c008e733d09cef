//go:build !windows

package main

import (
	"io"
	"os"
)

// holdWindow does nothing where programs run in a terminal that stays open.
func holdWindow(*os.File, io.Writer) {}
