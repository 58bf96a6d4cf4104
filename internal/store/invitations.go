package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rostersync/rostersync/internal/domain"
)

// ErrInvitationUsed is an invitation link that was accepted already, or has
// expired: it grants nothing.
var ErrInvitationUsed = errors.New("the invitation was used already or has expired")

// Invitation is a one-time link that gives Email the Level in OrgID once
// accepted. The token itself is never stored, only its SHA-256.
type Invitation struct {
	OrgID      string       `db:"org_id"`
	Email      string       `db:"email"`
	Level      domain.Level `db:"level"`
	InvitedBy  string       `db:"invited_by"`
	CreatedAt  time.Time    `db:"created_at"`
	ExpiresAt  time.Time    `db:"expires_at"`
	AcceptedAt *time.Time   `db:"accepted_at"`
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateInvitation stores an invitation under token (which the caller sends
// and forgets).
func (s *Store) CreateInvitation(ctx context.Context, token string, inv Invitation) error {
	inv.Email = NormalizeEmail(inv.Email)
	if token == "" || inv.Email == "" || inv.Level.Rank() == 0 || inv.ExpiresAt.IsZero() {
		return fmt.Errorf("create invitation: %w", ErrBadInput)
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO console_invitations (token_hash, org_id, email, level, invited_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, tokenHash(token), inv.OrgID, inv.Email, inv.Level, NormalizeEmail(inv.InvitedBy), inv.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create invitation to %s: %w", inv.OrgID, notFoundIfFK(err, "org "+inv.OrgID))
	}
	return nil
}

// PendingInvitation returns the open invitation behind token, or
// ErrInvitationUsed (also for a token that never existed).
func (s *Store) PendingInvitation(ctx context.Context, token string) (Invitation, error) {
	var inv Invitation
	err := s.db.GetContext(ctx, &inv, `
		SELECT org_id, email, level, invited_by, created_at, expires_at, accepted_at FROM console_invitations
		WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()`, tokenHash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return Invitation{}, ErrInvitationUsed
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("read invitation: %w", err)
	}
	return inv, nil
}

// AcceptInvitation marks the invitation used and gives its email its level,
// in one transaction: a link works once, even when opened twice at once. A
// non-empty passwordHash becomes the account's password.
func (s *Store) AcceptInvitation(ctx context.Context, token, passwordHash string) (Invitation, error) {
	var inv Invitation
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := sqlx.GetContext(ctx, tx, &inv, `
			UPDATE console_invitations SET accepted_at = now()
			WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()
			RETURNING org_id, email, level, invited_by, created_at, expires_at, accepted_at`, tokenHash(token))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvitationUsed
		}
		if err != nil {
			return err
		}
		// An invitation never lowers anyone: a person who already has a
		// higher level keeps it (and the last owner stays an owner).
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO org_users (org_id, email, level) VALUES ($1, $2, $3)
			ON CONFLICT (org_id, email) DO UPDATE SET level = EXCLUDED.level, updated_at = now()
			WHERE array_position(ARRAY['owner','technical_owner','admin','member'], EXCLUDED.level)
			    < array_position(ARRAY['owner','technical_owner','admin','member'], org_users.level)`,
			inv.OrgID, inv.Email, inv.Level); err != nil {
			return err
		}
		if passwordHash != "" {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO console_accounts (email, password_hash) VALUES ($1, $2)
				ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, password_set_at = now()`,
				inv.Email, passwordHash); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrInvitationUsed) {
		return Invitation{}, err
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("accept invitation: %w", err)
	}
	return inv, nil
}

// Invitations lists the org's invitations that are still open, newest first.
func (s *Store) Invitations(ctx context.Context, orgID string) ([]Invitation, error) {
	out := []Invitation{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT org_id, email, level, invited_by, created_at, expires_at, accepted_at FROM console_invitations
		WHERE org_id = $1 AND accepted_at IS NULL AND expires_at > now() ORDER BY created_at DESC`, orgID)
	if err != nil {
		return nil, fmt.Errorf("invitations of org %q: %w", orgID, err)
	}
	return out, nil
}
