package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rostersync/rostersync/internal/domain"
)

// A run that a safety check refuses is held: its change set is staged in
// staging_changes (in change_log's shape) and the run waits for a decision.
// Approving writes exactly that change set (ApplyParams.Approved), provided
// the stored chart has not moved meanwhile; nothing else writes the org's
// people while its one sync waits. A dry run stages its change set the same
// way (ApplyParams.Preview) and keeps the summary it would have emailed.

// changeSetSQL selects the change rows of apply_diff: member_id, kind, fields
// ($1 is the org).
var changeSetSQL = `SELECT d.id AS member_id, d.kind, ` + changeRowFieldsSQL + ` AS fields
	FROM apply_diff d
	LEFT JOIN apply_roster r ON r.id = d.id
	LEFT JOIN people p ON p.org_id = $1 AND p.id = d.id
	WHERE d.kind <> 'unchanged'`

// stageChanges replaces the run's staged change set with the one apply_diff holds.
func stageChanges(ctx context.Context, tx *sqlx.Tx, p ApplyParams) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM staging_changes WHERE run_id = $1", p.RunID); err != nil {
		return fmt.Errorf("stage the change set: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO staging_changes (run_id, member_id, kind, fields)
		SELECT $2, c.member_id, c.kind, c.fields FROM (`+changeSetSQL+`) c`, p.OrgID, p.RunID); err != nil {
		return fmt.Errorf("stage the change set: %w", err)
	}
	return nil
}

// sameAsStagedChanges says whether apply_diff would write exactly the run's
// staged change set: same people, kinds and field values.
func sameAsStagedChanges(ctx context.Context, tx *sqlx.Tx, p ApplyParams) (bool, error) {
	var same bool
	err := tx.GetContext(ctx, &same, `
		WITH now AS (`+changeSetSQL+`),
		shown AS (SELECT member_id, kind, fields FROM staging_changes WHERE run_id = $2)
		SELECT NOT EXISTS (SELECT * FROM now EXCEPT SELECT * FROM shown)
			AND NOT EXISTS (SELECT * FROM shown EXCEPT SELECT * FROM now)`, p.OrgID, p.RunID)
	if err != nil {
		return false, fmt.Errorf("compare with the approved change set: %w", err)
	}
	return same, nil
}

// stagedChangesSource reads a run's staged change set; people not stored yet
// are named from the run's staged roster.
var stagedChangesSource = changeSource{
	rows: `SELECT r.org_id, c.member_id, c.kind, c.fields,
			coalesce(` + displayName("m") + `, ` + displayName("p") + `, c.member_id) AS display_name
		FROM staging_changes c
		JOIN sync_runs r ON r.run_id = c.run_id
		LEFT JOIN people p ON p.org_id = r.org_id AND p.id = c.member_id
		LEFT JOIN LATERAL (SELECT given_name, family_name, preferred_name FROM staging_members s
			WHERE s.run_id = c.run_id AND s.id = c.member_id ORDER BY s.seq DESC LIMIT 1) m ON true
		WHERE c.run_id = $1`,
	names: `SELECT DISTINCT ON (id) id, name FROM (
			SELECT s.id, ` + displayName("s") + ` AS name, 0 AS pref, s.seq FROM staging_members s
			WHERE s.run_id = $3 AND s.id = ANY($2)
			UNION ALL
			SELECT p.id, ` + displayName("p") + `, 1, 0 FROM people p WHERE p.org_id = $1 AND p.id = ANY($2)) x
		ORDER BY id, pref, seq DESC`,
}

// StagedChanges is RunChanges for a run's staged change set (a held run or a
// dry run): what it would write, not what it wrote.
func (s *Store) StagedChanges(ctx context.Context, runID string, limitPerKind int) ([]Change, error) {
	return s.readChanges(ctx, stagedChangesSource, runID, limitPerKind)
}

// StagedSectionTotals is RunSectionTotals for a run's staged change set.
func (s *Store) StagedSectionTotals(ctx context.Context, runID string) (map[domain.Section]int, error) {
	return s.sectionTotals(ctx, "staging_changes", runID)
}

// HasStagedChanges says whether the run has a staged change set.
func (s *Store) HasStagedChanges(ctx context.Context, runID string) (bool, error) {
	var ok bool
	if err := s.db.GetContext(ctx, &ok, "SELECT EXISTS (SELECT FROM staging_changes WHERE run_id = $1)", runID); err != nil {
		return false, fmt.Errorf("staged changes of run %s: %w", runID, err)
	}
	return ok, nil
}

// Hold is what BeginHold recorded: how long the run waits and until when.
type Hold struct {
	Timeout time.Duration
	Due     time.Time
}

// BeginHold records that the run waits for a decision, for the org's approval
// timeout from now. A repeated call keeps the first due time. ErrNotFound
// when the run is not recorded.
func (s *Store) BeginHold(ctx context.Context, runID string) (Hold, error) {
	var h struct {
		Seconds int       `db:"approval_timeout_seconds"`
		Due     time.Time `db:"decision_due"`
	}
	err := s.db.GetContext(ctx, &h, `
		UPDATE sync_runs r SET held_at = coalesce(r.held_at, now()),
			decision_due = coalesce(r.decision_due, now() + make_interval(secs => o.approval_timeout_seconds))
		FROM orgs o WHERE o.id = r.org_id AND r.run_id = $1
		RETURNING o.approval_timeout_seconds, r.decision_due`, runID)
	if errors.Is(err, sql.ErrNoRows) {
		return Hold{}, fmt.Errorf("hold run %s: %w", runID, ErrNotFound)
	}
	if err != nil {
		return Hold{}, fmt.Errorf("hold run %s: %w", runID, err)
	}
	return Hold{Timeout: time.Duration(h.Seconds) * time.Second, Due: h.Due}, nil
}

// RecordDecision records how a held run's wait ended: the decision, who made
// it and through which channel (domain.ViaCLI, …). The first decision stays.
func (s *Store) RecordDecision(ctx context.Context, runID string, d domain.Decision, by, via string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE sync_runs SET decision = $2, decided_by = $3, decided_via = $4, decided_at = now()
		WHERE run_id = $1 AND decided_at IS NULL`, runID, d, NormalizeEmail(by), via)
	if err != nil {
		return fmt.Errorf("record the decision of run %s: %w", runID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var exists bool
		if err := s.db.GetContext(ctx, &exists, "SELECT EXISTS (SELECT FROM sync_runs WHERE run_id = $1)", runID); err != nil {
			return fmt.Errorf("record the decision of run %s: %w", runID, err)
		}
		if !exists {
			return fmt.Errorf("record the decision of run %s: %w", runID, ErrNotFound)
		}
	}
	return nil
}

