package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// DisplayNames returns the display names of the org's people among ids
// (unknown ids are left out).
func (s *Store) DisplayNames(ctx context.Context, orgID string, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT p.id, `+displayName("p")+` AS name FROM people p
		WHERE p.org_id = $1 AND p.id = ANY($2)`, orgID, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("display names in org %q: %w", orgID, err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}
