package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/rostersync/rostersync/internal/domain"
)

// BeginRun records a sync run. It is idempotent per RunID: a retried call keeps
// the first record. A zero StartedAt means now. ErrNotFound when the org does
// not exist.
func (s *Store) BeginRun(ctx context.Context, r Run) error {
	if strings.TrimSpace(r.RunID) == "" {
		return fmt.Errorf("begin run: %w: the run id is empty", ErrBadInput)
	}
	var started any
	if !r.StartedAt.IsZero() {
		started = r.StartedAt
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sync_runs (run_id, org_id, workflow_id, requested_by, started_at, started_via)
		VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, now()), $6)
		ON CONFLICT (run_id) DO NOTHING`, r.RunID, r.OrgID, r.WorkflowID, r.RequestedBy, started, r.StartedVia)
	if err != nil {
		return fmt.Errorf("begin run %s: %w", r.RunID, notFoundIfFK(err, "org "+r.OrgID))
	}
	return nil
}

// FinishRun records the run's outcome and drops its staging and session. A
// repeated call overwrites the outcome but keeps the first finish time.
func (s *Store) FinishRun(ctx context.Context, runID string, outcome domain.Outcome, c domain.Counts, errText string) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE sync_runs SET finished_at = coalesce(finished_at, now()), outcome = $2,
				hires = $3, terminations = $4, rehires = $5, updates = $6, unchanged = $7, removed = $8,
				problems = $9, error = $10, returned = $11, skipped = $12
			WHERE run_id = $1`, runID, outcome,
			c.Hires, c.Terminations, c.Rehires, c.Updates, c.Unchanged, c.Removed, c.Problems, errText,
			c.Returned, c.Skipped)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %s: %w", runID, ErrNotFound)
		}
		return dropStaging(ctx, tx, runID, true)
	})
	if err != nil {
		return fmt.Errorf("finish run %s: %w", runID, err)
	}
	return nil
}

// ResetStaging empties the run's staging (members, tree, head) and its fetch
// report so a fetch can start over. The session is kept.
func (s *Store) ResetStaging(ctx context.Context, runID string) error {
	if err := s.inTx(ctx, func(tx *sqlx.Tx) error { return resetFetch(ctx, tx, runID, 0) }); err != nil {
		return fmt.Errorf("reset staging of run %s: %w", runID, err)
	}
	return nil
}

// DropStaging removes everything staged for the run, its session included (for
// runs that end without FinishRun).
func (s *Store) DropStaging(ctx context.Context, runID string) error {
	if err := s.inTx(ctx, func(tx *sqlx.Tx) error { return dropStaging(ctx, tx, runID, true) }); err != nil {
		return fmt.Errorf("drop staging of run %s: %w", runID, err)
	}
	return nil
}

func dropStaging(ctx context.Context, tx *sqlx.Tx, runID string, session bool) error {
	tables := []string{"staging_members", "staging_tree", "staging_problems", "staging_heads", "staging_changes", "staging_excluded", "staging_kept", "staging_scheduled"}
	if session {
		tables = append(tables, "staging_fetch", "sessions")
	}
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE run_id = $1", runID); err != nil {
			return fmt.Errorf("delete from %s: %w", t, err)
		}
	}
	return nil
}

