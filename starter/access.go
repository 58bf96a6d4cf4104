package main

import (
	"context"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/store"
)

// requireManager refuses unless `as` may change the org's settings: the same
// bar as starting a sync (technical_owner or owner).
func requireManager(ctx context.Context, st *store.Store, orgID, as string) (string, error) {
	level, err := st.UserLevel(ctx, orgID, store.NormalizeEmail(as))
	if err != nil {
		return "", err
	}
	if !activities.CanSync(level) {
		if level == "" {
			level = "no access"
		}
		return level, refusedErr("%s has access level %q in org %s; this needs technical_owner or owner (an owner can grant it with `starter user set --org %s --email %s --level technical_owner --as OWNER`)", as, level, orgID, orgID, as)
	}
	return level, nil
}
