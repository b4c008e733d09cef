package web

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/store"
	"tether/templates"
)

// Embed sizes of the snippet's frame, in CSS pixels: the widget fits 320 to 400 pixels wide.
const (
	widgetWidth      = 400
	widgetHeight     = 260
	widgetHelpHeight = 310
)

func (s *Server) widgetSettingsPage(c echo.Context, en engineer) error {
	p := en.Provider
	return s.renderWidgetSettings(c, en, strings.Join(p.Origins(), "\n"), p.WidgetHelp, http.StatusOK, "", c.QueryParam("saved") == "1")
}

func (s *Server) widgetSettingsSubmit(c echo.Context, en engineer) error {
	typed, help := c.FormValue("origins"), c.FormValue("help") == "1"
	origins, err := store.ParseWidgetOrigins(typed)
	if err == nil {
		err = s.Store.SetWidget(c.Request().Context(), en.Provider.ID, origins, help)
	}
	if errors.Is(err, store.ErrInvalidArgument) {
		loc := s.speak(c, en)
		msg := sayReason(loc, err)
		if loc.Lang() == "en" {
			msg = strings.TrimPrefix(err.Error(), store.ErrInvalidArgument.Error()+": ") + "." // "Not saved: an address is empty."
		}
		return s.renderWidgetSettings(c, en, typed, help, http.StatusBadRequest, loc.T("admin_not_saved_colon", map[string]any{"Reason": msg}), false)
	}
	if err != nil {
		return err
	}
	s.Log.Info("widget settings changed", "provider", en.Provider.ID, "by", en.User.ID, "origins", len(origins), "help", help)
	return c.Redirect(http.StatusSeeOther, "/settings/widget?saved=1")
}

func (s *Server) renderWidgetSettings(c echo.Context, en engineer, origins string, help bool, status int, msg string, saved bool) error {
	p := en.Provider
	widgetURL := s.providerURL(p) + "/widget"
	// The preview frames the widget from the provider's address, which with subdomains is another origin.
	c.Response().Header().Set(echo.HeaderContentSecurityPolicy, contentSecurityPolicy+"; frame-src 'self' "+originOf(widgetURL))
	height := widgetHeight
	if p.WidgetHelp {
		height = widgetHelpHeight
	}
	title := html.EscapeString(p.Name + " remote support")
	v := templates.WidgetSettings{
		Page:       s.shellPage(c, s.speak(c, en).T("admin_widget_title"), en),
		Origins:    origins,
		Help:       help,
		Allowed:    p.Origins(),
		MaxOrigins: store.MaxWidgetOrigins,
		WidgetURL:  widgetURL,
		Width:      widgetWidth,
		Height:     height,
		Snippet: fmt.Sprintf(`<iframe src="%s" title="%s" width="%d" height="%d" style="border:0;width:100%%;max-width:%dpx" loading="lazy"></iframe>`,
			html.EscapeString(widgetURL), title, widgetWidth, height, widgetWidth),
		FormSnippet: fmt.Sprintf(`<form action="%s/code" method="post" target="_blank">
  <label>Support code <input name="code" maxlength="16" autocomplete="one-time-code" required></label>
  <button type="submit">Connect</button>
</form>`, html.EscapeString(widgetURL)),
		Error: msg,
		Saved: saved,
	}
	return s.render(c, status, templates.WidgetSettingsView(v))
}
