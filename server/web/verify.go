package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/blob"
	"tether/server/store"
	"tether/templates"
)

// Verification is what the public "check who is helping you" page needs from the database.
type Verification interface {
	UsersByEmployeeNo(ctx context.Context, providerID, number string) ([]store.User, error)
	HasOpenSession(ctx context.Context, providerID, userID string) (bool, error)
}

// Rates of employee-number checks. Employee numbers are short and often sequential, so a list of a
// provider's staff must not be read off this page: one address may check 10 numbers and then one every
// 30 s, an IPv6 /64 20 and then one every 15 s, and a provider's whole page 60 and then one every 3 s.
// A 4-digit range then takes one address over three days, and even many addresses half a day, while a
// help desk's customers, who check once or twice, never notice. Codes spend the code page's budgets
// (codeBudgets): a code found here is a code found there.
var (
	rateVerifyAddr     = store.Rate{Every: 30 * time.Second, Burst: 10}
	rateVerifyNet      = store.Rate{Every: 15 * time.Second, Burst: 20}
	rateVerifyProvider = store.Rate{Every: 3 * time.Second, Burst: 60}
)

// verifyBudgets are the budgets one employee-number check takes from: the address, its /64 for IPv6,
// and the provider.
func verifyBudgets(ip, providerID string) []budget {
	b := []budget{{"verify:addr:" + ip, rateVerifyAddr}}
	if a, err := netip.ParseAddr(ip); err == nil && !a.Unmap().Is4() {
		b = append(b, budget{"verify:net:" + clientKey(ip), rateVerifyNet})
	}
	return append(b, budget{"verify:provider:" + providerID, rateVerifyProvider})
}

// verifySite is the provider whose verification page was asked for. The server's own address has no
// engineers to show: a customer checks on their provider's address.
func (s *Server) verifySite(c echo.Context) (site, error) {
	st, err := s.siteOf(c)
	if err != nil {
		return site{}, err
	}
	if !st.Own() {
		return site{}, notFound("Check who is helping you on your support provider's own page: its address is on their website or in their emails.")
	}
	return st, nil
}

// verifyPage is the public page where a customer checks who is helping them: by the code of their
// session (is this engineer in my session now?) or by an employee number (who is this, do they still
// work here, are they in any session now?). One neutral answer covers every number or code the
// provider does not have; another provider's engineers and sessions are never found.
func (s *Server) verifyPage(c echo.Context) error {
	st, err := s.verifySite(c)
	if err != nil {
		return err
	}
	p := st.Provider
	loc := s.localizer(c, "", p.DefaultLanguage)
	page := s.page(c, loc.T("verify_title"), brandOf(p))
	page.Lang, page.T = loc.Lang(), loc.T
	v := templates.Verify{Page: page, Action: st.Prefix + "/verify", Provider: p.Name,
		Code: strings.TrimSpace(c.QueryParam("code")), Number: strings.TrimSpace(c.QueryParam("no")), MaxNumber: store.MaxLookupEmployeeNo}
	status := http.StatusOK
	switch {
	case c.QueryParams().Has("code"):
		v.By = templates.VerifyByCode
		status, err = s.verifyCode(c, st, &v)
	case c.QueryParams().Has("no"):
		v.By = templates.VerifyByNumber
		status, err = s.verifyNumber(c, st, &v)
	}
	if err != nil {
		return err
	}
	return s.render(c, status, templates.VerifyView(v))
}

// verifyCode answers for a session code: the engineer of the live session holding it on this address.
func (s *Server) verifyCode(c echo.Context, st site, v *templates.Verify) (int, error) {
	spent, err := s.spend(c, "verify code", codeBudgets(c.RealIP())...)
	if err != nil || spent != nil {
		return s.verifyLimited(v, err)
	}
	code, ok := auth.NormalizeCode(v.Code)
	if !ok {
		return s.verifyNotFound(c, v)
	}
	ctx := c.Request().Context()
	sess, err := s.Store.SessionByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!st.owns(sess.ProviderID) ||
		(sess.State == store.StateWaiting && !s.Now().Before(sess.ExpiresAt)))) {
		return s.verifyNotFound(c, v)
	}
	if err != nil {
		return 0, err
	}
	v.Code = auth.FormatCode(code)
	if sess.EngineerID == "" {
		// A customer's request nobody accepted yet: genuine, but nobody to name.
		v.Result = &templates.VerifyResult{Presence: templates.PresenceQueued}
		return http.StatusOK, nil
	}
	u, err := s.Store.UserByID(ctx, st.Provider.ID, sess.EngineerID)
	if err != nil {
		return 0, err
	}
	r := s.verifyPerson(st, u)
	switch sess.State {
	case store.StateActive:
		r.Presence = templates.PresenceWithYou
	case store.StateJoined:
		r.Presence = templates.PresenceJoined
	default:
		r.Presence = templates.PresenceInvited
	}
	v.Result = &r
	return http.StatusOK, nil
}

