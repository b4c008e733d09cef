package store

import (
	"context"
	"fmt"
	"strings"
)

// MaxLookupEmployeeNo bounds an employee number as typed on the verification page, in bytes; longer
// input is no number anyone has (the profile allows fewer characters).
const MaxLookupEmployeeNo = 64

// maxVerifyMatches bounds how many people one employee number finds: it should name one person, and a
// provider that gave it to several sees them all, never its whole staff.
const maxVerifyMatches = 3

// UsersByEmployeeNo finds the provider's users with this employee number, compared trimmed and
// case-insensitively, the active ones first. An empty or overlong number finds nobody (ErrNotFound),
// and so does a number of another provider's user.
func (s *Store) UsersByEmployeeNo(ctx context.Context, providerID, number string) ([]User, error) {
	number = strings.TrimSpace(number)
	if number == "" || len(number) > MaxLookupEmployeeNo {
		return nil, fmt.Errorf("user by employee number: %w", ErrNotFound)
	}
	users := []User{}
	err := s.db.NewSelect().Model(&users).
		Where("provider_id = ? AND LOWER(employee_no) = LOWER(?)", providerID, number).
		OrderExpr("CASE WHEN disabled_at IS NULL THEN 0 ELSE 1 END, created_at, id").
		Limit(maxVerifyMatches).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: users by employee number: %w", err)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("user by employee number: %w", ErrNotFound)
	}
	return users, nil
}

// HasOpenSession reports whether the user has a support session open now: a customer connected
// (joined or active), or an invitation that has not expired yet.
func (s *Store) HasOpenSession(ctx context.Context, providerID, userID string) (bool, error) {
	ok, err := s.db.NewSelect().Model((*Session)(nil)).
		Where("provider_id = ? AND engineer_id = ?", providerID, userID).
		Where("(state IN (?, ?) OR (state = ? AND expires_at > ?))", StateJoined, StateActive, StateWaiting, s.now()).
		Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("store: open session of user: %w", err)
	}
	return ok, nil
}

// DismissTour records that the user finished or closed the console's first-sign-in tour, so that it
// is not shown again; a second call keeps the first time.
func (s *Store) DismissTour(ctx context.Context, providerID, userID string) error {
	res, err := s.db.NewUpdate().Model((*User)(nil)).Set("tour_dismissed_at = ?", s.now()).
		Where("id = ? AND provider_id = ? AND tour_dismissed_at IS NULL", userID, providerID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: dismiss tour: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: dismiss tour: %w", err)
	} else if n == 0 {
		_, err := s.userWhere(ctx, s.db, "id = ? AND provider_id = ?", userID, providerID)
		return err
	}
	return nil
}
