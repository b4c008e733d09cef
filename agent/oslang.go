package main

import (
	"strings"

	"tether/server/protocol"
	"tether/static/locales"
)

// language is what the program speaks: the invitation page's language from the signed settings, else
// this computer's (osLanguage), else English.
func language(s protocol.AgentSettings) locales.Localizer {
	loc, err := locales.For(s.Language, posixLocale(osLanguage()))
	if err != nil {
		// The catalogs are embedded and tested; the zero Localizer speaks English.
		return locales.Localizer{}
	}
	return loc
}

// posixLocale turns a POSIX locale name ("de_DE.UTF-8", "zh_CN@pinyin") or a Windows one ("de-DE") into
// a BCP 47 tag ("de-DE"); "C" and "POSIX" are no language.
func posixLocale(name string) string {
	name, _, _ = strings.Cut(name, ".")
	name, _, _ = strings.Cut(name, "@")
	if name == "C" || name == "POSIX" {
		return ""
	}
	return strings.ReplaceAll(name, "_", "-")
}
