//go:build !windows

package main

import "io"

// holdWindow does nothing where programs run in a terminal that stays open.
func holdWindow(io.Reader, io.Writer) {}
