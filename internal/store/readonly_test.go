package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/testenv"
)

// OpenExisting reads without creating or migrating: an empty database is an
// ErrSchema, and a migration under way is waited for, not reported.
func TestOpenExistingWaitsForAMigrationUnderWay(t *testing.T) {
	ctx := context.Background()
	url := testenv.NewDatabase(t)

	_, err := OpenExisting(ctx, url, nil)
	require.True(t, errors.Is(err, ErrSchema), "%v", err)

	writer, err := Open(ctx, url, nil)
	require.NoError(t, err)
	defer writer.Close()
	// A worker migrating: it holds the migration lock exclusively.
	conn, err := writer.db.Connx(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey)
	require.NoError(t, err)

	// The worker's Migrate queues behind it, and a reader behind that.
	migrated := make(chan error, 1)
	go func() { migrated <- writer.Migrate(ctx) }()
	waiting := func(n int) func() bool {
		return func() bool {
			var w int
			_ = writer.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
				AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&w)
			return w >= n
		}
	}
	require.Eventually(t, waiting(1), 10*time.Second, 10*time.Millisecond)
	opened := make(chan error, 1)
	go func() {
		st, err := OpenExisting(ctx, url, nil)
		if err == nil {
			st.Close()
		}
		opened <- err
	}()
	require.Eventually(t, waiting(2), 10*time.Second, 10*time.Millisecond)
	select {
	case err := <-opened:
		t.Fatalf("OpenExisting returned during a migration: %v", err)
	case <-time.After(300 * time.Millisecond):
	}

	_, err = conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", migrateLockKey)
	require.NoError(t, err)
	require.NoError(t, <-migrated)
	require.NoError(t, <-opened, "after the migration the schema is current")
}
