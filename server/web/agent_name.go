package web

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"tether/server/store"
)

// agentFileName is the name a provider's support program downloads under, after the provider: Windows
// "Acme-IT-Support.exe", Linux "acme-it-support". Letters and digits of the name (any script) are kept,
// everything else becomes one hyphen, so the name is safe on every file system and in a shell; "Support"
// is added unless the name already ends with it. A name with nothing usable gives Tether's own.
func agentFileName(providerName, goos string) string {
	var words []string
	for _, w := range strings.FieldsFunc(providerName, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		words = append(words, w)
	}
	if len(words) == 0 {
		words = []string{"Tether"}
	}
	if !strings.EqualFold(words[len(words)-1], "support") {
		words = append(words, "Support")
	}
	name := strings.Join(words, "-")
	// The provider's name is at most store.MaxProviderName characters; the bound keeps it so if that changes.
	for utf8.RuneCountInString(name) > store.MaxProviderName+len("-Support") {
		_, size := utf8.DecodeLastRuneInString(name)
		name = strings.TrimRight(name[:len(name)-size], "-")
	}
	if goos == "windows" {
		return name + ".exe"
	}
	return strings.ToLower(name)
}

// contentDisposition is a Content-Disposition header for a download named name (RFC 6266): an ASCII filename for
// old clients (other characters as "_"), and filename* in UTF-8 (RFC 8187) that browsers prefer.
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + url.PathEscape(name)
}
