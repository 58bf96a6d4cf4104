package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.uber.org/zap"
)

// Store is Rostersync's PostgreSQL database. It is safe for concurrent use.
type Store struct {
	db  *sqlx.DB
	log *zap.Logger
}

// Open connects to databaseURL (a postgres:// URL or a key=value string). When
// the database named in it does not exist yet, Open creates it through the
// server's "postgres" database, so a first start needs nothing set up by hand.
// Open does not migrate; call Migrate.
func Open(ctx context.Context, databaseURL string, log *zap.Logger) (*Store, error) {
	if log == nil {
		log = zap.NewNop()
	}
	db, err := connect(ctx, databaseURL)
	if isCode(err, "3D000") { // invalid_catalog_name: the database does not exist
		name, adminURL, perr := adminURLFor(databaseURL)
		if perr != nil {
			return nil, fmt.Errorf("open database: %w (and cannot create it: %v)", err, perr)
		}
		if cerr := createDatabase(ctx, adminURL, name); cerr != nil {
			return nil, fmt.Errorf("open database: database %q does not exist and creating it failed: %w", name, cerr)
		}
		log.Info("created database", zap.String("database", name))
		db, err = connect(ctx, databaseURL)
	}
	if err != nil {
		if strings.Contains(err.Error(), "SSL is not enabled on the server") {
			return nil, fmt.Errorf("open database: %w (for a server without TLS, add sslmode=disable to the database URL)", err)
		}
		return nil, fmt.Errorf("open database: %w", redact(err, databaseURL))
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(5)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{db: db, log: log}, nil
}

func connect(ctx context.Context, databaseURL string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", databaseURL)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// adminURLFor returns the database name of databaseURL and the same connection
// pointed at the "postgres" database.
func adminURLFor(databaseURL string) (name, adminURL string, err error) {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		u, err := url.Parse(databaseURL)
		if err != nil {
			return "", "", errors.New("the database URL does not parse") // url errors quote the URL, password included
		}
		name = strings.TrimPrefix(u.Path, "/")
		if name == "" {
			return "", "", errors.New("the database URL names no database")
		}
		u.Path = "/postgres"
		return name, u.String(), nil
	}
	// key=value form (values without spaces or quotes; enough for dbname).
	var parts []string
	for _, kv := range strings.Fields(databaseURL) {
		if v, ok := strings.CutPrefix(kv, "dbname="); ok {
			name = strings.Trim(v, "'")
			continue
		}
		parts = append(parts, kv)
	}
	if name == "" {
		return "", "", errors.New("the connection string names no database")
	}
	return name, strings.Join(append(parts, "dbname=postgres"), " "), nil
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	db, err := connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	// Another worker created it first: duplicate_database, or a unique
	// violation on pg_database when both raced past the existence check.
	if isCode(err, "42P04") || isCode(err, "23505") {
		return nil
	}
	return err
}

// redact keeps a password in the database URL out of an error message (URL
// parse errors quote the whole URL).
func redact(err error, databaseURL string) error {
	u, perr := url.Parse(databaseURL)
	if perr != nil {
		if strings.Contains(err.Error(), databaseURL) {
			return errors.New(strings.ReplaceAll(err.Error(), databaseURL, "<database URL>"))
		}
		return err
	}
	if p, ok := u.User.Password(); ok && p != "" && strings.Contains(err.Error(), p) {
		return errors.New(strings.ReplaceAll(err.Error(), p, "***"))
	}
	return err
}

// isCode reports whether err is a PostgreSQL error with the given SQLSTATE.
func isCode(err error, code string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && string(pqErr.Code) == code
}

// DB is the connection pool, for tests and tools.
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// notFoundIfFK turns a foreign-key violation (a row naming an org that does not
// exist) into ErrNotFound.
func notFoundIfFK(err error, what string) error {
	if isCode(err, "23503") {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return err
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}
