// Command vulndb-gen writes the small Go vulnerability database that
// `go tool task check` hands to govulncheck with -db file://…: the entries of
// the Go vulnerability database that concern a module this repository
// requires (`go list -m all`), the standard library ("stdlib") or the Go
// toolchain ("toolchain"), laid out as the database's v1 API
// (https://go.dev/security/vuln/database#api): index/db.json,
// index/modules.json, index/vulns.json and ID/<id>.json.
//
// The source is either a clone of https://go.googlesource.com/vulndb
// (bare or not), whose OSV files are read from data/osv at HEAD, or a folder
// of OSV files that carry their own times, such as the unpacked
// https://vuln.go.dev/vulndb.zip.
//
// Usage, from the repository root (go tool task vulndb SRC=… does this):
//
//	go run ./.ci/vulndb-gen -src /path/to/vulndb -out .ci/vulndb
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vulndb-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := fs.String("src", "", "vulndb git clone, or folder of OSV <id>.json files (required)")
	out := fs.String("out", ".ci/vulndb", "folder to write the database to")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *src == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: vulndb-gen -src PATH [-out DIR]")
		return 2
	}
	if err := generate(ctx, *src, *out, stdout); err != nil {
		fmt.Fprintf(stderr, "vulndb-gen: %v\n", err)
		return 1
	}
	return 0
}

func generate(ctx context.Context, src, out string, stdout io.Writer) error {
	modules, err := goListModules(ctx)
	if err != nil {
		return err
	}
	s, err := readSource(ctx, src)
	if err != nil {
		return err
	}
	db := newDatabase(s, modules)
	if err := db.write(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "vulndb-gen: %d of %d entries (%d modules with entries) as of %s into %s\n",
		len(db.entries), len(s.entries), len(db.modules), db.modified.Format("2006-01-02T15:04:05Z"), out)
	return nil
}

// goListModules returns the paths of every module in this repository's
// build list, tools included, plus the pseudo-modules the database files the
// standard library and the go command under.
func goListModules(ctx context.Context) (map[string]bool, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}}", "all")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m all: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	modules := map[string]bool{"stdlib": true, "toolchain": true}
	for _, p := range strings.Fields(string(b)) {
		modules[p] = true
	}
	return modules, nil
}
