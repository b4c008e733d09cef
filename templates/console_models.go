package templates

import (
	"time"

	"tether/static/locales"
)

// WhenSec is When with seconds, for logs: "Nov 22, 2026, 15:04:05" (de "22.11.2026, 15:04:05").
func (p Page) WhenSec(t time.Time) string {
	return p.Day(t) + p.sep() + p.ClockSec(t)
}

// LanguageChoice is one language the shell's switch offers, named in itself ("Deutsch").
type LanguageChoice struct {
	Tag, Name string
}

// LanguageChoices are the languages Tether speaks, each named in itself so that a reader finds their own.
func LanguageChoices() []LanguageChoice {
	names := map[string]string{"en": "English", "de": "Deutsch", "zh-Hans": "简体中文"}
	out := make([]LanguageChoice, 0, len(locales.Languages))
	for _, t := range locales.Languages {
		out = append(out, LanguageChoice{Tag: t.String(), Name: names[t.String()]})
	}
	return out
}
