package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"tether/server/auth"
	"tether/server/branding"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// Profiles is what the profile page, two-factor sign-in, password recovery and account deletion need
// from the database (profile*.go, signin_2fa.go, forgot.go).
type Profiles interface {
	UpdateProfile(ctx context.Context, providerID, userID string, p store.Profile) (store.User, error)
	SetPhoto(ctx context.Context, providerID, userID, key string) (string, error)
	ChangePassword(ctx context.Context, userID, passwordHash, keep string) ([]string, error)
	EndOtherLogins(ctx context.Context, userID, keep string) ([]string, error)
	UserLogins(ctx context.Context, userID string) ([]store.Login, error)
	EndUserLogin(ctx context.Context, userID, tokenHash string) error
	NoteLogin(ctx context.Context, tokenHash, userAgent, address string) error
	TouchLogin(ctx context.Context, tokenHash, address string, every time.Duration) error
	StartTOTP(ctx context.Context, userID, sealed string) error
	EnableTOTP(ctx context.Context, userID, sealed string, step int64, codeHashes []string) error
	NewRecoveryCodes(ctx context.Context, userID string, codeHashes []string) error
	UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	UseRecoveryCode(ctx context.Context, userID, codeHash string) (bool, error)
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)
	DisableTOTP(ctx context.Context, userID string) error
	SetRequire2FA(ctx context.Context, providerID string, on bool) error
	CreateSelfReset(ctx context.Context, providerID, userID, tokenHash string, expires time.Time) (store.AccountToken, error)
	DeleteAccount(ctx context.Context, providerID, userID string) ([]string, string, error)
	ResetTwoFactor(ctx context.Context, providerID, actorID, targetID string) (store.User, error)
}

// profileView is the profile page as stored, for the signed-in user.
func (s *Server) profileView(c echo.Context, en engineer) (templates.ProfilePage, error) {
	ctx := c.Request().Context()
	u := en.User
	v := templates.ProfilePage{
		Page: s.shellPage(c, "", en),
		Form: templates.ProfileForm{FirstName: u.FirstName, LastName: u.LastName, EmployeeNo: u.EmployeeNo,
			Department: u.Department, Country: u.Country, Language: u.Language, TimeZone: u.TimeZone, Clock12h: u.Clock12h},
		Email: u.Email, Role: string(u.Role), Zones: timeZones, TwoFactor: u.TwoFactor(),
		Required: en.Provider.Require2FA, Owner: u.Role == store.RoleOwner,
	}
	v.Title = v.Say("profile_title")
	if v.Form.FirstName == "" && v.Form.LastName == "" {
		// Accounts from before profiles have only a display name: offer it split at the last space.
		v.Form.FirstName, v.Form.LastName = splitName(u.Name)
	}
	if u.PhotoKey != "" {
		v.PhotoURL = photoURL(u.PhotoKey)
	}
	v.Countries = countryOptions(v.Language())
	for _, t := range locales.Languages {
		v.Languages = append(v.Languages, templates.Option{Value: t.String(), Label: display.Self.Name(t)})
	}
	if u.TwoFactor() {
		v.TwoFactorSince = *u.TOTPEnabledAt
		n, err := s.Store.RecoveryCodesLeft(ctx, u.ID)
		if err != nil {
			return v, err
		}
		v.RecoveryLeft = n
	}
	logins, err := s.Store.UserLogins(ctx, u.ID)
	if err != nil {
		return v, err
	}
	for _, l := range logins {
		seen := l.CreatedAt
		if l.LastSeenAt != nil {
			seen = *l.LastSeenAt
		}
		v.SignIns = append(v.SignIns, templates.ProfileSignIn{
			ID: signInID(l.TokenHash), Device: deviceOf(l.UserAgent, v.Say("profile_device_unknown")), Address: l.Address,
			SignedIn: l.CreatedAt, LastSeen: seen, Current: l.TokenHash == en.LoginHash,
		})
	}
	return v, nil
}

// splitName splits a display name at its last space: "Erin van Dyke" → "Erin van", "Dyke".
func splitName(name string) (first, last string) {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexByte(name, ' '); i > 0 {
		return name[:i], name[i+1:]
	}
	return name, ""
}

