package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/static/locales"
)

// CustomerLanguages is what the provider's default customer language needs from the database.
type CustomerLanguages interface {
	SetDefaultLanguage(ctx context.Context, providerID, lang string) error
}

// customerLanguageSubmit saves the language the provider's customers get when their browser asks for no
// language Tether speaks (the Branding page's "Customer language").
func (s *Server) customerLanguageSubmit(c echo.Context, en engineer) error {
	lang, ok := knownLanguage(c.FormValue("default_language"))
	if !ok {
		return badRequest("Choose one of the languages in the list.")
	}
	if lang == "en" {
		lang = "" // English is what an empty default means
	}
	if err := s.Store.SetDefaultLanguage(c.Request().Context(), en.Provider.ID, lang); err != nil {
		return err
	}
	s.Log.Info("default customer language set", "provider", en.Provider.ID, "lang", lang, "by", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/settings/branding?language=saved#customer-language")
}

// knownLanguage is tag when it names one of locales.Languages exactly.
func knownLanguage(tag string) (string, bool) {
	for _, t := range locales.Languages {
		if t.String() == tag {
			return tag, true
		}
	}
	return "", false
}
