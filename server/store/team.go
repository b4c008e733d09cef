package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// ErrNotAllowed: the acting user may not do this to that account (a rule of the team, not a missing
// row). The wrapped message says why in words for the page.
var ErrNotAllowed = errors.New("store: not allowed")

func notAllowed(msg string) error { return fmt.Errorf("%w: %s", ErrNotAllowed, msg) }

// rank orders roles: each manages only the roles below it.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleEngineer:
		return 1
	}
	return 0
}

// CanManage reports whether actor may deactivate, reactivate, reset the password of or change the role
// of target (both of the same provider): the owner manages admins and engineers, admins manage
// engineers, nobody manages the owner or themselves. The error wraps ErrNotAllowed with the reason.
func CanManage(actor, target User) error {
	switch {
	case actor.ProviderID != target.ProviderID:
		return fmt.Errorf("user %q: %w", target.ID, ErrNotFound)
	case actor.ID == target.ID:
		return notAllowed("you cannot change your own account here")
	case target.Role == RoleOwner:
		return notAllowed(target.Name + " is the owner: transfer ownership to someone else first, then the account can be deactivated or changed")
	case actor.Role != RoleOwner && actor.Role != RoleAdmin:
		return notAllowed("only the owner and admins manage the team")
	case actor.Role.rank() <= target.Role.rank():
		return notAllowed("only the owner can change an admin's account")
	}
	return nil
}

// CanGrant reports whether actor may give someone the role r (by invitation or a role change): admins
// make engineers, only the owner makes admins, and ownership only moves by TransferOwnership.
func CanGrant(actor User, r Role) error {
	switch {
	case r != RoleAdmin && r != RoleEngineer:
		return fmt.Errorf("%w: role %q cannot be given", ErrInvalidArgument, r)
	case actor.Role != RoleOwner && actor.Role != RoleAdmin:
		return notAllowed("only the owner and admins manage the team")
	case r == RoleAdmin && actor.Role != RoleOwner:
		return notAllowed("only the owner can make admins")
	}
	return nil
}

// TokenKind is what an AccountToken lets its holder do.
type TokenKind string

// Token kinds.
const (
	// TokenInvite: join a provider as a new account (email, name, role and desks given by the admin).
	TokenInvite TokenKind = "invite"
	// TokenReset: set a new password for UserID.
	TokenReset TokenKind = "reset"
)