// verifyNumber answers for an employee number: who has it at this provider, whether they still work
// there, and whether they have any session open now (not whether it is the customer's: the page says
// so, and offers the code for that).
func (s *Server) verifyNumber(c echo.Context, st site, v *templates.Verify) (int, error) {
	spent, err := s.spend(c, "verify number", verifyBudgets(c.RealIP(), st.Provider.ID)...)
	if err != nil || spent != nil {
		return s.verifyLimited(v, err)
	}
	if !utf8.ValidString(v.Number) || len(v.Number) > store.MaxLookupEmployeeNo {
		return s.verifyNotFound(c, v)
	}
	ctx := c.Request().Context()
	users, err := s.Store.UsersByEmployeeNo(ctx, st.Provider.ID, v.Number)
	if errors.Is(err, store.ErrNotFound) {
		return s.verifyNotFound(c, v)
	}
	if err != nil {
		return 0, err
	}
	for _, u := range users {
		r := s.verifyPerson(st, u)
		switch open, err := s.Store.HasOpenSession(ctx, st.Provider.ID, u.ID); {
		case err != nil:
			return 0, err
		case u.Disabled():
			r.Presence = templates.PresenceGone
		case open:
			r.Presence = templates.PresenceBusy
		default:
			r.Presence = templates.PresenceFree
		}
		v.People = append(v.People, r)
	}
	return http.StatusOK, nil
}

// verifyPerson is what the page shows of a user, with links on the address st: a deactivated one only
// by name.
func (s *Server) verifyPerson(st site, u store.User) templates.VerifyResult {
	r := templates.VerifyResult{Name: u.Name, Initials: initials(u)}
	if u.Disabled() {
		return r
	}
	r.Department, r.EmployeeNo = u.Department, u.EmployeeNo
	if u.PhotoKey != "" {
		r.PhotoURL = st.Prefix + "/verify/photo/" + u.ID + "." + s.photoMAC(u)
	}
	return r
}

// initials are the letters of the person's first and last name, for a face without a photo.
func initials(u store.User) string {
	var out []rune
	for _, part := range []string{u.FirstName, u.LastName} {
		for _, r := range strings.TrimSpace(part) {
			out = append(out, r)
			break
		}
	}
	if len(out) == 0 {
		for _, word := range strings.Fields(u.Name) {
			for _, r := range word {
				out = append(out, r)
				break
			}
			if len(out) == 2 {
				break
			}
		}
	}
	return strings.ToUpper(string(out))
}

func (s *Server) verifyNotFound(c echo.Context, v *templates.Verify) (int, error) {
	s.Log.Info("verify attempt found nothing", "addr", c.RealIP())
	v.NotFound = true
	return http.StatusNotFound, nil
}

func (s *Server) verifyLimited(v *templates.Verify, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	v.Limited = true
	return http.StatusTooManyRequests, nil
}

// photoMAC binds a photo's URL to the user and the photo: only a verification answer hands it out,
// and a new photo gets a new URL (so a browser may keep one for good).
func (s *Server) photoMAC(u store.User) string {
	return s.derive("tether verify photo v1", u.ProviderID+"\x00"+u.ID+"\x00"+u.PhotoKey)
}

// photoTypes are the image types a profile photo is served as; anything else in the blob is not.
var photoTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true, "image/gif": true}

// verifyPhoto serves an engineer's profile photo on their provider's address, from the link a
// verification answer made. Another provider's address, a deactivated engineer, a changed photo or a
// wrong link answer 404.
func (s *Server) verifyPhoto(c echo.Context) error {
	st, err := s.verifySite(c)
	if err != nil {
		return err
	}
	id, mac, ok := strings.Cut(c.Param("ref"), ".")
	if !ok || id == "" || mac == "" {
		return store.ErrNotFound
	}
	ctx := c.Request().Context()
	u, err := s.Store.UserByID(ctx, st.Provider.ID, id)
	if err != nil {
		return err
	}
	if u.Disabled() || u.PhotoKey == "" || subtle.ConstantTimeCompare([]byte(mac), []byte(s.photoMAC(u))) != 1 {
		return store.ErrNotFound
	}
	f, info, err := s.Blobs.Open(ctx, u.PhotoKey)
	if errors.Is(err, blob.ErrNotFound) {
		return store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("profile photo: %w", err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := f.Read(head)
	ctype := http.DetectContentType(head[:n])
	if !photoTypes[ctype] {
		s.Log.Warn("profile photo is not an image this page serves", "user", u.ID, "type", ctype)
		return store.ErrNotFound
	}
	if _, err := f.Seek(0, 0); err != nil {
		return fmt.Errorf("profile photo: %w", err)
	}
	h := c.Response().Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	// The URL names the photo (a new photo has a new one); private: no shared cache keeps staff photos.
	h.Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(c.Response(), c.Request(), "", info.ModTime, f)
	return nil
}

// verifyURL is the verification page on the provider's address with a session's code filled in, for
// the invitation page and the support program. On the provider's own address it keeps to the form the
// page was opened on (/p/acme or the subdomain).
func (s *Server) verifyURL(st site, p store.Provider, code string) string {
	base := s.providerURL(p)
	if st.Own() {
		base = st.Prefix
	}
	return base + "/verify?code=" + code
}
