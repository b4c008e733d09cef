package locales

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/language"
)

// catalogs reads every catalog file: area → language → message ids.
func catalogs(t *testing.T) map[string]map[string]map[string]bool {
	t.Helper()
	names, err := fs.Glob(files, "*.toml")
	if err != nil {
		t.Fatal(err)
	}
	areas := map[string]map[string]map[string]bool{}
	for _, name := range names {
		parts := strings.Split(strings.TrimSuffix(name, ".toml"), ".")
		if len(parts) != 2 {
			t.Errorf("%s: a catalog is named {area}.{lang}.toml", name)
			continue
		}
		area, lang := parts[0], parts[1]
		if !known(lang) {
			t.Errorf("%s: %q is not one of Tether's languages %v", name, lang, Languages)
			continue
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := toml.Unmarshal(b, &msgs); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if areas[area] == nil {
			areas[area] = map[string]map[string]bool{}
		}
		areas[area][lang] = map[string]bool{}
		for id := range msgs {
			areas[area][lang][id] = true
		}
	}
	return areas
}

func known(lang string) bool {
	for _, tag := range Languages {
		if tag.String() == lang {
			return true
		}
	}
	return false
}

// TestCatalogsComplete fails when a catalog lacks a message another catalog of its area has: every
// language must say everything. It also fails when two areas define the same id.
func TestCatalogsComplete(t *testing.T) {
	areas := catalogs(t)
	var missing []string
	owner := map[string]string{}
	for area, langs := range areas {
		all := map[string]bool{}
		for _, ids := range langs {
			for id := range ids {
				all[id] = true
			}
		}
		for id := range all {
			if other, dup := owner[id]; dup {
				missing = append(missing, "message "+id+" is in both "+other+" and "+area)
			}
			owner[id] = area
			for _, tag := range Languages {
				if !langs[tag.String()][id] {
					missing = append(missing, area+"."+tag.String()+".toml lacks message "+id)
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error(m)
	}
}

// used finds message ids in code: p.Say("id"…), loc.T("id"…) and msg("id") in Go, templ and JavaScript.
var used = regexp.MustCompile(`(?:\bSay|\.T|\bmsg)\("([a-z][a-z0-9_.]*)"`)

// TestMessagesUsedExist fails when the code asks for a message no catalog has, which would show as
// its id.
func TestMessagesUsedExist(t *testing.T) {
	english := map[string]bool{}
	for _, langs := range catalogs(t) {
		for id := range langs[language.English.String()] {
			english[id] = true
		}
	}
	n := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "../.." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "build") {
			return filepath.SkipDir
		}
		ext := filepath.Ext(path)
		if d.IsDir() || (ext != ".go" && ext != ".templ" && ext != ".js") || strings.HasSuffix(path, "_templ.go") || strings.HasSuffix(path, "locales_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			n++
			if !english[m[1]] {
				t.Errorf("%s asks for message %q, which static/locales/*.en.toml lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no message ids found in the code: the pattern is broken")
	}
}
func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		prefs []string
		want  language.Tag
	}{
		{[]string{"de-CH,de;q=0.9,en;q=0.8"}, language.German},
		{[]string{"zh-CN,zh;q=0.9"}, language.SimplifiedChinese},
		{[]string{"fr-FR,fr;q=0.9"}, language.English},
		{[]string{"", "de"}, language.German},
		{[]string{"zh", "de"}, language.SimplifiedChinese},
		{[]string{"nonsense;;;"}, language.English},
		{nil, language.English},
	} {
		if got := Match(tt.prefs...); got != tt.want {
			t.Errorf("Match(%q) = %s, want %s", tt.prefs, got, tt.want)
		}
	}
}

func TestLocalizer(t *testing.T) {
	de, err := For("de")
	if err != nil {
		t.Fatal(err)
	}
	if got := de.T("invite_headline", map[string]any{"Engineer": "Erin", "Provider": "Acme"}); got != "Erin von Acme möchte Ihnen helfen" {
		t.Errorf("German headline %q", got)
	}
	if de.Lang() != "de" {
		t.Errorf("Lang = %s", de.Lang())
	}
	zh, _ := For("zh-TW,zh;q=0.9")
	if got := zh.T("code_continue"); got != "继续" {
		t.Errorf("Chinese %q", got)
	}
}