// countryOptions are the countries with their names in lang, sorted as that language sorts.
func countryOptions(lang string) []templates.Option {
	tag := language.Make(lang)
	names := display.Regions(tag)
	out := make([]templates.Option, 0, len(countryCodes))
	for _, code := range countryCodes {
		label := code
		if r, err := language.ParseRegion(code); err == nil {
			if n := names.Name(r); n != "" {
				label = n
			}
		}
		out = append(out, templates.Option{Value: code, Label: label})
	}
	col := collate.New(tag)
	slices.SortFunc(out, func(a, b templates.Option) int { return col.CompareString(a.Label, b.Label) })
	return out
}

func (s *Server) profilePage(c echo.Context, en engineer) error {
	v, err := s.profileView(c, en)
	if err != nil {
		return err
	}
	if saved := c.QueryParam("saved"); slices.Contains([]string{"profile", "photo", "photo_removed", "password", "signins", "signin", "2fa_off"}, saved) {
		v.Saved = saved
	}
	return s.render(c, http.StatusOK, templates.ProfileView(v))
}

// profileSubmit saves the profile form. A refused field is named next to it and everything typed stays.
func (s *Server) profileSubmit(c echo.Context, en engineer) error {
	v, err := s.profileView(c, en)
	if err != nil {
		return err
	}
	f := templates.ProfileForm{
		FirstName: cleanLine(c.FormValue("first_name")), LastName: cleanLine(c.FormValue("last_name")),
		EmployeeNo: cleanLine(c.FormValue("employee_no")), Department: cleanLine(c.FormValue("department")),
		Country: strings.TrimSpace(c.FormValue("country")), Language: strings.TrimSpace(c.FormValue("language")),
		TimeZone: strings.TrimSpace(c.FormValue("time_zone")), Clock12h: c.FormValue("clock") == "12",
	}
	v.Form = f
	v.FieldErrors = checkProfile(f, v.Page)
	if len(v.FieldErrors) > 0 {
		return s.render(c, http.StatusBadRequest, templates.ProfileView(v))
	}
	_, err = s.Store.UpdateProfile(c.Request().Context(), en.Provider.ID, en.User.ID, store.Profile{
		FirstName: f.FirstName, LastName: f.LastName, EmployeeNo: f.EmployeeNo, Department: f.Department,
		Country: f.Country, Language: f.Language, TimeZone: f.TimeZone, Clock12h: f.Clock12h,
	})
	if err != nil {
		return err
	}
	s.Log.Info("profile saved", "provider", en.Provider.ID, "user", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/profile?saved=profile")
}

// cleanLine trims a one-line field and folds runs of white space into one space.
func cleanLine(v string) string { return strings.Join(strings.Fields(v), " ") }

// checkProfile names each refused field of f with the reason, in the page's language.
func checkProfile(f templates.ProfileForm, p templates.Page) map[string]string {
	bad := map[string]string{}
	text := func(name, v string, max int, required bool) {
		switch {
		case v == "" && required:
			bad[name] = p.Say("profile_err_required")
		case utf8.RuneCountInString(v) > max:
			bad[name] = p.Say("profile_err_too_long", map[string]any{"Max": max})
		case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == '<' || r == '>' }) >= 0:
			bad[name] = p.Say("profile_err_characters")
		}
	}
	text("first_name", f.FirstName, store.MaxPersonName, true)
	text("last_name", f.LastName, store.MaxPersonName, false)
	text("employee_no", f.EmployeeNo, store.MaxEmployeeNo, false)
	text("department", f.Department, store.MaxDepartment, false)
	if _, ok := bad["employee_no"]; !ok && strings.IndexFunc(f.EmployeeNo, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_./ ", r)
	}) >= 0 {
		bad["employee_no"] = p.Say("profile_err_employee_no")
	}
	if f.Country != "" && !slices.Contains(countryCodes, f.Country) {
		bad["country"] = p.Say("profile_err_choice")
	}
	if f.Language != "" && !slices.ContainsFunc(locales.Languages, func(t language.Tag) bool { return t.String() == f.Language }) {
		bad["language"] = p.Say("profile_err_choice")
	}
	if f.TimeZone != "" {
		if _, err := time.LoadLocation(f.TimeZone); err != nil || !slices.Contains(timeZones, f.TimeZone) {
			bad["time_zone"] = p.Say("profile_err_zone")
		}
	}
	return bad
}

