package locales

import (
	"io/fs"
	"sort"
	"testing"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/language"
)

// TestCatalogsComplete fails when a catalog lacks a message another catalog has, or has one English
// lacks: every language must say everything.
func TestCatalogsComplete(t *testing.T) {
	ids := map[string]map[string]bool{}
	all := map[string]bool{}
	for _, tag := range Languages {
		b, err := fs.ReadFile(files, tag.String()+".toml")
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := toml.Unmarshal(b, &msgs); err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		ids[tag.String()] = map[string]bool{}
		for id := range msgs {
			ids[tag.String()][id] = true
			all[id] = true
		}
	}
	var missing []string
	for id := range all {
		for lang, have := range ids {
			if !have[id] {
				missing = append(missing, lang+": "+id)
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("missing message %s", m)
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
