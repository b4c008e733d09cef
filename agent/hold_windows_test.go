package main

import (
	"io"
	"os"
	"testing"
	"time"
)

// TestHoldWindowRedirected: with stdin a pipe that stays open, as under a
// script or a test harness, the program does not wait for an Enter nobody
// can press.
func TestHoldWindowRedirected(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isConsole(r) {
		t.Fatal("a pipe counts as a console")
	}
	done := make(chan struct{})
	go func() {
		holdWindow(r, io.Discard)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("holdWindow waited on a pipe")
	}
}
