package main

import (
	"testing"

	"tether/server/protocol"
)

// TestLanguageFromSettingsThenComputer: the program speaks the invitation page's language from its signed
// settings; without one, the computer's locale; else English.
func TestLanguageFromSettingsThenComputer(t *testing.T) {
	for _, tc := range []struct {
		settings, lcAll, lang, want string
	}{
		{"de", "", "zh_CN.UTF-8", "de"},
		{"", "", "zh_CN.UTF-8", "zh-Hans"},
		{"", "", "de_AT.UTF-8@euro", "de"},
		{"", "de_DE.UTF-8", "en_US.UTF-8", "de"},
		{"", "", "C", "en"},
		{"", "", "fr_FR.UTF-8", "en"},
		{"zh-Hans", "", "de_DE", "zh-Hans"},
	} {
		t.Setenv("LC_ALL", tc.lcAll)
		t.Setenv("LC_MESSAGES", "")
		t.Setenv("LANG", tc.lang)
		if got := language(protocol.AgentSettings{Language: tc.settings}).Lang(); got != tc.want {
			t.Errorf("settings %q, LC_ALL %q, LANG %q: speaks %s, want %s", tc.settings, tc.lcAll, tc.lang, got, tc.want)
		}
	}
	t.Setenv("LANG", "")
	s := testSettings
	s.Language = "de"
	if got := windowTitle(s, language(s)); got != "Acme IT · Fernwartung" {
		t.Errorf("German window title %q", got)
	}
}