// HeldRun is a run waiting for a decision: what it would apply and until
// when it waits. The console and `starter status` show it.
type HeldRun struct {
	RunID       string        `json:"run_id"`
	WorkflowID  string        `json:"workflow_id"`
	RequestedBy string        `json:"requested_by"`
	HeldAt      time.Time     `json:"held_at"`
	Due         time.Time     `json:"due"`
	Reason      string        `json:"reason"`
	Counts      domain.Counts `json:"counts"`
}

// PendingDecision returns the org's run that waits for a decision, nil when
// none does.
func (s *Store) PendingDecision(ctx context.Context, orgID string) (*HeldRun, error) {
	var r struct {
		RunID       string    `db:"run_id"`
		WorkflowID  string    `db:"workflow_id"`
		RequestedBy string    `db:"requested_by"`
		HeldAt      time.Time `db:"held_at"`
		Due         time.Time `db:"decision_due"`
		Result      []byte    `db:"result"`
	}
	err := s.db.GetContext(ctx, &r, `SELECT run_id, workflow_id, requested_by, held_at, decision_due, result
		FROM sync_runs WHERE org_id = $1 AND decision_due IS NOT NULL AND decided_at IS NULL AND finished_at IS NULL
		ORDER BY held_at DESC LIMIT 1`, orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pending decision of org %q: %w", orgID, err)
	}
	h := &HeldRun{RunID: r.RunID, WorkflowID: r.WorkflowID, RequestedBy: r.RequestedBy, HeldAt: r.HeldAt, Due: r.Due}
	if r.Result != nil {
		var res storedResult
		if err := json.Unmarshal(r.Result, &res); err != nil {
			return nil, fmt.Errorf("pending decision of org %q: decode the result: %w", orgID, err)
		}
		h.Reason, h.Counts = res.Reason, res.Counts
	}
	return h, nil
}

// ApprovalTimeout is how long the org's held syncs wait for a decision.
func (s *Store) ApprovalTimeout(ctx context.Context, orgID string) (time.Duration, error) {
	var secs int
	err := s.db.GetContext(ctx, &secs, "SELECT approval_timeout_seconds FROM orgs WHERE id = $1", orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("org %q: %w", orgID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("approval timeout of org %q: %w", orgID, err)
	}
	return time.Duration(secs) * time.Second, nil
}

// Preview is what a dry run would have emailed.
type Preview struct {
	Subject string    `db:"subject"`
	Text    string    `db:"text"`
	HTML    string    `db:"html"`
	SavedAt time.Time `db:"saved_at"`
}

// SavePreview keeps what the dry run would have emailed (replacing an
// earlier copy of the same run).
func (s *Store) SavePreview(ctx context.Context, runID string, p Preview) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO run_previews (run_id, subject, text, html) VALUES ($1, $2, $3, $4)
		ON CONFLICT (run_id) DO UPDATE SET subject = EXCLUDED.subject, text = EXCLUDED.text, html = EXCLUDED.html, saved_at = now()`,
		runID, p.Subject, p.Text, p.HTML)
	if err != nil {
		return fmt.Errorf("save the preview of run %s: %w", runID, err)
	}
	return nil
}

// RunPreview returns what the dry run would have emailed, or ErrNotFound.
func (s *Store) RunPreview(ctx context.Context, runID string) (Preview, error) {
	var p Preview
	err := s.db.GetContext(ctx, &p, "SELECT subject, text, html, saved_at FROM run_previews WHERE run_id = $1", runID)
	if errors.Is(err, sql.ErrNoRows) {
		return Preview{}, fmt.Errorf("preview of run %s: %w", runID, ErrNotFound)
	}
	if err != nil {
		return Preview{}, fmt.Errorf("preview of run %s: %w", runID, err)
	}
	return p, nil
}
