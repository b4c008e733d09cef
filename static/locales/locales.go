// Package locales holds Tether's message catalogs in go-i18n's TOML format
// (https://github.com/nicksnyder/go-i18n), embedded so that the server and the agent speak the same words.
// Catalogs are split by area, one file per area and language: {area}.{lang}.toml ("customer.de.toml",
// "console.zh-Hans.toml"); message ids are unique across areas.
// English is the fallback: a message missing in another catalog is shown in English, never as its id, and
// TestCatalogsComplete reports it.
package locales

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"tether/server/protocol"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.toml
var files embed.FS

// Languages are the languages Tether speaks, English first.
var Languages = []language.Tag{language.English, language.German, language.SimplifiedChinese}

var (
	bundleOnce sync.Once
	bundle     *i18n.Bundle
	bundleErr  error
	matcher    = language.NewMatcher(Languages)
)

// Bundle is every catalog, parsed once.
func Bundle() (*i18n.Bundle, error) {
	bundleOnce.Do(func() {
		b := i18n.NewBundle(language.English)
		b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
		names, err := fs.Glob(files, "*.toml")
		if err != nil {
			bundleErr = err
			return
		}
		for _, name := range names {
			if _, err := b.LoadMessageFileFS(files, name); err != nil {
				bundleErr = fmt.Errorf("locales: %s: %w", name, err)
				return
			}
		}
		bundle = b
	})
	return bundle, bundleErr
}

// Match picks the language to speak from what the person asked for, best first: a choice they made
// ("de"), then their browser's Accept-Language header ("de-CH,de;q=0.9,en;q=0.8"). English when nothing
// matches.
func Match(prefs ...string) language.Tag {
	for _, p := range prefs {
		if p == "" {
			continue
		}
		tags, _, err := language.ParseAcceptLanguage(p)
		if err != nil || len(tags) == 0 {
			continue
		}
		if _, i, conf := matcher.Match(tags...); conf != language.No {
			return Languages[i]
		}
	}
	return language.English
}

// Localizer speaks one language.
type Localizer struct {
	tag language.Tag
	loc *i18n.Localizer
}

// For is a Localizer for the language Match picks from prefs.
func For(prefs ...string) (Localizer, error) {
	b, err := Bundle()
	if err != nil {
		return Localizer{}, err
	}
	tag := Match(prefs...)
	return Localizer{tag: tag, loc: i18n.NewLocalizer(b, tag.String(), language.English.String())}, nil
}

// Lang is the BCP 47 tag of the language spoken ("en", "de", "zh-Hans"), for <html lang>.
func (l Localizer) Lang() string {
	if l.loc == nil {
		return language.English.String()
	}
	return l.tag.String()
}

// T is the message id in the Localizer's language, filled with data; English when the catalog lacks it.
// An id no catalog has is a programming error, which TestMessagesUsedExist catches; it is shown as the id
// only then.
func (l Localizer) T(id string, data ...map[string]any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		cfg.TemplateData = data[0]
	}
	loc := l.loc
	if loc == nil {
		// The zero Localizer speaks English.
		b, err := Bundle()
		if err != nil {
			return id
		}
		loc = i18n.NewLocalizer(b, language.English.String())
	}
	s, err := loc.Localize(cfg)
	if err != nil && s == "" {
		return id
	}
	return s
}

// Known reports whether a catalog has the message id: tests use it to tell a message id shown raw from a
// word of another vocabulary that looks like one.
func Known(id string) bool {
	b, err := Bundle()
	if err != nil {
		return false
	}
	_, err = i18n.NewLocalizer(b, language.English.String()).Localize(&i18n.LocalizeConfig{MessageID: id})
	var missing *i18n.MessageNotFoundErr
	return !errors.As(err, &missing)
}

// Grant is what a grant (protocol.Grants' name: "view", "control", …) lets the engineer do, as the customer
// reads it: "see your screen". The customer's pages and the support program word grants with it.
func (l Localizer) Grant(name string) string {
	switch name {
	case "view":
		return l.T("customer_grant_view")
	case "control":
		return l.T("customer_grant_control")
	case "limited":
		return l.T("customer_grant_limited")
	case "clipboard":
		return l.T("customer_grant_clipboard")
	case "files":
		return l.T("customer_grant_files")
	}
	return name
}

// List joins items as a sentence does in the Localizer's language: "a, b and c".
func (l Localizer) List(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], l.T("customer_list_comma")) + l.T("customer_list_and") + items[len(items)-1]
}

// CustomerEndReason is why a session ended (a protocol end reason), told to the customer with say (a
// Localizer's T, a page's Say): "you stopped it". A reason of no list is said as it is. Engineers read
// reasons in the console's words (protocol.EndReasonMessage).
func CustomerEndReason(say func(id string, data ...map[string]any) string, reason string) string {
	key, arg, ok := protocol.EndReasonKey(reason)
	if !ok {
		return reason
	}
	return say("customer_reason_"+key, map[string]any{"Name": arg})
}
