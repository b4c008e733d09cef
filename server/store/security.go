package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Security is a user's two-factor sign-in state (issue 10).
type Security struct {
	// TOTPSecret is the TOTP secret sealed with a key derived from the server's secret (auth.SealSecret);
	// "" when none is set.
	TOTPSecret string `bun:"totp_secret,notnull"`
	// TOTPEnabledAt is when the user confirmed two-factor sign-in; nil while it is off (a secret without it
	// is an enrolment not yet confirmed).
	TOTPEnabledAt *time.Time `bun:"totp_enabled_at"`
	// TOTPLastStep is the 30-second step of the last code accepted: a code of that step or an earlier one
	// is refused, so a code seen over a shoulder cannot be used again.
	TOTPLastStep int64 `bun:"totp_last_step,notnull"`
	// DeletedAt is when the user deleted their account; the row stays, scrubbed, for session history.
	DeletedAt *time.Time `bun:"deleted_at"`
}

// TwoFactor reports whether the user signs in with a code after the password.
func (s Security) TwoFactor() bool { return s.TOTPEnabledAt != nil && s.TOTPSecret != "" }

// RecoveryCode is one single-use code that replaces the authenticator's code at sign-in.
type RecoveryCode struct {
	bun.BaseModel `bun:"table:recovery_codes,alias:rc"`

	ID        string     `bun:"id,pk"`
	UserID    string     `bun:"user_id,notnull"`
	CodeHash  string     `bun:"code_hash,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

// Profile limits, in characters.
const (
	MaxPersonName = 50
	MaxEmployeeNo = 30
	MaxDepartment = 60
)

// UpdateProfile saves what the user tells about themselves; the display name becomes "first last".
// The caller validates the values (web: profileForm).
func (s *Store) UpdateProfile(ctx context.Context, providerID, userID string, p Profile) (User, error) {
	name := strings.TrimSpace(p.FirstName + " " + p.LastName)
	if name == "" {
		return User{}, fmt.Errorf("%w: a name is required", ErrInvalidArgument)
	}
	res, err := s.db.NewUpdate().Model((*User)(nil)).
		Set("first_name = ?", p.FirstName).Set("last_name = ?", p.LastName).Set("name = ?", name).
		Set("employee_no = ?", p.EmployeeNo).Set("department = ?", p.Department).Set("country = ?", p.Country).
		Set("language = ?", p.Language).Set("time_zone = ?", p.TimeZone).Set("clock_12h = ?", p.Clock12h).
		Where("id = ? AND provider_id = ? AND disabled_at IS NULL", userID, providerID).Exec(ctx)
	if err := oneRow(res, err, "update profile"); err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, providerID, userID)
}

// SetPhoto records the user's photo key ("" removes it) and returns the key it replaces, for the caller
// to delete from the blob store.
func (s *Store) SetPhoto(ctx context.Context, providerID, userID, key string) (string, error) {
	var old string
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u, err := s.userWhere(ctx, tx, "id = ? AND provider_id = ? AND disabled_at IS NULL", userID, providerID)
		if err != nil {
			return err
		}
		old = u.PhotoKey
		_, err = tx.NewUpdate().Model((*User)(nil)).Set("photo_key = ?", key).Where("id = ?", userID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: set photo: %w", err)
		}
		return nil
	})
	return old, err
}

// ChangePassword sets the user's password hash and ends every sign-in of theirs but keep (the one the
// change was made in). It returns the token hashes of the ended sign-ins.
func (s *Store) ChangePassword(ctx context.Context, userID, passwordHash, keep string) ([]string, error) {
	var ended []string
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*User)(nil)).Set("password_hash = ?", passwordHash).
			Where("id = ? AND disabled_at IS NULL", userID).Exec(ctx)
		if err := oneRow(res, err, "set password"); err != nil {
			return err
		}
		ended, err = endLogins(ctx, tx, userID, keep)
		return err
	})
	return ended, err
}

// endLogins deletes the user's sign-ins except keep and returns their token hashes.
func endLogins(ctx context.Context, tx bun.Tx, userID, keep string) ([]string, error) {
	var hashes []string
	if err := tx.NewSelect().Model((*Login)(nil)).Column("token_hash").
		Where("user_id = ? AND token_hash <> ?", userID, keep).Scan(ctx, &hashes); err != nil {
		return nil, fmt.Errorf("store: user's sign-ins: %w", err)
	}
	if _, err := tx.NewDelete().Model((*Login)(nil)).Where("user_id = ? AND token_hash <> ?", userID, keep).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: end sign-ins: %w", err)
	}
	return hashes, nil
}

// EndOtherLogins signs the user out everywhere but keep and returns the ended sign-ins' token hashes.
func (s *Store) EndOtherLogins(ctx context.Context, userID, keep string) ([]string, error) {
	var ended []string
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		ended, err = endLogins(ctx, tx, userID, keep)
		return err
	})
	return ended, err
}

// UserLogins lists the user's sign-ins that have not expired, most recently seen first.
func (s *Store) UserLogins(ctx context.Context, userID string) ([]Login, error) {
	logins := []Login{}
	err := s.db.NewSelect().Model(&logins).Where("user_id = ? AND expires_at > ?", userID, s.now()).
		OrderExpr("COALESCE(last_seen_at, created_at) DESC, created_at DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: user's sign-ins: %w", err)
	}
	return logins, nil
}

// EndUserLogin ends one of the user's own sign-ins; ErrNotFound for anyone else's.
func (s *Store) EndUserLogin(ctx context.Context, userID, tokenHash string) error {
	res, err := s.db.NewDelete().Model((*Login)(nil)).Where("user_id = ? AND token_hash = ?", userID, tokenHash).Exec(ctx)
	return oneRow(res, err, "end sign-in")
}

// NoteLogin records where a sign-in was made from: the browser's User-Agent and the client's address.
func (s *Store) NoteLogin(ctx context.Context, tokenHash, userAgent, address string) error {
	if len(userAgent) > 512 {
		userAgent = userAgent[:512]
	}
	_, err := s.db.NewUpdate().Model((*Login)(nil)).Set("user_agent = ?", userAgent).Set("address = ?", address).
		Set("last_seen_at = ?", s.now()).Where("token_hash = ?", tokenHash).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: note sign-in: %w", err)
	}
	return nil
}

// TouchLogin notes that the sign-in was used now, at most once per every (a page view writes nothing
// when the last note is recent).
func (s *Store) TouchLogin(ctx context.Context, tokenHash, address string, every time.Duration) error {
	now := s.now()
	// Read first: on SQLite even an UPDATE that changes no row takes the database's write lock, and this
	// runs on every signed-in page.
	stale, err := s.db.NewSelect().Model((*Login)(nil)).
		Where("token_hash = ? AND (last_seen_at IS NULL OR last_seen_at < ?)", tokenHash, now.Add(-every)).Count(ctx)
	if err != nil {
		return fmt.Errorf("store: touch sign-in: %w", err)
	}
	if stale == 0 {
		return nil
	}
	_, err = s.db.NewUpdate().Model((*Login)(nil)).Set("last_seen_at = ?", now).Set("address = ?", address).
		Where("token_hash = ? AND (last_seen_at IS NULL OR last_seen_at < ?)", tokenHash, now.Add(-every)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: touch sign-in: %w", err)
	}
	return nil
}

// StartTOTP stores a new, not yet confirmed secret (sealed) for the user. ErrNotAllowed when two-factor
// sign-in is already on: it is turned off first.
func (s *Store) StartTOTP(ctx context.Context, userID, sealed string) error {
	res, err := s.db.NewUpdate().Model((*User)(nil)).Set("totp_secret = ?", sealed).
		Where("id = ? AND totp_enabled_at IS NULL AND disabled_at IS NULL", userID).Exec(ctx)
	if n, _ := rowsAffected(res, err); err == nil && n == 0 {
		return notAllowed("two-factor sign-in is already on")
	}
	return oneRow(res, err, "start two-factor")
}

// EnableTOTP confirms the enrolment of sealed (the secret the user's code was checked against, so that
// an enrolment restarted in another tab cannot be confirmed with the old code), records step as used and
// replaces the user's recovery codes with codeHashes.
func (s *Store) EnableTOTP(ctx context.Context, userID, sealed string, step int64, codeHashes []string) error {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*User)(nil)).Set("totp_enabled_at = ?", s.now()).Set("totp_last_step = ?", step).
			Where("id = ? AND totp_secret = ? AND totp_enabled_at IS NULL", userID, sealed).Exec(ctx)
		if n, _ := rowsAffected(res, err); err == nil && n == 0 {
			return notAllowed("the enrolment changed; start again")
		}
		if err := oneRow(res, err, "enable two-factor"); err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, userID, codeHashes, s.now())
	})
}

func replaceRecoveryCodes(ctx context.Context, tx bun.Tx, userID string, codeHashes []string, now time.Time) error {
	if _, err := tx.NewDelete().Model((*RecoveryCode)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("store: delete recovery codes: %w", err)
	}
	if len(codeHashes) == 0 {
		return nil
	}
	codes := make([]RecoveryCode, len(codeHashes))
	for i, h := range codeHashes {
		codes[i] = RecoveryCode{ID: NewID(), UserID: userID, CodeHash: h, CreatedAt: now}
	}
	if _, err := tx.NewInsert().Model(&codes).Exec(ctx); err != nil {
		return fmt.Errorf("store: insert recovery codes: %w", err)
	}
	return nil
}

// NewRecoveryCodes replaces the user's recovery codes (two-factor sign-in must be on).
func (s *Store) NewRecoveryCodes(ctx context.Context, userID string, codeHashes []string) error {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := s.userWhere(ctx, tx, "id = ? AND totp_enabled_at IS NOT NULL", userID); err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, userID, codeHashes, s.now())
	})
}

// UseTOTPStep records that a code of step was accepted, unless a code of that step or a later one was
// accepted before: false then (a replay). One conditional write, so two instances cannot both accept it.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res, err := s.db.NewUpdate().Model((*User)(nil)).Set("totp_last_step = ?", step).
		Where("id = ? AND totp_last_step < ?", userID, step).Exec(ctx)
	n, err := rowsAffected(res, err)
	if err != nil {
		return false, fmt.Errorf("store: use two-factor code: %w", err)
	}
	return n == 1, nil
}

// UseRecoveryCode spends one of the user's unused recovery codes; false when there is no such unused code.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, codeHash string) (bool, error) {
	res, err := s.db.NewUpdate().Model((*RecoveryCode)(nil)).Set("used_at = ?", s.now()).
		Where("user_id = ? AND code_hash = ? AND used_at IS NULL", userID, codeHash).Exec(ctx)
	n, err := rowsAffected(res, err)
	if err != nil {
		return false, fmt.Errorf("store: use recovery code: %w", err)
	}
	return n == 1, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	n, err := s.db.NewSelect().Model((*RecoveryCode)(nil)).Where("user_id = ? AND used_at IS NULL", userID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: count recovery codes: %w", err)
	}
	return int(n), nil
}

// DisableTOTP turns two-factor sign-in off and deletes the secret and the recovery codes.
func (s *Store) DisableTOTP(ctx context.Context, userID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*User)(nil)).Set("totp_secret = ''").Set("totp_enabled_at = NULL").
			Set("totp_last_step = 0").Where("id = ?", userID).Exec(ctx)
		if err := oneRow(res, err, "disable two-factor"); err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, userID, nil, s.now())
	})
}

// SetRequire2FA turns the provider's "everyone signs in with two factors" rule on or off.
func (s *Store) SetRequire2FA(ctx context.Context, providerID string, on bool) error {
	res, err := s.db.NewUpdate().Model((*Provider)(nil)).Set("require_2fa = ?", on).Where("id = ?", providerID).Exec(ctx)
	return oneRow(res, err, "require two-factor")
}

// CreateSelfReset makes a password-reset link the user asked for themselves ("Forgot password?"),
// replacing any unused one. ErrNotFound for a deactivated or deleted user.
func (s *Store) CreateSelfReset(ctx context.Context, providerID, userID, tokenHash string, expires time.Time) (AccountToken, error) {
	var t AccountToken
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u, err := s.activeUser(ctx, tx, providerID, userID)
		if err != nil {
			return err
		}
		if err := deleteResets(ctx, tx, u.ID); err != nil {
			return err
		}
		t = AccountToken{
			ID: NewID(), TokenHash: tokenHash, Kind: TokenReset, ProviderID: providerID, UserID: u.ID, Email: u.Email,
			Name: u.Name, DeskIDs: []string{}, CreatedBy: u.ID, CreatedAt: s.now(), ExpiresAt: utc(expires),
		}
		if _, err := tx.NewInsert().Model(&t).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert reset: %w", err)
		}
		return nil
	})
	return t, err
}

// DeleteAccount deletes the user's own account. The owner cannot (ErrNotAllowed): ownership goes to
// someone else first. The row stays, scrubbed of everything but the name, deactivated and marked
// deleted, so that the sessions they ran keep "who helped" in their history (support_sessions and events
// reference it); their sign-ins, links, recovery codes and desk memberships go. It returns the ended
// sign-ins' token hashes and the photo key to delete.
func (s *Store) DeleteAccount(ctx context.Context, providerID, userID string) ([]string, string, error) {
	var ended []string
	var photo string
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u, err := s.activeUser(ctx, tx, providerID, userID)
		if err != nil {
			return err
		}
		if u.Role == RoleOwner {
			return notAllowed("the owner cannot delete their account; transfer ownership first")
		}
		photo = u.PhotoKey
		now := s.now()
		_, err = tx.NewUpdate().Model((*User)(nil)).
			Set("email = ?", "deleted-"+u.ID+"@deleted.invalid").Set("password_hash = ''").
			Set("disabled_at = ?", now).Set("deleted_at = ?", now).Set("employee_no = ''").Set("department = ''").
			Set("country = ''").Set("photo_key = ''").Set("totp_secret = ''").Set("totp_enabled_at = NULL").
			Where("id = ?", u.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: delete account: %w", err)
		}
		if ended, err = endLogins(ctx, tx, u.ID, ""); err != nil {
			return err
		}
		if err := replaceRecoveryCodes(ctx, tx, u.ID, nil, now); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*AccountToken)(nil)).Where("user_id = ?", u.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: delete account links: %w", err)
		}
		if _, err := tx.NewDelete().TableExpr("desk_members").Where("user_id = ?", u.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: leave desks: %w", err)
		}
		return nil
	})
	return ended, photo, err
}

func rowsAffected(res interface{ RowsAffected() (int64, error) }, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// oneRow turns an update that changed no row into ErrNotFound.
func oneRow(res interface{ RowsAffected() (int64, error) }, err error, what string) error {
	n, err := rowsAffected(res, err)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// ResetTwoFactor turns off a team member's two-factor sign-in, as actor (CanManage): for someone who lost
// both their phone and their recovery codes. They sign in with the password alone until they set it up
// again (or are sent to, when the provider requires it).
func (s *Store) ResetTwoFactor(ctx context.Context, providerID, actorID, targetID string) (User, error) {
	var target User
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if _, target, err = s.actorAndTarget(ctx, tx, providerID, actorID, targetID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("totp_secret = ''").Set("totp_enabled_at = NULL").
			Set("totp_last_step = 0").Where("id = ?", target.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: reset two-factor: %w", err)
		}
		return replaceRecoveryCodes(ctx, tx, target.ID, nil, s.now())
	})
	if err != nil {
		return User{}, err
	}
	target.TOTPSecret, target.TOTPEnabledAt, target.TOTPLastStep = "", nil, 0
	return target, nil
}