// PruneStaging drops the staging and sessions of runs that finished, or started
// before olderThan ago and never finished (a crashed worker's or a terminated
// workflow's leftovers), and staging whose run is not recorded at all (its
// org was deleted). A run held for a decision keeps its staging until
// olderThan after its decision was due: an approval writes exactly what was
// staged. Dry-run previews older than olderThan go too. Org sessions ("org:…"
// keys) are not runs and stay. It returns the number of runs pruned.
func (s *Store) PruneStaging(ctx context.Context, olderThan time.Duration) (int, error) {
	var runs []string
	err := s.db.SelectContext(ctx, &runs, `
		SELECT DISTINCT s.run_id FROM (
			SELECT run_id FROM staging_heads UNION SELECT run_id FROM staging_tree
			UNION SELECT run_id FROM staging_problems UNION SELECT DISTINCT run_id FROM staging_members
			UNION SELECT DISTINCT run_id FROM staging_changes UNION SELECT run_id FROM staging_fetch
			UNION SELECT run_id FROM sessions WHERE run_id NOT LIKE 'org:%') s
		LEFT JOIN sync_runs r ON r.run_id = s.run_id
		WHERE r.run_id IS NULL OR r.finished_at IS NOT NULL OR (r.started_at < now() - make_interval(secs => $1)
			AND (r.decision_due IS NULL OR r.decision_due < now() - make_interval(secs => $1)))`,
		olderThan.Seconds())
	if err != nil {
		return 0, fmt.Errorf("prune staging: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, "DELETE FROM run_previews WHERE saved_at < now() - make_interval(secs => $1)", olderThan.Seconds()); err != nil {
		return 0, fmt.Errorf("prune previews: %w", err)
	}
	for _, id := range runs {
		if err := s.DropStaging(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(runs), nil
}

type runRow struct {
	RunID        string         `db:"run_id"`
	OrgID        string         `db:"org_id"`
	WorkflowID   string         `db:"workflow_id"`
	RequestedBy  string         `db:"requested_by"`
	StartedVia   string         `db:"started_via"`
	StartedAt    time.Time      `db:"started_at"`
	FinishedAt   sql.NullTime   `db:"finished_at"`
	Outcome      domain.Outcome `db:"outcome"`
	Hires        int            `db:"hires"`
	Terminations int            `db:"terminations"`
	Rehires      int            `db:"rehires"`
	Returned     int            `db:"returned"`
	Updates      int            `db:"updates"`
	Unchanged    int            `db:"unchanged"`
	Removed      int            `db:"removed"`
	Problems     int            `db:"problems"`
	Skipped      int            `db:"skipped"`
	Error        string         `db:"error"`
}

func (r runRow) run() Run {
	out := Run{
		RunID: r.RunID, OrgID: r.OrgID, WorkflowID: r.WorkflowID, RequestedBy: r.RequestedBy,
		StartedVia: r.StartedVia, StartedAt: r.StartedAt, Outcome: r.Outcome, Error: r.Error,
		Counts: domain.Counts{Hires: r.Hires, Terminations: r.Terminations, Rehires: r.Rehires, Returned: r.Returned,
			Updates: r.Updates, Unchanged: r.Unchanged, Removed: r.Removed, Problems: r.Problems, Skipped: r.Skipped},
	}
	if r.FinishedAt.Valid {
		t := r.FinishedAt.Time
		out.FinishedAt = &t
	}
	return out
}

const runColumns = `run_id, org_id, workflow_id, requested_by, started_via, started_at, finished_at, outcome,
	hires, terminations, rehires, returned, updates, unchanged, removed, problems, skipped, error`

// LastRuns returns the org's n most recent runs, newest first.
func (s *Store) LastRuns(ctx context.Context, orgID string, n int) ([]Run, error) {
	if n <= 0 {
		n = 10
	}
	var rows []runRow
	if err := s.db.SelectContext(ctx, &rows, "SELECT "+runColumns+` FROM sync_runs
		WHERE org_id = $1 ORDER BY started_at DESC, run_id DESC LIMIT $2`, orgID, n); err != nil {
		return nil, fmt.Errorf("last runs of org %q: %w", orgID, err)
	}
	out := make([]Run, len(rows))
	for i, r := range rows {
		out[i] = r.run()
	}
	return out, nil
}

// GetRun returns one run, or ErrNotFound.
func (s *Store) GetRun(ctx context.Context, runID string) (Run, error) {
	var r runRow
	err := s.db.GetContext(ctx, &r, "SELECT "+runColumns+" FROM sync_runs WHERE run_id = $1", runID)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("run %s: %w", runID, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("get run %s: %w", runID, err)
	}
	return r.run(), nil
}

// SaveSession stores the run's sealed Justworks token, replacing an older one.
func (s *Store) SaveSession(ctx context.Context, runID string, sealedToken []byte) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sessions (run_id, sealed_token) VALUES ($1, $2)
		ON CONFLICT (run_id) DO UPDATE SET sealed_token = EXCLUDED.sealed_token, saved_at = now()`, runID, sealedToken)
	if err != nil {
		return fmt.Errorf("save session of run %s: %w", runID, err)
	}
	return nil
}

// LoadSession returns the run's sealed token, nil when none was saved.
func (s *Store) LoadSession(ctx context.Context, runID string) ([]byte, error) {
	var tok []byte
	err := s.db.GetContext(ctx, &tok, "SELECT sealed_token FROM sessions WHERE run_id = $1", runID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load session of run %s: %w", runID, err)
	}
	return tok, nil
}

// ClaimNotification claims the right to send the run's summary to recipient:
// true when this caller claimed it, false when it is already claimed or sent.
func (s *Store) ClaimNotification(ctx context.Context, runID, recipient string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO notifications (run_id, recipient, state) VALUES ($1, $2, 'sending')
		ON CONFLICT (run_id, recipient) DO NOTHING`, runID, recipient)
	if err != nil {
		return false, fmt.Errorf("claim notification of run %s: %w", runID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim notification of run %s: %w", runID, err)
	}
	return n == 1, nil
}

// MarkNotified records that the summary reached recipient.
func (s *Store) MarkNotified(ctx context.Context, runID, recipient string) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO notifications (run_id, recipient, state, sent_at) VALUES ($1, $2, 'sent', now())
		ON CONFLICT (run_id, recipient) DO UPDATE SET state = 'sent', sent_at = coalesce(notifications.sent_at, now())`,
		runID, recipient)
	if err != nil {
		return fmt.Errorf("mark notification of run %s sent: %w", runID, err)
	}
	return nil
}

// ReleaseNotification gives up a claim whose sending failed, so a retry can
// claim it again. A sent notification stays sent.
func (s *Store) ReleaseNotification(ctx context.Context, runID, recipient string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM notifications WHERE run_id = $1 AND recipient = $2 AND state = 'sending'", runID, recipient)
	if err != nil {
		return fmt.Errorf("release notification of run %s: %w", runID, err)
	}
	return nil
}
