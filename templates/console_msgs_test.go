package templates

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tether/static/locales"
)

// TestConsoleScriptMessages: every message the console's scripts ask for is on the page (ConsoleMsgs),
// in every language, with its variables left as {Name} for the script to fill in.
func TestConsoleScriptMessages(t *testing.T) {
	listed := map[string]bool{}
	for _, id := range consoleScriptMessages {
		listed[id] = true
	}
	files, err := filepath.Glob("../static/js/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	viewer, err := filepath.Glob("../wasm/jsdom/*.go")
	if err != nil || len(viewer) == 0 {
		t.Fatalf("no viewer: %v", err)
	}
	files = append(files, viewer...)
	asked := regexp.MustCompile(`console_(?:js|grant)_[a-z0-9_]+`)
	used := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range asked.FindAllString(string(b), -1) {
			used[id] = true
			if !listed[id] {
				t.Errorf("%s says %s, which ConsoleMsgs does not put on the page", f, id)
			}
		}
	}
	for id := range listed {
		if !used[id] {
			t.Errorf("ConsoleMsgs carries %s, which no script says", id)
		}
	}
	for _, lang := range []string{"en", "de", "zh-Hans"} {
		loc, err := locales.For(lang)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(Page{Lang: loc.Lang(), T: loc.T}.ConsoleMsgs()), &m); err != nil {
			t.Fatal(err)
		}
		for id, text := range m {
			if text == id || strings.Contains(text, "<no value>") || strings.Contains(text, "{{") {
				t.Errorf("%s %s reads %q", lang, id, text)
			}
		}
	}
	var m map[string]string
	_ = json.Unmarshal([]byte(Page{}.ConsoleMsgs()), &m)
	if got := m["console_js_clip_sent"]; got != "Sent {Size} to the customer's clipboard." {
		t.Errorf("a variable reads %q", got)
	}
}
