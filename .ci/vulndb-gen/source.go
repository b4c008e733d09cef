package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// source is every entry of a vulnerability database, with times set.
type source struct {
	entries []entry
	// modified is the newest modified time of any entry: how current the
	// source is.
	modified time.Time
	// name says where the entries came from, for the snapshot's README.
	name string
}

// osvDir is where a vulndb clone keeps the OSV entries.
const osvDir = "data/osv"

// readSource reads a vulndb git clone if src is one, else a folder of OSV
// files.
func readSource(ctx context.Context, src string) (source, error) {
	if fi, err := os.Stat(src); err != nil {
		return source{}, err
	} else if !fi.IsDir() {
		return source{}, fmt.Errorf("%s is not a folder", src)
	}
	// git -C also finds a repository above src, so ask for data/osv too.
	if commit, err := gitOutput(ctx, src, "rev-parse", "--verify", "HEAD^{commit}"); err == nil {
		if _, err := gitOutput(ctx, src, "cat-file", "-e", "HEAD:"+osvDir); err == nil {
			return readGit(ctx, src, strings.TrimSpace(string(commit)))
		}
	}
	return readFolder(src)
}

// readGit reads data/osv at HEAD. Those files carry no modified time (and
// mostly no published time): the database takes them from git history, the
// newest and oldest commit that touched each file (FromRepo in
// golang.org/x/vulndb/internal/database), and so does this.
func readGit(ctx context.Context, repo, commit string) (source, error) {
	list, err := gitOutput(ctx, repo, "ls-tree", "-z", "--name-only", "HEAD", osvDir+"/")
	if err != nil {
		return source{}, err
	}
	var names []string
	for _, n := range strings.Split(string(list), "\x00") {
		if path.Ext(n) == ".json" {
			names = append(names, n)
		}
	}
	dates, err := commitDates(ctx, repo)
	if err != nil {
		return source{}, err
	}
	blobs, err := catFiles(ctx, repo, names)
	if err != nil {
		return source{}, err
	}
	s := source{name: "golang/vulndb commit " + commit + " (" + osvDir + ")"}
	for i, name := range names {
		e, err := parseEntry(blobs[i])
		if err != nil {
			return source{}, fmt.Errorf("%s: %w", name, err)
		}
		if path.Base(name) != e.ID+".json" {
			return source{}, fmt.Errorf("%s holds %s", name, e.ID)
		}
		d, ok := dates[name]
		if !ok {
			return source{}, fmt.Errorf("%s: no commit in history", name)
		}
		e.Modified = d.newest
		if e.Published.IsZero() {
			e.Published = d.oldest
		}
		s.add(e)
	}
	return s, nil
}

// readFolder reads <src>/ID/*.json (an unpacked vulndb.zip) or <src>/*.json.
func readFolder(src string) (source, error) {
	abs, err := filepath.Abs(src)
	if err != nil {
		return source{}, err
	}
	dir := src
	if fi, err := os.Stat(filepath.Join(src, "ID")); err == nil && fi.IsDir() {
		dir = filepath.Join(src, "ID")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return source{}, err
	}
	if len(files) == 0 {
		return source{}, fmt.Errorf("no %s in %s and no OSV files in %s", osvDir, src, dir)
	}
	s := source{name: "OSV folder " + filepath.Base(abs)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return source{}, err
		}
		e, err := parseEntry(b)
		if err != nil {
			return source{}, fmt.Errorf("%s: %w", f, err)
		}
		if filepath.Base(f) != e.ID+".json" {
			return source{}, fmt.Errorf("%s holds %s", f, e.ID)
		}
		if e.Modified.IsZero() {
			return source{}, fmt.Errorf("%s has no modified time; a vulndb git clone gives it from history", f)
		}
		s.add(e)
	}
	return s, nil
}

func (s *source) add(e entry) {
	s.entries = append(s.entries, e)
	if e.Modified.After(s.modified) {
		s.modified = e.Modified
	}
}

type dates struct{ oldest, newest time.Time }

// commitDates returns, for every file ever under data/osv, the committer
// times of the oldest and newest commit that changed it.
func commitDates(ctx context.Context, repo string) (map[string]dates, error) {
	out, err := gitOutput(ctx, repo, "log", "--no-renames", "--format=@%ct", "--name-only", "HEAD", "--", osvDir)
	if err != nil {
		return nil, err
	}
	m := make(map[string]dates)
	var when time.Time
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "@"):
			sec, err := strconv.ParseInt(line[1:], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("git log: %q: %w", line, err)
			}
			when = time.Unix(sec, 0).UTC()
		default:
			d := m[line]
			if d.oldest.IsZero() || when.Before(d.oldest) {
				d.oldest = when
			}
			if when.After(d.newest) {
				d.newest = when
			}
			m[line] = d
		}
	}
	return m, nil
}

// catFiles returns the contents of the named files at HEAD, in order, from
// one git cat-file process.
func catFiles(ctx context.Context, repo string, names []string) ([][]byte, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", repo, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// Write while reading: git answers as it goes and would block on a
	// full pipe.
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(stdin)
		for _, n := range names {
			fmt.Fprintf(w, "HEAD:%s\n", n)
		}
		err := w.Flush()
		werr <- errors.Join(err, stdin.Close())
	}()
	r := bufio.NewReader(stdout)
	blobs := make([][]byte, 0, len(names))
	var rerr error
	for _, n := range names {
		// <object> blob <size>\n<contents>\n
		header, err := r.ReadString('\n')
		if err != nil {
			rerr = fmt.Errorf("git cat-file %s: %w", n, err)
			break
		}
		f := strings.Fields(header)
		if len(f) != 3 || f[1] != "blob" {
			rerr = fmt.Errorf("git cat-file %s: %q", n, strings.TrimSpace(header))
			break
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			rerr = fmt.Errorf("git cat-file %s: %q", n, strings.TrimSpace(header))
			break
		}
		b := make([]byte, size+1)
		if _, err := io.ReadFull(r, b); err != nil {
			rerr = fmt.Errorf("git cat-file %s: %w", n, err)
			break
		}
		blobs = append(blobs, b[:size])
	}
	if rerr != nil {
		// Let git finish writing so that Wait returns.
		_, _ = io.Copy(io.Discard, r)
	}
	err = errors.Join(rerr, <-werr, cmd.Wait())
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return blobs, nil
}

func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return b, nil
}
