//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadGeneratorSmoke runs the whole benchmark small: one instance (no
// bus), 20 waiting and 3 relayed sessions for 5 s, against the PostgreSQL
// of TETHER_TEST_POSTGRES (a database of its own in it, as .ci/run sets it)
// or a cluster of its own. Nothing may be lost.
func TestLoadGeneratorSmoke(t *testing.T) {
	args := []string{"-instances", "1", "-waiting", "20", "-active", "3", "-engineers", "4",
		"-warmup", "1s", "-duration", "5s", "-reconnect-every", "2s", "-out", ""}
	if dsn := os.Getenv("TETHER_TEST_POSTGRES"); dsn != "" {
		args = append(args, "-postgres", dsn)
	} else if _, err := os.Stat("/usr/lib/postgresql/15/bin/initdb"); err != nil {
		t.Skip("no PostgreSQL: set TETHER_TEST_POSTGRES or install postgresql (15), as .ci/run does")
	}
	bin := filepath.Join(t.TempDir(), "tether")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "tether/server")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the server: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, append(args, "-tether", bin), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("loadgen exited %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"Nothing lost", "| steady | 3 |", "**All as expected.**"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
}
