package web

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/blob"
	"tether/server/branding"
	"tether/server/store"
	"tether/templates"
)

// brandOf is a provider's brand as its pages show it. Its logo, icon and theme are served by
// /brand/{subdomain}/… with the brand's version in the URL, so that a browser caches them until the brand
// changes and asks again at once when it does.
func brandOf(p store.Provider) templates.Brand {
	b := templates.Brand{Name: p.Name, Contact: p.Contact, Banner: p.BannerText, BannerLink: p.BannerLink, Welcome: p.Welcome}
	base, v := "/brand/"+p.Slug, "?v="+brandVersion(p)
	if p.LogoKey != "" {
		b.LogoURL = base + "/logo" + v
	}
	if p.IconKey != "" {
		b.IconURL = base + "/icon.ico" + v
	}
	if p.PrimaryColor != "" || p.AccentColor != "" {
		b.ThemeURL = base + "/theme.css" + v
	}
	return b
}

// brandVersion names the brand's last change.
func brandVersion(p store.Provider) string {
	if p.UpdatedAt == nil {
		return "0"
	}
	return strconv.FormatInt(p.UpdatedAt.UnixMilli(), 36)
}

// svgPolicy is the Content-Security-Policy of a served SVG logo: it is sanitised already (branding.SanitizeSVG);
// should anything have slipped through, opened on its own it still loads nothing and runs nothing.
const svgPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

// brandProvider resolves /brand/:slug; a disabled provider's brand is not served.
func (s *Server) brandProvider(c echo.Context) (store.Provider, error) {
	slug := strings.ToLower(c.Param("slug"))
	if store.ValidSubdomain(slug) != nil {
		return store.Provider{}, store.ErrNotFound
	}
	p, err := s.Store.ProviderBySlug(c.Request().Context(), slug)
	if err != nil {
		return store.Provider{}, err
	}
	if p.Disabled() {
		return store.Provider{}, store.ErrNotFound
	}
	return p, nil
}

// cacheBrand lets browsers keep a brand file for a year when the URL names its current version, and
// makes them ask again otherwise (an old page's URL, or none).
func cacheBrand(c echo.Context, p store.Provider) {
	if c.QueryParam("v") == brandVersion(p) {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		return
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
}

func (s *Server) brandLogo(c echo.Context) error {
	p, err := s.brandProvider(c)
	if err != nil {
		return err
	}
	if p.LogoKey == "" {
		return store.ErrNotFound
	}
	ctype := "image/png"
	if path.Ext(p.LogoKey) == ".svg" {
		ctype = "image/svg+xml"
		c.Response().Header().Set("Content-Security-Policy", svgPolicy)
	}
	return s.serveBrandBlob(c, p, p.LogoKey, ctype)
}

func (s *Server) brandIcon(c echo.Context) error {
	p, err := s.brandProvider(c)
	if err != nil {
		return err
	}
	if p.IconKey == "" {
		return store.ErrNotFound
	}
	return s.serveBrandBlob(c, p, p.IconKey, "image/x-icon")
}

func (s *Server) serveBrandBlob(c echo.Context, p store.Provider, key, ctype string) error {
	f, info, err := s.Blobs.Open(c.Request().Context(), key)
	if errors.Is(err, blob.ErrNotFound) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("brand file: %w", err)
	}
	defer f.Close()
	cacheBrand(c, p)
	c.Response().Header().Set("Content-Type", ctype)
	http.ServeContent(c.Response(), c.Request(), "", info.ModTime, f)
	return nil
}

func (s *Server) brandTheme(c echo.Context) error {
	p, err := s.brandProvider(c)
	if err != nil {
		return err
	}
	cacheBrand(c, p)
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(themeCSS(p.PrimaryColor, p.AccentColor)))
}

// themeCSS sets the brand's colours as the custom properties static/css/app.css uses, with a text colour
// readable on each. Only colours store.ValidColor accepts are written; others keep Tether's.
func themeCSS(primary, accent string) string {
	var b strings.Builder
	b.WriteString("/* The provider's colours; static/css/app.css has Tether's. */\n:root {\n")
	if primary != "" && store.ValidColor(primary) {
		fmt.Fprintf(&b, "  --brand-primary: %s;\n  --brand-on-primary: %s;\n  --brand-primary-text: %s;\n", primary, textOn(primary), readableOnWhite(primary))
		if accent == "" {
			fmt.Fprintf(&b, "  --brand-link: %s;\n", readableOnWhite(primary))
		}
	}
	if accent != "" && store.ValidColor(accent) {
		fmt.Fprintf(&b, "  --brand-accent: %s;\n  --brand-on-accent: %s;\n  --brand-link: %s;\n", accent, textOn(accent), readableOnWhite(accent))
	}
	b.WriteString("}\n")
	return b.String()
}

// textOn picks white or Tether's ink for text on a background colour (#rrggbb), whichever contrasts more
// (WCAG 2 contrast ratio, https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).
func textOn(bg string) string {
	const ink = "#1b2330"
	l := luminance(bg)
	onWhite := 1.05 / (l + 0.05)
	onInk := (l + 0.05) / (luminance(ink) + 0.05)
	if onWhite >= onInk {
		return "#ffffff"
	}
	return ink
}

// readableOnWhite is c, or c darkened (mixed with black in steps of 5%) until text in it reads on white
// (WCAG 2 contrast 4.5:1): a light brand colour still makes legible links.
func readableOnWhite(c string) string {
	for i := 0; i <= 20; i++ {
		if 1.05/(luminance(c)+0.05) >= 4.5 {
			return c
		}
		c = darker(c, 0.95)
	}
	return c
}

// darker scales each channel of #rrggbb by f.
func darker(c string, f float64) string {
	out := []byte("#")
	for i := 1; i < 7; i += 2 {
		v, _ := strconv.ParseUint(c[i:i+2], 16, 8)
		out = fmt.Appendf(out, "%02x", int(math.Floor(float64(v)*f)))
	}
	return string(out)
}

func luminance(hex string) float64 {
	channel := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(1) + 0.7152*channel(3) + 0.0722*channel(5)
}

// errorBrand is the brand of an error page and where its start-page link goes: the provider's on its own
// address (a wrong invitation link on acme's portal still looks like acme's and leads to acme's code
// page), Tether's elsewhere or when the address itself is the error.
func (s *Server) errorBrand(c echo.Context) (templates.Brand, string) {
	st, err := s.siteOf(c)
	if err != nil || !st.Own() {
		return defaultBrand, "/"
	}
	return brandOf(st.Provider), st.Prefix + "/"
}

// logoDataURL is the provider's logo as a data: URL, for a file that must show it offline (the report
// to download); "" when the provider has none.
func (s *Server) logoDataURL(ctx context.Context, p store.Provider) (string, error) {
	if p.LogoKey == "" {
		return "", nil
	}
	f, _, err := s.Blobs.Open(ctx, p.LogoKey)
	if errors.Is(err, blob.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("brand logo: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, branding.MaxLogoBytes+1))
	if err != nil {
		return "", fmt.Errorf("brand logo: %w", err)
	}
	ctype := "image/png"
	if path.Ext(p.LogoKey) == ".svg" {
		ctype = "image/svg+xml"
	}
	return "data:" + ctype + ";base64," + base64.StdEncoding.EncodeToString(data), nil
}
