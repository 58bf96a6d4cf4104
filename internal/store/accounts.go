package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rostersync/rostersync/internal/domain"
)

// Console accounts: a password (argon2id PHC string, hashed by
// internal/secrets) per email. Access to an org is the org_users row alone.

// SetPasswordHash creates the email's console account or replaces its password.
func (s *Store) SetPasswordHash(ctx context.Context, email, hash string) error {
	e := NormalizeEmail(email)
	if e == "" || hash == "" {
		return fmt.Errorf("set password: %w: empty email or hash", ErrBadInput)
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO console_accounts (email, password_hash) VALUES ($1, $2)
		ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, password_set_at = now()`, e, hash)
	if isCode(err, "23514") {
		return fmt.Errorf("set password of %s: %w: %v", e, ErrBadInput, err)
	}
	if err != nil {
		return fmt.Errorf("set password of %s: %w", e, err)
	}
	return nil
}

// PasswordHash returns the email's password hash and when it was set, or
// ErrNotFound when the email has no console account.
func (s *Store) PasswordHash(ctx context.Context, email string) (string, time.Time, error) {
	var row struct {
		Hash  string    `db:"password_hash"`
		SetAt time.Time `db:"password_set_at"`
	}
	err := s.db.GetContext(ctx, &row, "SELECT password_hash, password_set_at FROM console_accounts WHERE email = $1", NormalizeEmail(email))
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, fmt.Errorf("console account %s: %w", NormalizeEmail(email), ErrNotFound)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read console account: %w", err)
	}
	return row.Hash, row.SetAt, nil
}

// UserOrg is an org a person has access to, with their level there.
type UserOrg struct {
	OrgID string       `db:"org_id"`
	Name  string       `db:"name"`
	Level domain.Level `db:"level"`
}

// OrgsOf lists the orgs the email has access to, by org id.
func (s *Store) OrgsOf(ctx context.Context, email string) ([]UserOrg, error) {
	out := []UserOrg{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT u.org_id, o.name, u.level FROM org_users u JOIN orgs o ON o.id = u.org_id
		WHERE u.email = $1 ORDER BY u.org_id`, NormalizeEmail(email))
	if err != nil {
		return nil, fmt.Errorf("orgs of user: %w", err)
	}
	return out, nil
}

// RecordSignInFailure counts one failed sign-in of email (known or not) and
// forgets failures older than keep.
func (s *Store) RecordSignInFailure(ctx context.Context, email string, keep time.Duration) error {
	e := NormalizeEmail(email)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO console_signin_failures (email) VALUES ($1)", e); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM console_signin_failures WHERE email = $1 AND at < now() - make_interval(secs => $2)", e, keep.Seconds())
		return err
	})
	if err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	return nil
}

// SignInFailures returns how many sign-ins of email failed within window, and
// when the oldest of them was (zero when none).
func (s *Store) SignInFailures(ctx context.Context, email string, window time.Duration) (int, time.Time, error) {
	var row struct {
		N      int          `db:"n"`
		Oldest sql.NullTime `db:"oldest"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT count(*) AS n, min(at) AS oldest FROM console_signin_failures
		WHERE email = $1 AND at >= now() - make_interval(secs => $2)`, NormalizeEmail(email), window.Seconds())
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failed sign-ins: %w", err)
	}
	return row.N, row.Oldest.Time, nil
}

// ClearSignInFailures forgets the email's failed sign-ins (after a success).
func (s *Store) ClearSignInFailures(ctx context.Context, email string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM console_signin_failures WHERE email = $1", NormalizeEmail(email)); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}

// SecretsSetAt says when the org's Justworks password and 2FA setup key were
// last set (nil: never).
func (s *Store) SecretsSetAt(ctx context.Context, orgID string) (password, totp *time.Time, err error) {
	var row struct {
		P sql.NullTime `db:"password_set_at"`
		T sql.NullTime `db:"totp_secret_set_at"`
	}
	err = s.db.GetContext(ctx, &row, "SELECT password_set_at, totp_secret_set_at FROM orgs WHERE id = $1", orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("org %q: %w", orgID, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("secret dates of org %q: %w", orgID, err)
	}
	if row.P.Valid {
		password = &row.P.Time
	}
	if row.T.Valid {
		totp = &row.T.Time
	}
	return password, totp, nil
}
