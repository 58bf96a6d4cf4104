package main

import (
	"context"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// requireManager refuses unless `as` may change the org's settings (the access
// policy's domain.ActionManageOrg) and returns their level.
func requireManager(ctx context.Context, st *store.Store, orgID, as string) (domain.Level, error) {
	who := store.NormalizeEmail(as)
	level, err := st.UserLevel(ctx, orgID, who)
	if err != nil {
		return level, err
	}
	return level, domain.Authorize(who, level, orgID, domain.ActionManageOrg)
}
