package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Role is what a user may do within their provider.
type Role string

// Roles.
const (
	RoleOwner    Role = "owner"
	RoleAdmin    Role = "admin"
	RoleEngineer Role = "engineer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleEngineer
}

// User is a person signing in to the web UI: an engineer, admin or owner of one provider.
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID         string `bun:"id,pk"`
	ProviderID string `bun:"provider_id,notnull"`
	// Email is trimmed and lowercased, unique within the provider. A person who works for two
	// providers has an account with each, with its own password and role.
	Email        string    `bun:"email,notnull"`
	Name         string    `bun:"name,notnull"`
	PasswordHash string    `bun:"password_hash,notnull"`
	Role         Role      `bun:"role,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
	// DisabledAt is when the user was deactivated; nil while they may sign in.
	DisabledAt *time.Time `bun:"disabled_at"`
	// Operator: the server operator (the account setup created), who manages providers.
	Operator bool `bun:"operator,notnull"`
	// LastSignInAt is when the user last signed in; nil if never.
	LastSignInAt *time.Time `bun:"last_sign_in_at"`
	Profile      `bun:"embed:"`
	Security     `bun:"embed:"`
	// NotifyColumns: what the user chose to be told about (notify.go; read with NotifyPrefs).
	NotifyColumns `bun:"embed:"`
}

// Profile is what a user tells about themselves. Name stays the display name every page uses; first
// and last name, employee number and department are shown to customers, so that they can check who
// helps them.
type Profile struct {
	FirstName  string `bun:"first_name,notnull"`
	LastName   string `bun:"last_name,notnull"`
	EmployeeNo string `bun:"employee_no,notnull"`
	Department string `bun:"department,notnull"`
	// Country is an ISO 3166-1 alpha-2 code, "" when not given.
	Country string `bun:"country,notnull"`
	// Language is a static/locales language tag ("de"), "" to follow the browser.
	Language string `bun:"language,notnull"`
	// TimeZone is an IANA zone name ("Europe/Berlin"), "" for the server's zone.
	TimeZone string `bun:"time_zone,notnull"`
	// Clock12h shows times as "3:04 PM" rather than "15:04".
	Clock12h bool `bun:"clock_12h,notnull"`
	// PhotoKey is the profile photo in the blob store, "" for none.
	PhotoKey string `bun:"photo_key,notnull"`
	// TourDismissedAt is when the user dismissed the first-sign-in tour; nil shows it.
	TourDismissedAt *time.Time `bun:"tour_dismissed_at"`
}

// Zone is the user's time zone: their own when it is a zone this server knows, else the server's.
func (p Profile) Zone() *time.Location {
	if p.TimeZone != "" {
		if loc, err := time.LoadLocation(p.TimeZone); err == nil {
			return loc
		}
	}
	return time.Local
}

// Disabled reports whether the user was deactivated.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// DisableUser deactivates a user of the provider: they can no longer sign in, and every sign-in they had
// ends. It returns the token hashes of those sign-ins, so that open connections made with them can be
// closed at once.
func (s *Store) DisableUser(ctx context.Context, providerID, id string) ([]string, error) {
	var hashes []string
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		hashes, err = s.disableUser(ctx, tx, providerID, id)
		return err
	})
	return hashes, err
}

func (s *Store) disableUser(ctx context.Context, tx bun.Tx, providerID, id string) ([]string, error) {
	var hashes []string
	res, err := tx.NewUpdate().Model((*User)(nil)).Set("disabled_at = ?", s.now()).
		Where("id = ? AND provider_id = ? AND disabled_at IS NULL", id, providerID).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: disable user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("store: disable user: %w", err)
	} else if n == 0 {
		if _, err := s.userWhere(ctx, tx, "id = ? AND provider_id = ?", id, providerID); err != nil {
			return nil, err
		}
	}
	if err := tx.NewSelect().Model((*Login)(nil)).Column("token_hash").Where("user_id = ?", id).Scan(ctx, &hashes); err != nil {
		return nil, fmt.Errorf("store: user's sign-ins: %w", err)
	}
	if _, err := tx.NewDelete().Model((*Login)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: end user's sign-ins: %w", err)
	}
	return hashes, nil
}

func (s *Store) userWhere(ctx context.Context, db bun.IDB, where string, args ...any) (User, error) {
	var u User
	if err := db.NewSelect().Model(&u).Where(where, args...).Scan(ctx); err != nil {
		return User{}, notFound(err, "user")
	}
	return u, nil
}

// NormalizeEmail is the form emails are stored and looked up in.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// MaxAccountsPerEmail bounds how many providers' accounts one email is looked up in at sign-in (each
// costs a password check).
const MaxAccountsPerEmail = 10

// UsersByEmail returns the accounts with this email, case-insensitively, in every provider, oldest
// first, at most MaxAccountsPerEmail.
func (s *Store) UsersByEmail(ctx context.Context, email string) ([]User, error) {
	users := []User{}
	err := s.db.NewSelect().Model(&users).Where("email = ?", NormalizeEmail(email)).
		OrderExpr("created_at, id").Limit(MaxAccountsPerEmail).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: users by email: %w", err)
	}
	return users, nil
}

// UserByEmail finds the provider's user with this email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, providerID, email string) (User, error) {
	return s.userWhere(ctx, s.db, "provider_id = ? AND email = ?", providerID, NormalizeEmail(email))
}

// UserByID returns a user of the given provider.
func (s *Store) UserByID(ctx context.Context, providerID, id string) (User, error) {
	return s.userWhere(ctx, s.db, "id = ? AND provider_id = ?", id, providerID)
}

// CreateUser adds a user to u.ProviderID and makes them a member of the given desks, which must belong
// to the same provider (ErrNotFound otherwise). ID and CreatedAt are filled in; an empty role means
// engineer. ErrEmailTaken if the email is in use.
func (s *Store) CreateUser(ctx context.Context, u User, deskIDs ...string) (User, error) {
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		u, err = s.insertUser(ctx, tx, u, deskIDs...)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

func (s *Store) insertUser(ctx context.Context, tx bun.Tx, u User, deskIDs ...string) (User, error) {
	u.Email = NormalizeEmail(u.Email)
	if u.Email == "" || u.ProviderID == "" {
		return User{}, fmt.Errorf("%w: user needs an email and a provider", ErrInvalidArgument)
	}
	if u.Role == "" {
		u.Role = RoleEngineer
	}
	if !u.Role.Valid() {
		return User{}, fmt.Errorf("%w: role %q", ErrInvalidArgument, u.Role)
	}
	if u.ID == "" {
		u.ID = NewID()
	}
	u.CreatedAt = s.now()
	quotas, err := providerQuotas(ctx, tx, u.ProviderID)
	if err != nil {
		return User{}, err
	}
	active := tx.NewSelect().Model((*User)(nil)).Where("provider_id = ? AND disabled_at IS NULL", u.ProviderID)
	if err := checkQuota(ctx, active, quotas.MaxEngineers, "engineers"); err != nil {
		return User{}, err
	}
	if _, err := tx.NewInsert().Model(&u).Exec(ctx); err != nil {
		if uniqueViolation(err, "users_provider_email_uidx", "users.provider_id, users.email") {
			return User{}, ErrEmailTaken
		}
		return User{}, fmt.Errorf("store: insert user: %w", err)
	}
	for _, deskID := range deskIDs {
		if err := addDeskMember(ctx, tx, u.ProviderID, deskID, u.ID); err != nil {
			return User{}, err
		}
	}
	return u, nil
}
