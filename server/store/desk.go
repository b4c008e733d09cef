package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"tether/server/protocol"
)

// Desk is a support queue of a provider. Every provider has exactly one default desk, which cannot be
// deleted. A deleted desk is kept (DeletedAt) for the history of its sessions and listed nowhere else.
type Desk struct {
	bun.BaseModel `bun:"table:desks,alias:d"`

	ID           string     `bun:"id,pk"`
	ProviderID   string     `bun:"provider_id,notnull"`
	Name         string     `bun:"name,notnull"`
	IsDefault    bool       `bun:"is_default,notnull"`
	CreatedAt    time.Time  `bun:"created_at,notnull"`
	DeletedAt    *time.Time `bun:"deleted_at"`
	DeskTemplate `bun:"embed:"`
}

var _ bun.BeforeAppendModelHook = (*Desk)(nil)

// BeforeAppendModel gives a desk inserted without a template (the default desk a new provider gets,
// wherever it is made) DefaultDeskTemplate.
func (d *Desk) BeforeAppendModel(_ context.Context, q bun.Query) error {
	if _, ok := q.(*bun.InsertQuery); ok && d.Allowed == 0 {
		d.DeskTemplate = DefaultDeskTemplate()
	}
	return nil
}

// DeskTemplate is a desk's permission template: the grants its engineers may ask the customer for
// (Allowed) and those the customer's consent page ticks to begin with (Defaults). It only narrows what
// can be asked; the customer still decides on their machine.
type DeskTemplate struct {
	Allowed  protocol.Grants `bun:"allowed_grants,notnull"`
	Defaults protocol.Grants `bun:"default_grants,notnull"`
}

// DefaultDeskTemplate is a new desk's template: everything may be asked for, control is ticked.
func DefaultDeskTemplate() DeskTemplate {
	return DeskTemplate{Allowed: protocol.All(), Defaults: protocol.GrantView | protocol.GrantControl}
}

// Validate says what is wrong with a template, in words for the desks page: seeing the screen is part of
// every template, and a default must be allowed.
func (t DeskTemplate) Validate() error {
	if t.Allowed.Valid() != nil || t.Defaults.Valid() != nil {
		return fmt.Errorf("%w: unknown permissions", ErrInvalidArgument)
	}
	if !t.Allowed.Has(protocol.GrantView) || !t.Defaults.Has(protocol.GrantView) {
		return fmt.Errorf("%w: seeing the screen is part of every support session", ErrInvalidArgument)
	}
	if !t.Allowed.Has(t.Defaults) {
		return fmt.Errorf("%w: a permission offered by default must be allowed (%s)", ErrInvalidArgument,
			strings.Join((t.Defaults&^t.Allowed).Shorts(), ", "))
	}
	return nil
}

// Permits reports whether engineers of the desk may ask for g (control implies limited control).
func (t DeskTemplate) Permits(g protocol.Grants) bool {
	return g == 0 || t.Allowed.Has(g)
}

// DeskMember makes a user part of a desk.
type DeskMember struct {
	bun.BaseModel `bun:"table:desk_members,alias:dm"`

	DeskID string `bun:"desk_id,pk"`
	UserID string `bun:"user_id,pk"`
}

// MaxDeskName bounds a desk's name, in characters.
const MaxDeskName = 40

// Desk errors; the wrapped message says why, for the desks page.
var (
	// ErrDeskNameTaken: another desk of the provider has that name (compared ignoring case).
	ErrDeskNameTaken = errors.New("store: desk name taken")
	// ErrDeskInUse: the desk cannot be deleted (the default desk, or sessions not yet ended).
	ErrDeskInUse = errors.New("store: desk in use")
)

// NormalizeDeskName trims a desk name and checks it: 1 to MaxDeskName characters, printable.
func NormalizeDeskName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxDeskName {
		return "", fmt.Errorf("%w: a desk name has 1 to %d characters", ErrInvalidArgument, MaxDeskName)
	}
	if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "", fmt.Errorf("%w: a desk name cannot contain control characters", ErrInvalidArgument)
	}
	return name, nil
}

