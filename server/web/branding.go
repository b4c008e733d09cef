package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"tether/server/branding"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// Branding is what the branding page needs from the database.
type Branding interface {
	SetBrand(ctx context.Context, providerID string, ch store.BrandChange) (store.Provider, error)
}

// maxBrandingForm bounds the branding form's whole body: both files at their limits and the texts.
const maxBrandingForm = branding.MaxLogoBytes + branding.MaxIconBytes + 64<<10

func (s *Server) brandingPage(c echo.Context, en engineer) error {
	p := en.Provider
	return s.renderBranding(c, en, store.BrandChange{Name: p.Name, Slug: p.Slug, Brand: p.Brand}, http.StatusOK, "", c.QueryParam("saved") == "1")
}

// brandingSubmit saves the branding page: uploads are checked first (branding.CheckLogo, CheckIcon), the
// texts next; anything refused re-shows the page with the reason and the fields as typed, and saves
// nothing. New files go into the blob store under new keys, so that the old brand stays whole until the
// provider row points at the new one; the old files are deleted after.
func (s *Server) brandingSubmit(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	old := en.Provider
	loc := s.speak(c, en)
	// limitBrandingBody bounds the body.
	form, err := c.MultipartForm()
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return s.renderBranding(c, en, store.BrandChange{Name: old.Name, Slug: old.Slug, Brand: old.Brand}, http.StatusRequestEntityTooLarge,
			loc.T("admin_branding_upload_too_big", map[string]any{"Max": maxBrandingForm>>20 + 1}), false)
	}
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return badRequest("The form could not be read. Reload the page and try again.")
	}
	ch := readBrandingForm(c, old)
	refused := func(status int, msg string) error {
		return s.renderBranding(c, en, ch, status, loc.T("admin_not_saved", map[string]any{"Reason": msg}), false)
	}
	// The texts first: nothing is uploaded for a form that cannot be saved.
	if err := store.ValidSubdomain(ch.Slug); err != nil {
		return refused(http.StatusBadRequest, sayReason(loc, err))
	}
	if err := ch.Brand.Validate(); err != nil {
		return refused(http.StatusBadRequest, sayReason(loc, err))
	}
	var logo *branding.Logo
	var icon *branding.Icon
	if fh := formFile(form, "logo"); fh != nil {
		l, err := checkUpload(fh, branding.CheckLogo)
		if _, ok := branding.Refused(err); ok {
			return refused(http.StatusBadRequest, sayReason(loc, err)+" "+loc.T("admin_branding_old_logo_stays"))
		} else if err != nil {
			return err
		}
		logo = &l
	}
	if fh := formFile(form, "icon"); fh != nil {
		ic, err := checkUpload(fh, branding.CheckIcon)
		if _, ok := branding.Refused(err); ok {
			return refused(http.StatusBadRequest, sayReason(loc, err)+" "+loc.T("admin_branding_old_icon_stays"))
		} else if err != nil {
			return err
		}
		icon = &ic
	}
	var added []string
	put := func(kind, ext string, data []byte) (string, error) {
		key := "brand/" + old.ID + "/" + kind + "-" + store.NewID() + "." + ext
		if _, err := s.Blobs.Put(ctx, key, bytes.NewReader(data)); err != nil {
			return "", fmt.Errorf("store brand %s: %w", kind, err)
		}
		added = append(added, key)
		return key, nil
	}
	undo := func() {
		for _, k := range added {
			if err := s.Blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
				s.Log.Warn("brand file left behind", "key", k, "err", err)
			}
		}
	}
	if logo != nil {
		if ch.Brand.LogoKey, err = put("logo", logo.Ext, logo.Data); err != nil {
			undo()
			return err
		}
	}
	if icon != nil {
		if ch.Brand.IconKey, err = put("icon", "ico", icon.Data); err != nil {
			undo()
			return err
		}
	}
	p, err := s.Store.SetBrand(ctx, old.ID, ch)
	if err != nil {
		undo()
		if errors.Is(err, store.ErrInvalidArgument) {
			ch.Brand.LogoKey, ch.Brand.IconKey = old.LogoKey, old.IconKey
			return refused(http.StatusBadRequest, sayReason(loc, err))
		}
		return err
	}
	for _, k := range []struct{ was, now string }{{old.LogoKey, p.LogoKey}, {old.IconKey, p.IconKey}} {
		if k.was != "" && k.was != k.now {
			if err := s.Blobs.Delete(ctx, k.was); err != nil {
				s.Log.Warn("old brand file left behind", "key", k.was, "err", err)
			}
		}
	}
	s.Log.Info("branding changed", "provider", p.ID, "by", en.User.ID, "subdomain", p.Slug,
		"new_logo", logo != nil, "new_icon", icon != nil)
	return c.Redirect(http.StatusSeeOther, "/settings/branding?saved=1")
}