// photoPrefix is where profile photos live in the blob store; the rest of the key is a random token,
// which is also the photo's public name: customers see engineers' photos (the verification page), and
// nobody can list or guess them.
const photoPrefix = "photos/"

func photoURL(key string) string { return "/" + key }

// profilePhoto stores a new photo: checked and re-encoded by branding.CheckPhoto, under a new random
// name; the old one is deleted.
func (s *Server) profilePhoto(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	refuse := func(id string) error {
		v, err := s.profileView(c, en)
		if err != nil {
			return err
		}
		v.PhotoError = v.Say(id, map[string]any{"MB": branding.MaxPhotoBytes >> 20})
		return s.render(c, http.StatusBadRequest, templates.ProfileView(v))
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, branding.MaxPhotoBytes+64<<10)
	fh, err := c.FormFile("photo")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return refuse("profile_photo_too_large")
		}
		return refuse("profile_photo_missing")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := branding.CheckPhoto(f)
	switch {
	case errors.Is(err, branding.ErrPhotoEmpty):
		return refuse("profile_photo_missing")
	case errors.Is(err, branding.ErrPhotoTooLarge):
		return refuse("profile_photo_too_large")
	case errors.Is(err, branding.ErrPhotoFormat):
		return refuse("profile_photo_format")
	case errors.Is(err, branding.ErrPhotoPixels):
		return refuse("profile_photo_pixels")
	case errors.Is(err, branding.ErrPhotoDamaged):
		return refuse("profile_photo_damaged")
	case err != nil:
		return err
	}
	key := photoPrefix + auth.NewToken() + ".jpg"
	if _, err := s.Blobs.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return err
	}
	old, err := s.Store.SetPhoto(ctx, en.Provider.ID, en.User.ID, key)
	if err != nil {
		_ = s.Blobs.Delete(context.WithoutCancel(ctx), key)
		return err
	}
	s.deletePhoto(ctx, old)
	s.Log.Info("profile photo saved", "provider", en.Provider.ID, "user", en.User.ID, "bytes", len(data))
	return c.Redirect(http.StatusSeeOther, "/profile?saved=photo")
}

func (s *Server) profilePhotoRemove(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	old, err := s.Store.SetPhoto(ctx, en.Provider.ID, en.User.ID, "")
	if err != nil {
		return err
	}
	s.deletePhoto(ctx, old)
	return c.Redirect(http.StatusSeeOther, "/profile?saved=photo_removed")
}

func (s *Server) deletePhoto(ctx context.Context, key string) {
	if key == "" {
		return
	}
	if err := s.Blobs.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.Log.Error("delete old profile photo", "key", key, "err", err)
	}
}

// photoShow serves a profile photo by its random name.
func (s *Server) photoShow(c echo.Context) error {
	name := c.Param("name")
	tok, ok := strings.CutSuffix(name, ".jpg")
	if !ok || len(tok) != 32 || strings.Trim(tok, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		return store.ErrNotFound
	}
	f, info, err := s.Blobs.Open(c.Request().Context(), photoPrefix+name)
	if err != nil {
		return store.ErrNotFound
	}
	defer f.Close()
	h := c.Response().Header()
	// A new photo gets a new name, so a name never changes what it shows.
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Type", "image/jpeg")
	http.ServeContent(c.Response(), c.Request(), "", info.ModTime, f)
	return nil
}

// engineerCard is how customers' pages introduce u.
func engineerCard(u store.User) *templates.EngineerCard {
	e := &templates.EngineerCard{Name: u.Name, EmployeeNo: u.EmployeeNo, Department: u.Department,
		FirstName: u.FirstName, LastName: u.LastName}
	if e.FirstName == "" && e.LastName == "" {
		e.FirstName, e.LastName = splitName(u.Name)
	}
	if u.PhotoKey != "" {
		e.PhotoURL = photoURL(u.PhotoKey)
	}
	return e
}