// AccountToken is a one-time link into an account. Only the sha256 of the token is stored.
type AccountToken struct {
	bun.BaseModel `bun:"table:account_tokens,alias:at"`

	ID         string    `bun:"id,pk"`
	TokenHash  string    `bun:"token_hash,notnull"`
	Kind       TokenKind `bun:"kind,notnull"`
	ProviderID string    `bun:"provider_id,notnull"`
	// UserID is whose password a reset sets; "" for an invitation.
	UserID string `bun:"user_id,nullzero"`
	Email  string `bun:"email,notnull"`
	// Name, Role and DeskIDs are what an invitation's account will be.
	Name      string     `bun:"name,notnull"`
	Role      Role       `bun:"role,notnull"`
	DeskIDs   []string   `bun:"desk_ids,notnull"`
	CreatedBy string     `bun:"created_by,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

// TeamMember is a user as the team page lists them, with their desks.
type TeamMember struct {
	User
	Desks []Desk
}

// ProviderDesks returns the provider's desks (not deleted), the default desk first, then by name: the
// choices of the team page, the console's new-session form and the portal's "Get help" form.
func (s *Store) ProviderDesks(ctx context.Context, providerID string) ([]Desk, error) {
	desks := []Desk{}
	if err := s.db.NewSelect().Model(&desks).Where("provider_id = ? AND deleted_at IS NULL", providerID).
		OrderExpr("is_default DESC, lower(name), id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: provider desks: %w", err)
	}
	return desks, nil
}

// TeamMembers returns the provider's users, active before deactivated, then by name, each with the desks
// they belong to.
func (s *Store) TeamMembers(ctx context.Context, providerID string) ([]TeamMember, error) {
	var users []User
	if err := s.db.NewSelect().Model(&users).Where("provider_id = ? AND deleted_at IS NULL", providerID).
		OrderExpr("disabled_at IS NOT NULL, lower(name), email").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: team members: %w", err)
	}
	var rows []struct {
		UserID string `bun:"user_id"`
		Desk
	}
	err := s.db.NewSelect().Model((*Desk)(nil)).ColumnExpr("dm.user_id").ColumnExpr("d.*").
		Join("JOIN desk_members AS dm ON dm.desk_id = d.id").
		Where("d.provider_id = ?", providerID).OrderExpr("d.is_default DESC, d.name, d.id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("store: team desks: %w", err)
	}
	byUser := map[string][]Desk{}
	for _, r := range rows {
		byUser[r.UserID] = append(byUser[r.UserID], r.Desk)
	}
	out := make([]TeamMember, len(users))
	for i, u := range users {
		out[i] = TeamMember{User: u, Desks: byUser[u.ID]}
	}
	return out, nil
}

// activeUser returns the provider's user id inside tx, refusing a deactivated one as unknown: a
// deactivated admin's request that raced their deactivation must change nothing.
func (s *Store) activeUser(ctx context.Context, tx bun.IDB, providerID, id string) (User, error) {
	return s.userWhere(ctx, tx, "id = ? AND provider_id = ? AND disabled_at IS NULL", id, providerID)
}

// actorAndTarget reads both users inside tx and checks that actor may manage target (CanManage).
func (s *Store) actorAndTarget(ctx context.Context, tx bun.Tx, providerID, actorID, targetID string) (User, User, error) {
	actor, err := s.activeUser(ctx, tx, providerID, actorID)
	if err != nil {
		return User{}, User{}, err
	}
	target, err := s.userWhere(ctx, tx, "id = ? AND provider_id = ? AND deleted_at IS NULL", targetID, providerID)
	if err != nil {
		return User{}, User{}, err
	}
	if err := CanManage(actor, target); err != nil {
		return User{}, User{}, err
	}
	return actor, target, nil
}

// checkSeats returns a *QuotaError when the provider's active users plus its pending (unused, unexpired)
// invitations reach the engineers quota, so that invitations cannot promise more seats than the plan has.
func (s *Store) checkSeats(ctx context.Context, tx bun.Tx, providerID string) error {
	quotas, err := providerQuotas(ctx, tx, providerID)
	if err != nil || quotas.MaxEngineers <= 0 {
		return err
	}
	active, err := tx.NewSelect().Model((*User)(nil)).Where("provider_id = ? AND disabled_at IS NULL", providerID).Count(ctx)
	if err != nil {
		return fmt.Errorf("store: count engineers: %w", err)
	}
	pending, err := tx.NewSelect().Model((*AccountToken)(nil)).
		Where("provider_id = ? AND kind = ? AND used_at IS NULL AND expires_at > ?", providerID, TokenInvite, s.now()).Count(ctx)
	if err != nil {
		return fmt.Errorf("store: count invitations: %w", err)
	}
	if active+pending >= int64(quotas.MaxEngineers) {
		return &QuotaError{What: "engineers", Limit: quotas.MaxEngineers}
	}
	return nil
}

// NewInvite is an invitation an owner or admin makes.
type NewInvite struct {
	ProviderID string
	// ActorID is who invites: an active owner or admin (CanGrant).
	ActorID string
	Email   string
	Name    string
	Role    Role // "" is engineer
	DeskIDs []string
	// TokenHash is the sha256 of the link's token; the token itself is never stored.
	TokenHash string
	Expires   time.Time
}

// CreateInvite records an invitation. A pending invitation to the same email is replaced (a new link
// makes the old one useless). ErrEmailTaken when the provider already has an account with the email;
// ErrNotFound for a desk of another provider; a *QuotaError when active users plus pending invitations
// reach the engineers quota; ErrNotAllowed when the actor may not give the role.
func (s *Store) CreateInvite(ctx context.Context, n NewInvite) (AccountToken, error) {
	email := NormalizeEmail(n.Email)
	if n.Role == "" {
		n.Role = RoleEngineer
	}
	if email == "" || n.TokenHash == "" {
		return AccountToken{}, fmt.Errorf("%w: an invitation needs an email and a token", ErrInvalidArgument)
	}
	inv := AccountToken{
		ID: NewID(), TokenHash: n.TokenHash, Kind: TokenInvite, ProviderID: n.ProviderID, Email: email,
		Name: n.Name, Role: n.Role, DeskIDs: []string{}, CreatedBy: n.ActorID, CreatedAt: s.now(), ExpiresAt: utc(n.Expires),
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		actor, err := s.activeUser(ctx, tx, n.ProviderID, n.ActorID)
		if err != nil {
			return err
		}
		if err := CanGrant(actor, n.Role); err != nil {
			return err
		}
		taken, err := tx.NewSelect().Model((*User)(nil)).Where("provider_id = ? AND email = ?", n.ProviderID, email).Exists(ctx)
		if err != nil {
			return fmt.Errorf("store: check email: %w", err)
		}
		if taken {
			return ErrEmailTaken
		}
		if _, err := tx.NewDelete().Model((*AccountToken)(nil)).
			Where("provider_id = ? AND kind = ? AND email = ? AND used_at IS NULL", n.ProviderID, TokenInvite, email).Exec(ctx); err != nil {
			return fmt.Errorf("store: replace invitation: %w", err)
		}
		if err := s.checkSeats(ctx, tx, n.ProviderID); err != nil {
			return err
		}
		for _, id := range n.DeskIDs {
			if slices.Contains(inv.DeskIDs, id) {
				continue
			}
			ok, err := tx.NewSelect().Model((*Desk)(nil)).Where("id = ? AND provider_id = ?", id, n.ProviderID).Exists(ctx)
			if err != nil {
				return fmt.Errorf("store: check desk: %w", err)
			}
			if !ok {
				return fmt.Errorf("desk %q: %w", id, ErrNotFound)
			}
			inv.DeskIDs = append(inv.DeskIDs, id)
		}
		if _, err := tx.NewInsert().Model(&inv).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert invitation: %w", err)
		}
		return nil
	})
	if err != nil {
		return AccountToken{}, err
	}
	return inv, nil
}

// Invites returns the provider's unused invitations, newest first, expired ones included (the team page
// shows them as expired until an admin removes or renews them).
func (s *Store) Invites(ctx context.Context, providerID string) ([]AccountToken, error) {
	invs := []AccountToken{}
	if err := s.db.NewSelect().Model(&invs).Where("provider_id = ? AND kind = ? AND used_at IS NULL", providerID, TokenInvite).
		OrderExpr("created_at DESC, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: invitations: %w", err)
	}
	return invs, nil
}

// RevokeInvite deletes an unused invitation of the provider; its link stops working at once. Only the
// owner revokes an invitation to become admin.
func (s *Store) RevokeInvite(ctx context.Context, providerID, actorID, id string) (AccountToken, error) {
	var inv AccountToken
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		actor, err := s.activeUser(ctx, tx, providerID, actorID)
		if err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&inv).Where("id = ? AND provider_id = ? AND kind = ? AND used_at IS NULL", id, providerID, TokenInvite).
			Scan(ctx); err != nil {
			return notFound(err, "invitation")
		}
		if err := CanGrant(actor, inv.Role); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*AccountToken)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("store: revoke invitation: %w", err)
		}
		return nil
	})
	return inv, err
}

// AccountTokenByHash returns the usable token of this kind: ErrNotFound when there is none, it was used,
// or it expired (the page tells them apart for nobody).
func (s *Store) AccountTokenByHash(ctx context.Context, kind TokenKind, tokenHash string) (AccountToken, error) {
	return s.usableToken(ctx, s.db, kind, tokenHash)
}

func (s *Store) usableToken(ctx context.Context, db bun.IDB, kind TokenKind, tokenHash string) (AccountToken, error) {
	var t AccountToken
	if err := db.NewSelect().Model(&t).Where("token_hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?", tokenHash, kind, s.now()).
		Scan(ctx); err != nil {
		return AccountToken{}, notFound(err, "account token")
	}
	return t, nil
}

// useToken finds the usable token and marks it used inside tx; of two requests racing with one token only
// one gets it, the other ErrNotFound.
func (s *Store) useToken(ctx context.Context, tx bun.Tx, kind TokenKind, tokenHash string) (AccountToken, error) {
	t, err := s.usableToken(ctx, tx, kind, tokenHash)
	if err != nil {
		return AccountToken{}, err
	}
	now := s.now()
	res, err := tx.NewUpdate().Model((*AccountToken)(nil)).Set("used_at = ?", now).Where("id = ? AND used_at IS NULL", t.ID).Exec(ctx)
	if err != nil {
		return AccountToken{}, fmt.Errorf("store: use account token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return AccountToken{}, fmt.Errorf("store: use account token: %w", err)
	} else if n != 1 {
		return AccountToken{}, fmt.Errorf("account token: %w", ErrNotFound)
	}
	t.UsedAt = &now
	return t, nil
}

// AcceptInvite uses an invitation: in one transaction it marks the link used and creates the account it
// describes with this name and password hash, in the desks that still exist. ErrNotFound for an unknown,
// used or expired link; ErrEmailTaken if the provider meanwhile has an account with the email; a
// *QuotaError over the engineers quota; ErrProviderDisabled. On any error the link stays usable.
func (s *Store) AcceptInvite(ctx context.Context, tokenHash, name, passwordHash string) (User, error) {
	var u User
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inv, err := s.useToken(ctx, tx, TokenInvite, tokenHash)
		if err != nil {
			return err
		}
		var desks []string
		if len(inv.DeskIDs) > 0 {
			if err := tx.NewSelect().Model((*Desk)(nil)).Column("id").
				Where("provider_id = ? AND id IN (?)", inv.ProviderID, bun.List(inv.DeskIDs)).Scan(ctx, &desks); err != nil {
				return fmt.Errorf("store: invitation desks: %w", err)
			}
		}
		u, err = s.insertUser(ctx, tx, User{ProviderID: inv.ProviderID, Email: inv.Email, Name: name, PasswordHash: passwordHash, Role: inv.Role}, desks...)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// CreateReset records a password-reset link for target, made by actor (CanManage), replacing any earlier
// unused one. A deactivated account gets none (ErrNotAllowed): reactivate it first.
func (s *Store) CreateReset(ctx context.Context, providerID, actorID, targetID, tokenHash string, expires time.Time) (AccountToken, User, error) {
	var t AccountToken
	var target User
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if _, target, err = s.actorAndTarget(ctx, tx, providerID, actorID, targetID); err != nil {
			return err
		}
		if target.Disabled() {
			return notAllowed(target.Name + " is deactivated; reactivate the account first")
		}
		if err := deleteResets(ctx, tx, target.ID); err != nil {
			return err
		}
		t = AccountToken{
			ID: NewID(), TokenHash: tokenHash, Kind: TokenReset, ProviderID: providerID, UserID: target.ID, Email: target.Email,
			Name: target.Name, DeskIDs: []string{}, CreatedBy: actorID, CreatedAt: s.now(), ExpiresAt: utc(expires),
		}
		if _, err := tx.NewInsert().Model(&t).Exec(ctx); err != nil {
			return fmt.Errorf("store: insert reset: %w", err)
		}
		return nil
	})
	if err != nil {
		return AccountToken{}, User{}, err
	}
	return t, target, nil
}

func deleteResets(ctx context.Context, tx bun.Tx, userID string) error {
	if _, err := tx.NewDelete().Model((*AccountToken)(nil)).Where("user_id = ? AND kind = ? AND used_at IS NULL", userID, TokenReset).Exec(ctx); err != nil {
		return fmt.Errorf("store: delete resets: %w", err)
	}
	return nil
}

// ResetPassword uses a reset link: in one transaction it marks it used, sets the user's password hash
// and ends every sign-in the user had. It returns the user and the token hashes of those sign-ins, so
// that connections made with them can be closed. ErrNotFound for an unknown, used or expired link, or a
// user deactivated since.
func (s *Store) ResetPassword(ctx context.Context, tokenHash, passwordHash string) (User, []string, error) {
	var u User
	var hashes []string
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := s.useToken(ctx, tx, TokenReset, tokenHash)
		if err != nil {
			return err
		}
		if u, err = s.activeUser(ctx, tx, t.ProviderID, t.UserID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("password_hash = ?", passwordHash).Where("id = ?", u.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		u.PasswordHash = passwordHash
		if err := tx.NewSelect().Model((*Login)(nil)).Column("token_hash").Where("user_id = ?", u.ID).Scan(ctx, &hashes); err != nil {
			return fmt.Errorf("store: user's sign-ins: %w", err)
		}
		if _, err := tx.NewDelete().Model((*Login)(nil)).Where("user_id = ?", u.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: end user's sign-ins: %w", err)
		}
		return nil
	})
	if err != nil {
		return User{}, nil, err
	}
	return u, hashes, nil
}

// ChangeRole makes target an admin or an engineer, as actor (CanManage and CanGrant).
func (s *Store) ChangeRole(ctx context.Context, providerID, actorID, targetID string, role Role) (User, error) {
	var target User
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		actor, t, err := s.actorAndTarget(ctx, tx, providerID, actorID, targetID)
		if err != nil {
			return err
		}
		if err := CanGrant(actor, role); err != nil {
			return err
		}
		target = t
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("role = ?", role).Where("id = ?", target.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: change role: %w", err)
		}
		target.Role = role
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return target, nil
}

// TransferOwnership makes target the provider's owner and the current owner (actorID) an admin, in one
// transaction that re-reads both: only the active owner transfers, only to an active user of the same
// provider.
func (s *Store) TransferOwnership(ctx context.Context, providerID, actorID, targetID string) (User, error) {
	var target User
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		owner, err := s.activeUser(ctx, tx, providerID, actorID)
		if err != nil {
			return err
		}
		if owner.Role != RoleOwner {
			return notAllowed("only the owner can transfer ownership")
		}
		if target, err = s.userWhere(ctx, tx, "id = ? AND provider_id = ?", targetID, providerID); err != nil {
			return err
		}
		switch {
		case target.ID == owner.ID:
			return notAllowed("you are the owner already")
		case target.Disabled():
			return notAllowed(target.Name + " is deactivated; only an active admin or engineer can become the owner")
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("role = ?", RoleAdmin).Where("id = ?", owner.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: step down owner: %w", err)
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("role = ?", RoleOwner).Where("id = ?", target.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: new owner: %w", err)
		}
		target.Role = RoleOwner
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return target, nil
}

// DeactivateUser deactivates target as actor (CanManage: never the owner, never oneself): they can no
// longer sign in, their sign-ins and unused reset links end. It returns the user and the token hashes of
// the sign-ins that ended (see DisableUser); the caller ends their live sessions (LiveSessionsOf).
func (s *Store) DeactivateUser(ctx context.Context, providerID, actorID, targetID string) (User, []string, error) {
	var target User
	var hashes []string
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if _, target, err = s.actorAndTarget(ctx, tx, providerID, actorID, targetID); err != nil {
			return err
		}
		if hashes, err = s.disableUser(ctx, tx, providerID, target.ID); err != nil {
			return err
		}
		return deleteResets(ctx, tx, target.ID)
	})
	if err != nil {
		return User{}, nil, err
	}
	return target, hashes, nil
}

// ReactivateUser lets a deactivated user sign in again, as actor (CanManage), within the engineers quota
// (active users plus pending invitations).
func (s *Store) ReactivateUser(ctx context.Context, providerID, actorID, targetID string) (User, error) {
	var target User
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if _, target, err = s.actorAndTarget(ctx, tx, providerID, actorID, targetID); err != nil {
			return err
		}
		if !target.Disabled() {
			return nil
		}
		if err := s.checkSeats(ctx, tx, providerID); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("disabled_at = NULL").Where("id = ?", target.ID).Exec(ctx); err != nil {
			return fmt.Errorf("store: reactivate user: %w", err)
		}
		target.DisabledAt = nil
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return target, nil
}

// LiveSessionsOf returns the ids of the provider's sessions of this engineer that have not ended.
func (s *Store) LiveSessionsOf(ctx context.Context, providerID, userID string) ([]string, error) {
	ids := []string{}
	if err := s.db.NewSelect().Model((*Session)(nil)).Column("id").
		Where("provider_id = ? AND engineer_id = ? AND state <> ?", providerID, userID, StateEnded).Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("store: live sessions of user: %w", err)
	}
	return ids, nil
}

// accountTokenKeep is how long a used or expired one-time link stays: an expired invitation is listed as
// expired on the team page for this long, so the admin sees it was never used.
const accountTokenKeep = 30 * 24 * time.Hour

// PurgeAccountTokens deletes one-time links used or expired more than 30 days ago and reports how many
// went; they stopped working long before, this only keeps the table small.
func (s *Store) PurgeAccountTokens(ctx context.Context) (int64, error) {
	before := s.now().Add(-accountTokenKeep)
	res, err := s.db.NewDelete().Model((*AccountToken)(nil)).
		Where("used_at < ? OR expires_at < ?", before, before).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: purge account tokens: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: purge account tokens: %w", err)
	}
	return n, nil
}
