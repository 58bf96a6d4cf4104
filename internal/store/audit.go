package store

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one thing a person did to an org (console or CLI).
type AuditEntry struct {
	ID     int64     `db:"id"`
	At     time.Time `db:"at"`
	OrgID  string    `db:"org_id"`
	Actor  string    `db:"actor"`
	Action string    `db:"action"`
	Target string    `db:"target"`
	Detail string    `db:"detail"`
}

// Audit records an action. Details never hold a secret's value.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO console_audit (org_id, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)`,
		e.OrgID, NormalizeEmail(e.Actor), e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns the org's last n audit entries, newest first.
func (s *Store) AuditLog(ctx context.Context, orgID string, n int) ([]AuditEntry, error) {
	out := []AuditEntry{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, at, org_id, actor, action, target, detail FROM console_audit
		WHERE org_id = $1 ORDER BY id DESC LIMIT $2`, orgID, n)
	if err != nil {
		return nil, fmt.Errorf("audit log of org %q: %w", orgID, err)
	}
	return out, nil
}
