package store

import (
	"context"
	"fmt"
)

// SetDefaultLanguage sets the language the provider's customers get when their browser asks for none
// Tether speaks: a static/locales tag ("de", "zh-Hans"), "" for English. The caller checks the tag.
func (s *Store) SetDefaultLanguage(ctx context.Context, providerID, lang string) error {
	res, err := s.db.NewUpdate().Model((*Provider)(nil)).Set("default_language = ?", lang).Where("id = ?", providerID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: default language: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: default language: %w", err)
	} else if n == 0 {
		return fmt.Errorf("provider %q: %w", providerID, ErrNotFound)
	}
	return nil
}
