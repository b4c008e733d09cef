package store

import (
	"context"

	"github.com/uptrace/bun"
)

// visibleTo narrows a query of sessions to what an engineer sees: the sessions and requests of the desks
// they are a member of, and the sessions they run themselves (which stay theirs if they leave the desk).
// An empty userID is an owner or admin, who sees everything of the provider; the caller scopes by
// provider in any case.
func visibleTo(q *bun.SelectQuery, userID string) *bun.SelectQuery {
	if userID == "" {
		return q
	}
	return q.Where("(ss.desk_id IN (SELECT desk_id FROM desk_members WHERE user_id = ?) OR ss.engineer_id = ?)", userID, userID)
}

// SessionVisibleTo returns a session of the provider that userID may see (visibleTo; "" for an owner or
// admin). Another provider's session, and another desk's, answer ErrNotFound alike.
func (s *Store) SessionVisibleTo(ctx context.Context, providerID, userID, id string) (Session, error) {
	var sess Session
	q := s.db.NewSelect().Model(&sess).Where("ss.id = ? AND ss.provider_id = ?", id, providerID)
	if err := visibleTo(q, userID).Scan(ctx); err != nil {
		return Session{}, notFound(err, "session visible to")
	}
	return sess, nil
}