// DefaultDesk returns the provider's default desk.
func (s *Store) DefaultDesk(ctx context.Context, providerID string) (Desk, error) {
	var d Desk
	err := s.db.NewSelect().Model(&d).Where("provider_id = ? AND is_default = ?", providerID, true).Scan(ctx)
	if err != nil {
		return Desk{}, notFound(err, "default desk")
	}
	return d, nil
}

// DeskByID returns a desk of the provider that is not deleted; ErrNotFound for another provider's id.
func (s *Store) DeskByID(ctx context.Context, providerID, id string) (Desk, error) {
	return deskWhere(ctx, s.db, providerID, id)
}

func deskWhere(ctx context.Context, db bun.IDB, providerID, id string) (Desk, error) {
	var d Desk
	err := db.NewSelect().Model(&d).Where("id = ? AND provider_id = ? AND deleted_at IS NULL", id, providerID).Scan(ctx)
	if err != nil {
		return Desk{}, notFound(err, "desk")
	}
	return d, nil
}

// DeskTemplateOf returns the permission template of a session's desk, deleted or not (a desk with live
// sessions cannot be deleted, so this is the template the session was opened under).
func (s *Store) DeskTemplateOf(ctx context.Context, providerID, deskID string) (DeskTemplate, error) {
	var d Desk
	err := s.db.NewSelect().Model(&d).Column("allowed_grants", "default_grants").
		Where("id = ? AND provider_id = ?", deskID, providerID).Scan(ctx)
	if err != nil {
		return DeskTemplate{}, notFound(err, "desk template")
	}
	return d.DeskTemplate, nil
}

// DeskSummary is a desk as the desks page lists it.
type DeskSummary struct {
	Desk
	Members []string // user ids
	Live    int      // sessions joined or active
	Waiting int      // sessions and requests waiting for the customer or an engineer
}

// Desks lists the provider's desks that are not deleted, the default desk first, then by name, with
// their members and session counts.
func (s *Store) Desks(ctx context.Context, providerID string) ([]DeskSummary, error) {
	var desks []Desk
	if err := s.db.NewSelect().Model(&desks).Where("provider_id = ? AND deleted_at IS NULL", providerID).
		OrderExpr("is_default DESC, lower(name), id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list desks: %w", err)
	}
	out := make([]DeskSummary, len(desks))
	at := make(map[string]int, len(desks))
	for i, d := range desks {
		out[i] = DeskSummary{Desk: d, Members: []string{}}
		at[d.ID] = i
	}
	var members []DeskMember
	if err := s.db.NewSelect().Model(&members).
		Join("JOIN desks AS d ON d.id = dm.desk_id").Where("d.provider_id = ?", providerID).
		OrderExpr("dm.desk_id, dm.user_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: list desk members: %w", err)
	}
	for _, m := range members {
		if i, ok := at[m.DeskID]; ok {
			out[i].Members = append(out[i].Members, m.UserID)
		}
	}
	var counts []struct {
		DeskID string `bun:"desk_id"`
		State  State  `bun:"state"`
		N      int    `bun:"n"`
	}
	if err := s.db.NewSelect().Model((*Session)(nil)).Column("desk_id", "state").ColumnExpr("COUNT(*) AS n").
		Where("provider_id = ? AND state <> ?", providerID, StateEnded).Group("desk_id", "state").Scan(ctx, &counts); err != nil {
		return nil, fmt.Errorf("store: count desk sessions: %w", err)
	}
	for _, c := range counts {
		i, ok := at[c.DeskID]
		if !ok {
			continue
		}
		if c.State == StateWaiting {
			out[i].Waiting += c.N
		} else {
			out[i].Live += c.N
		}
	}
	return out, nil
}

