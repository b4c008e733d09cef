package web

import (
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/store"
	"tether/templates"
)

// totpKey is the key TOTP secrets are sealed with in the database, derived from the server's secret: a
// copy of the database alone does not give anyone's second factor.
func (s *Server) totpKey() ([]byte, error) { return auth.DeriveKey(s.Secret, "totp secret v1") }

func (s *Server) sealTOTP(userID, secret string) (string, error) {
	k, err := s.totpKey()
	if err != nil {
		return "", err
	}
	return auth.SealSecret(k, userID, secret)
}

func (s *Server) openTOTP(u store.User) (string, error) {
	k, err := s.totpKey()
	if err != nil {
		return "", err
	}
	return auth.OpenSecret(k, u.ID, u.TOTPSecret)
}

// twoFactorEnrolPage starts an enrolment: a new secret, stored sealed and not yet on, shown as a QR code
// and as text. Every visit makes a new one, so a secret shown once on a screen is never the one that ends
// up in use unless it was confirmed.
func (s *Server) twoFactorEnrolPage(c echo.Context, en engineer) error {
	if en.User.TwoFactor() {
		return c.Redirect(http.StatusSeeOther, "/profile#profile-2fa")
	}
	return s.renderEnrol(c, en, http.StatusOK, "", "")
}

// renderEnrol shows the enrolment of secret, or of a new secret (stored) when secret is "".
func (s *Server) renderEnrol(c echo.Context, en engineer, status int, msgID, secret string) error {
	var e auth.TOTPEnrolment
	var err error
	if secret != "" {
		e, err = auth.TOTPFor(en.Provider.Name, en.User.Email, secret)
	} else if e, err = auth.NewTOTP(en.Provider.Name, en.User.Email); err == nil {
		var sealed string
		if sealed, err = s.sealTOTP(en.User.ID, e.Secret); err == nil {
			err = s.Store.StartTOTP(c.Request().Context(), en.User.ID, sealed)
		}
	}
	if err != nil {
		return err
	}
	png, err := e.QR(200)
	if err != nil {
		return err
	}
	v := templates.TwoFactorEnrol{Page: s.shellPage(c, "", en), Secret: auth.GroupSecret(e.Secret),
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), Required: en.Provider.Require2FA}
	v.Title = v.Say("profile_enrol_title")
	if msgID != "" {
		v.Error = v.Say(msgID)
	}
	return s.render(c, status, templates.TwoFactorEnrolView(v))
}

// twoFactorConfirm turns two-factor sign-in on when the code matches the secret being enrolled, and
// shows the recovery codes once.
func (s *Server) twoFactorConfirm(c echo.Context, en engineer) error {
	ctx := c.Request().Context()
	if en.User.TwoFactor() {
		return c.Redirect(http.StatusSeeOther, "/profile#profile-2fa")
	}
	if en.User.TOTPSecret == "" {
		return c.Redirect(http.StatusSeeOther, "/profile/2fa")
	}
	secret, err := s.openTOTP(en.User)
	if err != nil {
		return err
	}
	step, ok := auth.CheckTOTP(secret, c.FormValue("code"), s.Now(), 0)
	if !ok {
		// The same secret again: the app already holds it.
		return s.renderEnrol(c, en, http.StatusBadRequest, "profile_enrol_wrong_code", secret)
	}
	codes, hashes := auth.NewRecoveryCodes()
	err = s.Store.EnableTOTP(ctx, en.User.ID, en.User.TOTPSecret, step, hashes)
	if errors.Is(err, store.ErrNotAllowed) {
		return s.renderEnrol(c, en, http.StatusConflict, "profile_enrol_changed", "")
	}
	if err != nil {
		return err
	}
	s.Log.Info("two-factor sign-in turned on", "user", en.User.ID)
	v := templates.RecoveryCodesPage{Page: s.shellPage(c, "", en), Codes: codes, Fresh: true}
	v.Title = v.Say("profile_codes_title")
	return s.render(c, http.StatusOK, templates.RecoveryCodesView(v))
}

