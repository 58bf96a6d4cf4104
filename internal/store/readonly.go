package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// ErrSchema means the database lacks the schema this build needs: it was
// never migrated, or a newer migration is missing. Only the worker and the
// commands that write (starter org set, user set) migrate.
var ErrSchema = errors.New("database schema")

// OpenExisting connects to an existing database for reading: unlike Open it
// never creates the database, and it checks, without migrating, that every
// migration of this build has been applied.
func OpenExisting(ctx context.Context, databaseURL string, log *zap.Logger) (*Store, error) {
	if log == nil {
		log = zap.NewNop()
	}
	db, err := connect(ctx, databaseURL)
	if isCode(err, "3D000") {
		name, _, _ := adminURLFor(databaseURL)
		return nil, fmt.Errorf("%w: database %q does not exist yet; a worker creates it when it starts (or run `starter org set`)", ErrSchema, name)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", redact(err, databaseURL))
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, log: log}
	if err := s.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// CheckSchema returns an ErrSchema error unless every migration of this
// build has been applied. A migration under way (a worker starting) holds the
// migration lock; CheckSchema waits for it, up to a minute, rather than
// report a schema that is about to be current.
func (s *Store) CheckSchema(ctx context.Context) error {
	migrations, err := loadMigrations()
	if err != nil || len(migrations) == 0 {
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	want := migrations[len(migrations)-1].version
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	defer conn.Close()
	lockCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := conn.ExecContext(lockCtx, "SELECT pg_advisory_lock_shared($1)", migrateLockKey); err != nil {
		return fmt.Errorf("wait for a migration under way: %w", err)
	}
	defer func() {
		// A fresh context: the pooled connection must not keep the lock.
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock_shared($1)", migrateLockKey)
	}()
	var have int
	err = conn.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have)
	if isCode(err, "42P01") { // undefined_table: never migrated
		return fmt.Errorf("%w: the database has no Rostersync schema yet; a worker creates it when it starts (or run `starter org set`)", ErrSchema)
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have < want {
		return fmt.Errorf("%w: the database is at migration %d, this build needs %d; a worker of this build migrates it when it starts (or run `starter org set`)", ErrSchema, have, want)
	}
	return nil
}