// DesksOf lists the desks userID is a member of, the default desk first, then by name.
func (s *Store) DesksOf(ctx context.Context, providerID, userID string) ([]Desk, error) {
	var desks []Desk
	err := s.db.NewSelect().Model(&desks).
		Where("d.provider_id = ? AND d.deleted_at IS NULL", providerID).
		Where("d.id IN (SELECT desk_id FROM desk_members WHERE user_id = ?)", userID).
		OrderExpr("d.is_default DESC, lower(d.name), d.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: desks of user: %w", err)
	}
	return desks, nil
}

// CreateDesk adds a desk to the provider with DefaultDeskTemplate and no members. The name is checked
// (NormalizeDeskName); ErrDeskNameTaken if another desk has it; a *QuotaError when the provider has
// Quotas.MaxDesks desks already.
func (s *Store) CreateDesk(ctx context.Context, providerID, name string) (Desk, error) {
	name, err := NormalizeDeskName(name)
	if err != nil {
		return Desk{}, err
	}
	d := Desk{ID: NewID(), ProviderID: providerID, Name: name, CreatedAt: s.now(), DeskTemplate: DefaultDeskTemplate()}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		quotas, err := providerQuotas(ctx, tx, providerID)
		if err != nil {
			return err
		}
		desks := tx.NewSelect().Model((*Desk)(nil)).Where("provider_id = ? AND deleted_at IS NULL", providerID)
		if err := checkQuota(ctx, desks, quotas.MaxDesks, "desks"); err != nil {
			return err
		}
		if err := nameFree(ctx, tx, providerID, "", name); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&d).Exec(ctx); err != nil {
			return deskNameErr(err, name, "insert desk")
		}
		return nil
	})
	if err != nil {
		return Desk{}, err
	}
	return d, nil
}

// RenameDesk renames a desk of the provider (the default desk too).
func (s *Store) RenameDesk(ctx context.Context, providerID, id, name string) (Desk, error) {
	name, err := NormalizeDeskName(name)
	if err != nil {
		return Desk{}, err
	}
	var d Desk
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if d, err = deskWhere(ctx, tx, providerID, id); err != nil {
			return err
		}
		if err := nameFree(ctx, tx, providerID, id, name); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Desk)(nil)).Set("name = ?", name).Where("id = ?", id).Exec(ctx); err != nil {
			return deskNameErr(err, name, "rename desk")
		}
		d.Name = name
		return nil
	})
	if err != nil {
		return Desk{}, err
	}
	return d, nil
}

// nameFree checks that no other desk of the provider (but except) is called name, ignoring case. The
// unique index backs it when two admins race.
func nameFree(ctx context.Context, tx bun.Tx, providerID, except, name string) error {
	taken, err := tx.NewSelect().Model((*Desk)(nil)).
		Where("provider_id = ? AND deleted_at IS NULL AND lower(name) = lower(?) AND id <> ?", providerID, name, except).Exists(ctx)
	if err != nil {
		return fmt.Errorf("store: check desk name: %w", err)
	}
	if taken {
		return fmt.Errorf("%w: another desk is already called %q", ErrDeskNameTaken, name)
	}
	return nil
}

