package main

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/store"
)

// Staging of runs that never finished (a terminated or reset workflow, a
// crashed worker) is dropped once no retry can still want it: login and fetch
// each retry for up to 12 hours, so a live sync is at most about a day old
// when it resolves and applies; two days is safely past that.
const (
	pruneAfter = 48 * time.Hour
	pruneEvery = time.Hour
)

// pruneStaging drops such leftovers now and every hour until ctx ends. Several
// workers doing the same is harmless (the deletes are idempotent).
func pruneStaging(ctx context.Context, st *store.Store, log *zap.Logger) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		if n, err := st.PruneStaging(ctx, pruneAfter); err != nil {
			if ctx.Err() == nil {
				log.Warn("pruning staging failed", zap.Error(err))
			}
		} else if n > 0 {
			log.Info("pruned staging of unfinished runs", zap.Int("runs", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
