package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"tether/server/protocol"
)

// ProviderSummary is one provider as the operator's page lists it: the provider with its owner and
// how much of each quota it uses.
type ProviderSummary struct {
	Provider
	OwnerName  string
	OwnerEmail string
	// Engineers counts active users of any role; LiveSessions sessions not yet ended (waiting
	// requests included); Desks every desk. These are what the quotas bound.
	Engineers    int
	LiveSessions int
	Desks        int
}

// ListProviders returns every provider, oldest first, with its owner and usage. It is for the server's
// operator only: the one query that crosses tenants on purpose.
func (s *Store) ListProviders(ctx context.Context) ([]ProviderSummary, error) {
	var ps []Provider
	if err := s.db.NewSelect().Model(&ps).OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list providers: %w", err)
	}
	type count struct {
		ProviderID string `bun:"provider_id"`
		N          int    `bun:"n"`
	}
	counts := func(model any, where string, args ...any) (map[string]int, error) {
		var rows []count
		q := s.db.NewSelect().Model(model).Column("provider_id").ColumnExpr("COUNT(*) AS n").Group("provider_id")
		if where != "" {
			q = q.Where(where, args...)
		}
		if err := q.Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("store: provider usage: %w", err)
		}
		m := make(map[string]int, len(rows))
		for _, r := range rows {
			m[r.ProviderID] = r.N
		}
		return m, nil
	}
	engineers, err := counts((*User)(nil), "disabled_at IS NULL")
	if err != nil {
		return nil, err
	}
	live, err := counts((*Session)(nil), "state <> ?", StateEnded)
	if err != nil {
		return nil, err
	}
	desks, err := counts((*Desk)(nil), "")
	if err != nil {
		return nil, err
	}
	var owners []User
	if err := s.db.NewSelect().Model(&owners).Where("role = ?", RoleOwner).OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: provider owners: %w", err)
	}
	owner := make(map[string]User, len(owners))
	for _, u := range owners {
		if _, seen := owner[u.ProviderID]; !seen {
			owner[u.ProviderID] = u
		}
	}
	out := make([]ProviderSummary, 0, len(ps))
	for _, p := range ps {
		o := owner[p.ID]
		out = append(out, ProviderSummary{Provider: p, OwnerName: o.Name, OwnerEmail: o.Email,
			Engineers: engineers[p.ID], LiveSessions: live[p.ID], Desks: desks[p.ID]})
	}
	return out, nil
}

// MaxQuota bounds each quota the operator may set; 0 is no limit.
const MaxQuota = 100000

// Validate checks that every quota is between 0 (no limit) and MaxQuota.
func (q Quotas) Validate() error {
	for _, v := range []struct {
		n    int
		what string
	}{{q.MaxEngineers, "engineers"}, {q.MaxSessions, "concurrent sessions"}, {q.MaxDesks, "desks"}} {
		if v.n < 0 || v.n > MaxQuota {
			return fmt.Errorf("%w: the quota of %s must be a whole number from 0 (no limit) to %d", ErrInvalidArgument, v.what, MaxQuota)
		}
	}
	return nil
}

// SetQuotas sets a provider's quotas. Lowering a quota below what the provider already uses takes
// nothing away; it only refuses new engineers, sessions or desks until the provider is under it.
func (s *Store) SetQuotas(ctx context.Context, providerID string, q Quotas) error {
	if err := q.Validate(); err != nil {
		return err
	}
	res, err := s.db.NewUpdate().Model((*Provider)(nil)).
		Set("max_engineers = ?", q.MaxEngineers).Set("max_sessions = ?", q.MaxSessions).Set("max_desks = ?", q.MaxDesks).
		Where("id = ?", providerID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: set quotas: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set quotas: %w", err)
	} else if n == 0 {
		return fmt.Errorf("provider %q: %w", providerID, ErrNotFound)
	}
	return nil
}

