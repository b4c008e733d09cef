package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLatestFixed(t *testing.T) {
	tests := []struct {
		name   string
		events []event
		want   string
	}{
		{"no fix", []event{{Introduced: "0"}}, ""},
		{"one fix", []event{{Introduced: "0"}, {Fixed: "0.23.0"}}, "0.23.0"},
		{"go release branches", []event{{Introduced: "0"}, {Fixed: "1.21.9"}, {Introduced: "1.22.0-0"}, {Fixed: "1.22.2"}}, "1.22.2"},
		{"reintroduced", []event{{Introduced: "0"}, {Fixed: "1.5.0"}, {Introduced: "2.0.0"}}, ""},
		{"prerelease before release", []event{{Introduced: "0"}, {Fixed: "1.0.0-rc.1"}, {Fixed: "1.0.0"}}, "1.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := latestFixed([]osvRange{{Type: "SEMVER", Events: tt.events}})
			if got != tt.want {
				t.Errorf("latestFixed = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseEntryRejectsUnknownFields(t *testing.T) {
	_, err := parseEntry([]byte(`{"id":"GO-2000-0001","details":"","affected":[],"severity":[]}`))
	if err == nil || !strings.Contains(err.Error(), "severity") {
		t.Fatalf("parseEntry = %v, want an unknown field error", err)
	}
}

// TestFolderToDatabase writes a snapshot from an OSV folder and reads it
// back the way govulncheck does.
func TestFolderToDatabase(t *testing.T) {
	src := t.TempDir()
	entries := map[string]string{
		"GO-2024-0001": `{"id":"GO-2024-0001","modified":"2024-01-02T03:04:05Z","published":"2024-01-01T00:00:00Z","details":"x","affected":[{"package":{"name":"golang.org/x/net","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.23.0"}]}],"ecosystem_specific":{"imports":[{"path":"golang.org/x/net/html","symbols":["Parse"]}]}},{"package":{"name":"example.com/unused","ecosystem":"Go"}}]}`,
		"GO-2024-0002": `{"id":"GO-2024-0002","modified":"2024-05-06T07:08:09Z","published":"2024-05-01T00:00:00Z","details":"<b>","affected":[{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.22.3"}]}]}]}`,
		"GO-2024-0003": `{"id":"GO-2024-0003","modified":"2024-09-10T11:12:13Z","published":"2024-09-01T00:00:00Z","details":"y","affected":[{"package":{"name":"example.com/other","ecosystem":"Go"}}]}`,
	}
	for id, body := range entries {
		if err := os.WriteFile(filepath.Join(src, id+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := readFolder(src)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	db := newDatabase(s, map[string]bool{"stdlib": true, "toolchain": true, "golang.org/x/net": true})
	if err := db.write(out); err != nil {
		t.Fatal(err)
	}

	var meta dbMeta
	readJSON(t, filepath.Join(out, "index", "db.json"), &meta)
	if want := time.Date(2024, 9, 10, 11, 12, 13, 0, time.UTC); !meta.Modified.Equal(want) {
		t.Errorf("db.json modified = %v, want the source's newest %v", meta.Modified, want)
	}
	var modules []moduleMeta
	readJSON(t, filepath.Join(out, "index", "modules.json"), &modules)
	var got []string
	for _, m := range modules {
		for _, v := range m.Vulns {
			got = append(got, m.Path+" "+v.ID+" "+v.Fixed)
		}
	}
	want := []string{"example.com/unused GO-2024-0001 ", "golang.org/x/net GO-2024-0001 0.23.0", "stdlib GO-2024-0002 1.22.3"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("modules.json:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for id, want := range map[string]bool{"GO-2024-0001": true, "GO-2024-0002": true, "GO-2024-0003": false} {
		_, err := os.Stat(filepath.Join(out, "ID", id+".json"))
		if (err == nil) != want {
			t.Errorf("ID/%s.json present = %v, want %v", id, err == nil, want)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "ID", "GO-2024-0002.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"details": "<b>"`) {
		t.Errorf("entry rewritten with HTML escapes:\n%s", b)
	}
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestGitTimes checks that a vulndb clone's entries get their times from
// history: modified from the newest commit, published from the oldest unless
// the entry has one.
func TestGitTimes(t *testing.T) {
	repo := t.TempDir()
	git := func(date string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(),
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_AUTHOR_DATE="+date,
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_COMMITTER_DATE="+date,
			"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	put := func(id, published, details string) {
		t.Helper()
		body := `{"id":"` + id + `","modified":"0001-01-01T00:00:00Z","published":"` + published + `","details":"` + details + `","affected":[{"package":{"name":"stdlib","ecosystem":"Go"}}]}`
		if err := os.MkdirAll(filepath.Join(repo, "data", "osv"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, "data", "osv", id+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("", "init", "-q")
	put("GO-2022-0001", "0001-01-01T00:00:00Z", "a")
	git("2022-01-01T00:00:00Z", "add", ".")
	git("2022-01-01T00:00:00Z", "commit", "-q", "-m", "add 1")
	put("GO-2022-0001", "0001-01-01T00:00:00Z", "b")
	put("GO-2023-0002", "2020-05-05T05:05:05Z", "c")
	git("2023-03-03T03:03:03Z", "add", ".")
	git("2023-03-03T03:03:03Z", "commit", "-q", "-m", "edit 1, add 2")

	s, err := readSource(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range s.entries {
		got[e.ID] = e.Published.Format(time.RFC3339) + " " + e.Modified.Format(time.RFC3339)
	}
	want := map[string]string{
		"GO-2022-0001": "2022-01-01T00:00:00Z 2023-03-03T03:03:03Z",
		"GO-2023-0002": "2020-05-05T05:05:05Z 2023-03-03T03:03:03Z",
	}
	for id := range want {
		if got[id] != want[id] {
			t.Errorf("%s published, modified = %s, want %s", id, got[id], want[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("entries %v, want %v", got, want)
	}
	if !strings.HasPrefix(s.name, "golang/vulndb commit ") {
		t.Errorf("source name %q, want a commit", s.name)
	}
}
