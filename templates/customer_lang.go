package templates

import (
	"golang.org/x/text/language/display"

	"tether/static/locales"
)

// Language is one language a page can be read in: its BCP 47 tag and its name in itself ("Deutsch").
type Language struct {
	Tag, Name string
}

// Languages are locales.Languages as the language switcher names them.
var Languages = func() []Language {
	out := make([]Language, 0, len(locales.Languages))
	for _, t := range locales.Languages {
		out = append(out, Language{Tag: t.String(), Name: display.Self.Name(t)})
	}
	return out
}()