func deskNameErr(err error, name, what string) error {
	if uniqueViolation(err, "desks_provider_name_uidx", "index 'desks_provider_name_uidx'") {
		return fmt.Errorf("%w: another desk is already called %q", ErrDeskNameTaken, name)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// DeleteDesk deletes an empty desk: not the default desk, and none of its sessions or requests may be
// live (ErrDeskInUse, saying which). Its members leave it; its ended sessions keep it for their history.
func (s *Store) DeleteDesk(ctx context.Context, providerID, id string) error {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		d, err := deskWhere(ctx, tx, providerID, id)
		if err != nil {
			return err
		}
		if d.IsDefault {
			return fmt.Errorf("%w: %s is the default desk, where sessions go when no desk is chosen; it cannot be deleted", ErrDeskInUse, d.Name)
		}
		live, err := tx.NewSelect().Model((*Session)(nil)).Where("desk_id = ? AND state <> ?", id, StateEnded).Count(ctx)
		if err != nil {
			return fmt.Errorf("store: count desk sessions: %w", err)
		}
		if live > 0 {
			return fmt.Errorf("%w: %s has %d %s not yet ended; end them first", ErrDeskInUse, d.Name, live, plural(int(live), "session or request", "sessions or requests"))
		}
		if _, err := tx.NewUpdate().Model((*Desk)(nil)).Set("deleted_at = ?", s.now()).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("store: delete desk: %w", err)
		}
		if _, err := tx.NewDelete().Model((*DeskMember)(nil)).Where("desk_id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("store: delete desk members: %w", err)
		}
		return nil
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// SetDeskMembers makes exactly userIDs the members of a desk. Every user must be an active user of the
// provider (ErrNotFound otherwise, and nothing changes).
func (s *Store) SetDeskMembers(ctx context.Context, providerID, deskID string, userIDs []string) error {
	userIDs = slices.Compact(slices.Sorted(slices.Values(userIDs)))
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := deskWhere(ctx, tx, providerID, deskID); err != nil {
			return err
		}
		if len(userIDs) > 0 {
			n, err := tx.NewSelect().Model((*User)(nil)).Where("provider_id = ? AND disabled_at IS NULL AND id IN (?)", providerID, bun.List(userIDs)).Count(ctx)
			if err != nil {
				return fmt.Errorf("store: check desk members: %w", err)
			}
			if int(n) != len(userIDs) {
				return fmt.Errorf("desk member: %w", ErrNotFound)
			}
		}
		del := tx.NewDelete().Model((*DeskMember)(nil)).Where("desk_id = ?", deskID)
		if len(userIDs) > 0 {
			del = del.Where("user_id NOT IN (?)", bun.List(userIDs))
		}
		if _, err := del.Exec(ctx); err != nil {
			return fmt.Errorf("store: remove desk members: %w", err)
		}
		for _, u := range userIDs {
			if err := addDeskMember(ctx, tx, providerID, deskID, u); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetDeskTemplate changes a desk's permission template (DeskTemplate.Validate says what is wrong). It
// applies to sessions whose customer has not yet been asked, and to every later request for more.
func (s *Store) SetDeskTemplate(ctx context.Context, providerID, id string, t DeskTemplate) error {
	if err := t.Validate(); err != nil {
		return err
	}
	res, err := s.db.NewUpdate().Model((*Desk)(nil)).
		Set("allowed_grants = ?", t.Allowed).Set("default_grants = ?", t.Defaults).
		Where("id = ? AND provider_id = ? AND deleted_at IS NULL", id, providerID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: set desk template: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("desk template: %w", ErrNotFound)
	}
	return nil
}

// addDeskMember adds userID to deskID after checking the desk belongs to providerID.
func addDeskMember(ctx context.Context, tx bun.Tx, providerID, deskID, userID string) error {
	ok, err := tx.NewSelect().Model((*Desk)(nil)).Where("id = ? AND provider_id = ? AND deleted_at IS NULL", deskID, providerID).Exists(ctx)
	if err != nil {
		return fmt.Errorf("store: check desk: %w", err)
	}
	if !ok {
		return fmt.Errorf("desk %q: %w", deskID, ErrNotFound)
	}
	m := DeskMember{DeskID: deskID, UserID: userID}
	if _, err := tx.NewInsert().Model(&m).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("store: insert desk member: %w", err)
	}
	return nil
}

// DeskCandidates lists the provider's active users, who may be made members of its desks, by name.
func (s *Store) DeskCandidates(ctx context.Context, providerID string) ([]User, error) {
	users := []User{}
	err := s.db.NewSelect().Model(&users).Where("provider_id = ? AND disabled_at IS NULL", providerID).
		OrderExpr("lower(name), email, id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: desk candidates: %w", err)
	}
	return users, nil
}