// twoFactorRecovery replaces the recovery codes (password required) and shows the new ones once.
func (s *Server) twoFactorRecovery(c echo.Context, en engineer) error {
	if !en.User.TwoFactor() {
		return c.Redirect(http.StatusSeeOther, "/profile#profile-2fa")
	}
	if !s.checkCurrent(c, en) {
		return s.twoFactorRefused(c, en, "profile_err_current_password")
	}
	codes, hashes := auth.NewRecoveryCodes()
	if err := s.Store.NewRecoveryCodes(c.Request().Context(), en.User.ID, hashes); err != nil {
		return err
	}
	s.Log.Info("recovery codes replaced", "user", en.User.ID)
	v := templates.RecoveryCodesPage{Page: s.shellPage(c, "", en), Codes: codes}
	v.Title = v.Say("profile_codes_title")
	return s.render(c, http.StatusOK, templates.RecoveryCodesView(v))
}

// twoFactorDisable turns two-factor sign-in off: the password and a current code (or a recovery code),
// so that a browser left signed in is not enough. Refused while the provider requires it.
func (s *Server) twoFactorDisable(c echo.Context, en engineer) error {
	if !en.User.TwoFactor() {
		return c.Redirect(http.StatusSeeOther, "/profile#profile-2fa")
	}
	if en.Provider.Require2FA {
		return s.twoFactorRefused(c, en, "profile_2fa_required_keep")
	}
	if !s.checkCurrent(c, en) {
		return s.twoFactorRefused(c, en, "profile_err_current_password")
	}
	ok, err := s.secondFactor(c, en.User, c.FormValue("code"))
	if err != nil {
		return err
	}
	if !ok {
		return s.twoFactorRefused(c, en, "profile_err_code")
	}
	if err := s.Store.DisableTOTP(c.Request().Context(), en.User.ID); err != nil {
		return err
	}
	s.Log.Info("two-factor sign-in turned off", "user", en.User.ID)
	return c.Redirect(http.StatusSeeOther, "/profile?saved=2fa_off#profile-2fa")
}

func (s *Server) twoFactorRefused(c echo.Context, en engineer, id string) error {
	v, err := s.profileView(c, en)
	if err != nil {
		return err
	}
	v.TwoFactorError = v.Say(id)
	return s.render(c, http.StatusBadRequest, templates.ProfileView(v))
}

// secondFactor checks a code from the authenticator app, or a recovery code, for u. An accepted app code
// uses up its 30-second step and a recovery code is spent, each in one conditional write, so neither works
// twice, even on two instances at once.
func (s *Server) secondFactor(c echo.Context, u store.User, code string) (bool, error) {
	ctx := c.Request().Context()
	if !u.TwoFactor() {
		return false, nil
	}
	if _, ok := auth.NormalizeRecoveryCode(code); ok {
		return s.Store.UseRecoveryCode(ctx, u.ID, auth.HashRecoveryCode(code))
	}
	secret, err := s.openTOTP(u)
	if err != nil {
		return false, err
	}
	step, ok := auth.CheckTOTP(secret, code, s.Now(), u.TOTPLastStep)
	if !ok {
		return false, nil
	}
	return s.Store.UseTOTPStep(ctx, u.ID, step)
}

// teamTwoFactorOff turns off a member's two-factor sign-in (Team → Manage), for someone who lost their
// phone and their recovery codes; the rules of who manages whom are the team's (store.CanManage).
func (s *Server) teamTwoFactorOff(c echo.Context, en engineer) error {
	u, err := s.Store.ResetTwoFactor(c.Request().Context(), en.Provider.ID, en.User.ID, c.Param("id"))
	if err != nil {
		return s.teamRefusal(c, en, err, teamExtras{})
	}
	s.Log.Info("two-factor sign-in turned off by an admin", "provider", en.Provider.ID, "by", en.User.ID, "user", u.ID)
	return teamDone(c, "2fa_off", u.ID)
}