// DisableProvider disables a provider in one transaction: it is marked disabled, every sign-in of its
// users is deleted and every session of it not yet ended ends with protocol.EndProviderDisabled. It
// returns the token hashes of the sign-ins and the sessions it ended, so that the caller closes their
// connections. Disabling a disabled provider ends whatever is still live and changes nothing else.
func (s *Store) DisableProvider(ctx context.Context, providerID string) (loginHashes []string, ended []Session, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		loginHashes, ended = nil, nil
		var p Provider
		if err := tx.NewSelect().Model(&p).Column("id", "disabled_at").Where("id = ?", providerID).Scan(ctx); err != nil {
			return notFound(err, "provider")
		}
		if !p.Disabled() {
			if _, err := tx.NewUpdate().Model((*Provider)(nil)).Set("disabled_at = ?", s.now()).Where("id = ?", providerID).Exec(ctx); err != nil {
				return fmt.Errorf("store: disable provider: %w", err)
			}
		}
		users := tx.NewSelect().Model((*User)(nil)).Column("id").Where("provider_id = ?", providerID)
		if err := tx.NewSelect().Model((*Login)(nil)).Column("token_hash").Where("user_id IN (?)", users).Scan(ctx, &loginHashes); err != nil {
			return fmt.Errorf("store: provider's sign-ins: %w", err)
		}
		if _, err := tx.NewDelete().Model((*Login)(nil)).Where("user_id IN (?)", users).Exec(ctx); err != nil {
			return fmt.Errorf("store: end provider's sign-ins: %w", err)
		}
		from := []State{StateWaiting, StateJoined, StateActive}
		var live []Session
		if err := tx.NewSelect().Model(&live).Where("provider_id = ? AND state IN (?)", providerID, bun.List(from)).
			OrderExpr("created_at, id").Scan(ctx); err != nil {
			return fmt.Errorf("store: provider's live sessions: %w", err)
		}
		for _, cur := range live {
			after, ok, err := s.end(ctx, tx, cur, protocol.EndProviderDisabled, ActorSystem, from)
			if err != nil {
				return err
			}
			if ok {
				ended = append(ended, after)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return loginHashes, ended, nil
}

// SignupOpen reports whether the operator opened self-service sign-up of new providers.
func (s *Store) SignupOpen(ctx context.Context) (bool, error) {
	var open []bool
	if err := s.db.NewSelect().Table("installation").Column("signup_open").Where("id = 1").Scan(ctx, &open); err != nil {
		return false, fmt.Errorf("store: sign-up open: %w", err)
	}
	return len(open) == 1 && open[0], nil
}

// SetSignupOpen opens or closes self-service sign-up. ErrNotFound before setup.
func (s *Store) SetSignupOpen(ctx context.Context, open bool) error {
	res, err := s.db.NewUpdate().Table("installation").Set("signup_open = ?", open).Where("id = 1").Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: set sign-up open: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set sign-up open: %w", err)
	} else if n == 0 {
		return fmt.Errorf("installation: %w", ErrNotFound)
	}
	return nil
}

// Signup is a self-service sign-up waiting for its owner to confirm the email address.
type Signup struct {
	bun.BaseModel `bun:"table:signups,alias:su"`

	TokenHash    string    `bun:"token_hash,pk"` // hex sha256 of the link's token; never the token
	ProviderName string    `bun:"provider_name,notnull"`
	OwnerName    string    `bun:"owner_name,notnull"`
	Email        string    `bun:"email,notnull"`
	PasswordHash string    `bun:"password_hash,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
	ExpiresAt    time.Time `bun:"expires_at,notnull"`
}

// CreateSignup records a sign-up until su.ExpiresAt; CreatedAt is filled in and the email normalised.
func (s *Store) CreateSignup(ctx context.Context, su Signup) error {
	su.Email = NormalizeEmail(su.Email)
	if su.TokenHash == "" || su.Email == "" || su.PasswordHash == "" || strings.TrimSpace(su.ProviderName) == "" || su.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: a sign-up needs a token hash, company, email, password and expiry", ErrInvalidArgument)
	}
	su.CreatedAt, su.ExpiresAt = s.now(), utc(su.ExpiresAt)
	if _, err := s.db.NewInsert().Model(&su).Exec(ctx); err != nil {
		return fmt.Errorf("store: insert sign-up: %w", err)
	}
	return nil
}

// SignupByToken returns the pending sign-up with this token hash; ErrNotFound if there is none or it
// expired.
func (s *Store) SignupByToken(ctx context.Context, tokenHash string) (Signup, error) {
	var su Signup
	if err := s.db.NewSelect().Model(&su).Where("token_hash = ? AND expires_at > ?", tokenHash, s.now()).Scan(ctx); err != nil {
		return Signup{}, notFound(err, "sign-up")
	}
	return su, nil
}

// ConfirmSignup creates the provider and owner of a pending sign-up and deletes it, in one transaction:
// a link opened twice (two tabs, two instances) creates one provider, the second gets ErrNotFound.
func (s *Store) ConfirmSignup(ctx context.Context, tokenHash string) (Provider, User, error) {
	var p Provider
	var u User
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var su Signup
		if err := tx.NewSelect().Model(&su).Where("token_hash = ? AND expires_at > ?", tokenHash, s.now()).Scan(ctx); err != nil {
			return notFound(err, "sign-up")
		}
		n, err := tx.NewDelete().Model((*Signup)(nil)).Where("token_hash = ?", tokenHash).Exec(ctx)
		if err != nil {
			return fmt.Errorf("store: delete sign-up: %w", err)
		}
		if k, err := n.RowsAffected(); err != nil {
			return fmt.Errorf("store: delete sign-up: %w", err)
		} else if k == 0 {
			return fmt.Errorf("sign-up: %w", ErrNotFound)
		}
		p, u, err = s.insertProvider(ctx, tx, false, su.ProviderName, su.OwnerName, su.Email, su.PasswordHash)
		return err
	})
	if err != nil {
		return Provider{}, User{}, err
	}
	return p, u, nil
}

// CreatePasswordLink records a one-time link for userID to choose a password, until expires: the owner
// of a provider the operator created. It is an account token of kind TokenReset, used up as any reset
// link is (ResetPassword), and replaces the user's earlier ones.
func (s *Store) CreatePasswordLink(ctx context.Context, tokenHash, userID string, expires time.Time) error {
	if tokenHash == "" || userID == "" {
		return fmt.Errorf("%w: a password link needs a token hash and a user", ErrInvalidArgument)
	}
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u, err := s.userWhere(ctx, tx, "id = ?", userID)
		if err != nil {
			return err
		}
		if err := deleteResets(ctx, tx, u.ID); err != nil {
			return err
		}
		t := AccountToken{
			ID: NewID(), TokenHash: tokenHash, Kind: TokenReset, ProviderID: u.ProviderID, UserID: u.ID, Email: u.Email,
			Name: u.Name, DeskIDs: []string{}, CreatedBy: ActorOperator, CreatedAt: s.now(), ExpiresAt: utc(expires),
		}
		if _, err := tx.NewInsert().Model(&t).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert password link: %w", err)
		}
		return nil
	})
}

// ActorOperator is who made an account token the server's operator made.
const ActorOperator = "operator"

// PasswordLinkUser returns the active user a password link is for; ErrNotFound if the link does not
// exist, was used, expired, or its user was deactivated.
func (s *Store) PasswordLinkUser(ctx context.Context, tokenHash string) (User, error) {
	t, err := s.AccountTokenByHash(ctx, TokenReset, tokenHash)
	if err != nil {
		return User{}, err
	}
	return s.activeUser(ctx, s.db, t.ProviderID, t.UserID)
}

// PurgeExpiredSignups deletes sign-ups past their expiry and reports how many went.
func (s *Store) PurgeExpiredSignups(ctx context.Context) (int64, error) {
	var total int64
	for _, table := range []string{"signups"} {
		res, err := s.db.NewDelete().Table(table).Where("expires_at <= ?", s.now()).Exec(ctx)
		if err != nil {
			return total, fmt.Errorf("store: purge %s: %w", table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("store: purge %s: %w", table, err)
		}
		total += n
	}
	return total, nil
}
