package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// database is the snapshot: the selected entries and the indexes the v1 API
// serves for them, built as golang.org/x/vulndb/internal/database.New does.
type database struct {
	// modified goes to index/db.json. It is the source's newest change, not
	// the newest among the selected entries, so that govulncheck's
	// "DB updated" says how current the snapshot is.
	modified time.Time
	source   string
	required int // modules of go list -m all
	entries  []entry
	modules  map[string]*moduleMeta
}

// moduleMeta is one element of index/modules.json.
type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

// dbMeta is index/db.json.
type dbMeta struct {
	Modified time.Time `json:"modified"`
}

// vulnMeta is one element of index/vulns.json.
type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

// newDatabase keeps the entries that affect one of modules.
func newDatabase(s source, modules map[string]bool) *database {
	db := &database{
		modified: s.modified,
		source:   s.name,
		required: len(modules),
		modules:  make(map[string]*moduleMeta),
	}
	for _, p := range []string{"stdlib", "toolchain"} {
		if modules[p] {
			db.required--
		}
	}
	for _, e := range s.entries {
		if slices.ContainsFunc(e.Affected, func(a affected) bool { return modules[a.Package.Name] }) {
			db.entries = append(db.entries, e)
		}
	}
	slices.SortFunc(db.entries, func(a, b entry) int { return strings.Compare(a.ID, b.ID) })
	// Index every module an entry names, as the full database would, not
	// only the ones asked for.
	for _, e := range db.entries {
		for _, a := range e.Affected {
			m := db.modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name, Vulns: []moduleVuln{}}
				db.modules[m.Path] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: latestFixed(a.Ranges)})
		}
	}
	return db
}

// write replaces out/index and out/ID and rewrites out/README.md.
func (db *database) write(out string) error {
	for _, d := range []string{"index", "ID"} {
		if err := os.RemoveAll(filepath.Join(out, d)); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	modules := make([]*moduleMeta, 0, len(db.modules))
	for _, m := range db.modules {
		modules = append(modules, m)
	}
	slices.SortFunc(modules, func(a, b *moduleMeta) int { return strings.Compare(a.Path, b.Path) })
	vulns := make([]vulnMeta, 0, len(db.entries))
	for _, e := range db.entries {
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
	}
	files := map[string]any{
		"index/db.json":      dbMeta{Modified: db.modified},
		"index/modules.json": modules,
		"index/vulns.json":   vulns,
	}
	for _, e := range db.entries {
		files["ID/"+e.ID+".json"] = e
	}
	for name, v := range files {
		if err := writeJSON(filepath.Join(out, filepath.FromSlash(name)), v); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(out, "README.md"), []byte(db.readme()), 0o644)
}

func writeJSON(name string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}

func (db *database) readme() string {
	return fmt.Sprintf(`# Go vulnerability database snapshot

Written by `+"`go tool task vulndb SRC=…`"+` (.ci/vulndb-gen); do not edit by hand.
docs/security.md says how it is used and refreshed.

- Source: %s
- Newest change in the source: %s
- Entries: %d, those that affect stdlib, toolchain or one of the %d modules
  of `+"`go list -m all`"+`, in all versions

The entries are from the Go Vulnerability Database, https://go.dev/security/vuln,
licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).
They are unchanged but for their modified and published times, which come
from the source's git history as on vuln.go.dev; the indexes are generated.
`, db.source, db.modified.Format(time.RFC3339), len(db.entries), db.required)
}