// brandingRemove removes the logo or the icon (the page's Remove buttons), keeping the rest.
func (s *Server) brandingRemove(c echo.Context, en engineer) error {
	p := en.Provider
	ch := store.BrandChange{Name: p.Name, Slug: p.Slug, Brand: p.Brand}
	var key string
	switch c.FormValue("what") {
	case "logo":
		key, ch.Brand.LogoKey = p.LogoKey, ""
	case "icon":
		key, ch.Brand.IconKey = p.IconKey, ""
	default:
		return badRequest("Say what to remove: the logo or the icon.")
	}
	if _, err := s.Store.SetBrand(c.Request().Context(), p.ID, ch); err != nil {
		return err
	}
	if key != "" {
		if err := s.Blobs.Delete(c.Request().Context(), key); err != nil {
			s.Log.Warn("old brand file left behind", "key", key, "err", err)
		}
	}
	s.Log.Info("branding changed", "provider", p.ID, "by", en.User.ID, "removed", c.FormValue("what"))
	return c.Redirect(http.StatusSeeOther, "/settings/branding?saved=1")
}

// readBrandingForm is the page's fields as typed, with the saved logo and icon.
func readBrandingForm(c echo.Context, old store.Provider) store.BrandChange {
	color := func(name string) string { return strings.ToLower(strings.TrimSpace(c.FormValue(name))) }
	welcome := strings.TrimSpace(strings.ReplaceAll(c.FormValue("welcome"), "\r\n", "\n"))
	b := store.Brand{
		LogoKey: old.LogoKey, IconKey: old.IconKey,
		PrimaryColor: color("primary_color"), AccentColor: color("accent_color"),
		Contact:    strings.TrimSpace(c.FormValue("contact")),
		BannerText: strings.TrimSpace(c.FormValue("banner_text")),
		BannerLink: strings.TrimSpace(c.FormValue("banner_link")),
		Welcome:    welcome,
		PatchIcon:  c.FormValue("patch_icon") == "1",
	}
	return store.BrandChange{Name: strings.TrimSpace(c.FormValue("name")), Slug: strings.ToLower(strings.TrimSpace(c.FormValue("slug"))), Brand: b}
}

// formFile is the file chosen for a field, nil when none was.
func formFile(form *multipart.Form, name string) *multipart.FileHeader {
	if form == nil || len(form.File[name]) == 0 || form.File[name][0].Size == 0 && form.File[name][0].Filename == "" {
		return nil
	}
	return form.File[name][0]
}

// checkUpload runs a branding check on an uploaded file.
func checkUpload[T any](fh *multipart.FileHeader, check func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := fh.Open()
	if err != nil {
		return zero, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	return check(f)
}

func (s *Server) renderBranding(c echo.Context, en engineer, ch store.BrandChange, status int, msg string, saved bool) error {
	before, after, _ := strings.Cut(s.Config.ProviderURL("subdomainmarker"), "subdomainmarker")
	cur := en.Provider
	v := templates.Branding{
		Page: s.shellPage(c, s.speak(c, en).T("admin_branding_title"), en),
		Name: ch.Name, Slug: ch.Slug, Address: s.providerURL(cur), AddressBefore: before, AddressAfter: after,
		PrimaryColor: ch.Brand.PrimaryColor, AccentColor: ch.Brand.AccentColor,
		Contact: ch.Brand.Contact, BannerText: ch.Brand.BannerText, BannerLink: ch.Brand.BannerLink, Welcome: ch.Brand.Welcome,
		PatchIcon: ch.Brand.PatchIcon, Engineer: en.User.Name,
		WindowsFile: agentFileName(ch.Name, "windows"),
		MaxName:     store.MaxProviderName, MinSubdomain: store.MinSubdomain, MaxSubdomain: store.MaxSubdomain,
		MaxContact: store.MaxBrandContact, MaxBanner: store.MaxBannerText, MaxBannerLink: store.MaxBannerLink, MaxWelcome: store.MaxWelcome,
		MaxLogo: "2 MB", MaxLogoSide: branding.MaxLogoSide, MaxIcon: "1 MB", MaxIconSide: branding.MaxIconSide,
		Error: msg, Saved: saved,
	}
	// The files shown are the saved ones: a refused upload changed nothing.
	current := brandOf(cur)
	v.LogoURL, v.IconURL = current.LogoURL, current.IconURL
	v.DefaultLanguage, v.LanguageSaved = cur.DefaultLanguage, c.QueryParam("language") == "saved"
	return s.render(c, status, templates.BrandingView(v))
}

// limitBrandingBody bounds the branding form's body before anything reads it: the CSRF check reads the
// form, files included, before the handler runs. A body declared too large is refused at once with the
// limits; one that grows too large while read fails to parse and saves nothing.
func limitBrandingBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		// The Remove buttons post the same form (files chosen included) to /settings/branding/remove.
		if r.Method != http.MethodPost || (r.URL.Path != "/settings/branding" && r.URL.Path != "/settings/branding/remove") {
			return next(c)
		}
		if r.ContentLength > maxBrandingForm {
			// Before the handler: the reader's choice (cookie) or browser says the language.
			chosen := ""
			if ck, err := c.Cookie(langCookie); err == nil {
				chosen = ck.Value
			}
			loc, _ := locales.For(chosen, r.Header.Get("Accept-Language"))
			return &httpError{status: http.StatusRequestEntityTooLarge, heading: loc.T("admin_err_upload_large_h"), message: loc.T("admin_err_upload_large")}
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxBrandingForm)
		return next(c)
	}
}
