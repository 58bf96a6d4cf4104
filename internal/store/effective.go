package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// orgTodaySQL is today's date in org $1's time zone (UTC when unset).
const orgTodaySQL = `(SELECT (now() AT TIME ZONE coalesce(nullif(time_zone, ''), 'UTC'))::date FROM orgs WHERE id = $1)`

// applyEffectiveDates runs inside ApplyRoster after the options, so that a
// termination takes effect on its date in the org's time zone, whatever
// Justworks' status says on the day of the sync:
//   - reported terminated with a termination date still ahead: the person
//     keeps their stored status (a new person: active) until that day;
//   - still active or on leave with a termination date that has come: the
//     person is terminated (the daily sync of that day applies it).
//
// Terminations newly scheduled ahead (a date this run brings) are recorded
// for the summary.
func applyEffectiveDates(ctx context.Context, tx *sqlx.Tx, p ApplyParams) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM staging_scheduled WHERE run_id = $1", p.RunID); err != nil {
		return fmt.Errorf("scheduled terminations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO staging_scheduled (run_id, member_id, termination_date)
		SELECT $2, r.id, r.termination_date FROM apply_roster r
		LEFT JOIN people p ON p.org_id = $1 AND p.id = r.id
		WHERE r.termination_date > `+orgTodaySQL+`
			AND (r.status = 'terminated' OR p.termination_date IS DISTINCT FROM r.termination_date)`, p.OrgID, p.RunID); err != nil {
		return fmt.Errorf("scheduled terminations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE apply_roster r SET status = coalesce(
			(SELECT p.status FROM people p WHERE p.org_id = $1 AND p.id = r.id AND p.status NOT IN ('terminated', 'removed')), 'active')
		WHERE r.status = 'terminated' AND r.termination_date > `+orgTodaySQL, p.OrgID); err != nil {
		return fmt.Errorf("scheduled terminations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE apply_roster r SET status = 'terminated'
		WHERE r.status IN ('active', 'on_leave') AND r.termination_date <= `+orgTodaySQL, p.OrgID); err != nil {
		return fmt.Errorf("terminations due: %w", err)
	}
	return nil
}

// Scheduled is a termination that takes effect on a later day.
type Scheduled struct {
	MemberID        string    `db:"member_id"`
	DisplayName     string    `db:"display_name"`
	TerminationDate time.Time `db:"termination_date"`
}

// RunScheduled lists up to limit (≤ 0: all) terminations the run left for
// their day, soonest first, and how many there are.
func (s *Store) RunScheduled(ctx context.Context, runID string, limit int) ([]Scheduled, int, error) {
	out := []Scheduled{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT x.member_id, coalesce(`+displayName("m")+`, x.member_id) AS display_name, x.termination_date
		FROM staging_scheduled x
		LEFT JOIN LATERAL (SELECT given_name, family_name, preferred_name FROM staging_members s
			WHERE s.run_id = x.run_id AND s.id = x.member_id ORDER BY s.seq DESC LIMIT 1) m ON true
		WHERE x.run_id = $1
		ORDER BY 3, 2, 1 LIMIT CASE WHEN $2 > 0 THEN $2 END`, runID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("scheduled terminations of run %s: %w", runID, err)
	}
	var n int
	if err := s.db.GetContext(ctx, &n, "SELECT count(*) FROM staging_scheduled WHERE run_id = $1", runID); err != nil {
		return nil, 0, fmt.Errorf("scheduled terminations of run %s: %w", runID, err)
	}
	return out, n, nil
}
