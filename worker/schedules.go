package main

import (
	"context"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/schedule"
	"github.com/rostersync/rostersync/internal/store"
)

// reencodeSchedules re-encrypts, from the database, every org schedule whose
// action was encrypted with a key other than today's primary (ROSTERSYNC_CODEC_KEYS
// rotated). A schedule keeps the payloads it was created with; without this,
// dropping the old key would make every scheduled run fail to read its input.
// Failures are logged, not fatal: the worker still serves manual syncs, and
// the next start tries again.
func reencodeSchedules(ctx context.Context, st *store.Store, c client.Client, namespace string, keys *codec.Keyring, log *zap.Logger) {
	orgs, err := st.ListOrgs(ctx)
	if err != nil {
		log.Warn("could not list orgs to check their schedules' encryption", zap.Error(err))
		return
	}
	for _, org := range orgs {
		changed, err := schedule.Reencode(ctx, c, namespace, keys, org)
		switch {
		case err != nil:
			log.Warn("could not re-encrypt the org's schedule with the primary codec key", zap.String("org", org.ID), zap.Error(err))
		case changed:
			log.Info("schedule re-encrypted with the primary codec key", zap.String("org", org.ID), zap.String("key_id", keys.PrimaryID()))
		}
	}
}
