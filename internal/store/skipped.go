package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
)

// knownStatuses and knownEmploymentTypes are the contract's values; others
// are stored as received and reported (run_unknown_values).
var (
	knownStatuses = []string{justworks.StatusPending, justworks.StatusActive, justworks.StatusOnLeave,
		justworks.StatusTerminated}
	knownEmploymentTypes = []string{justworks.EmploymentFullTime, justworks.EmploymentPartTime,
		justworks.EmploymentContractor, justworks.EmploymentIntern}
)

// SkippedMember is a member a run could not take, and why.
type SkippedMember struct {
	MemberID string            `db:"member_id" json:"member_id"` // "" when Justworks sent none
	Name     string            `db:"name" json:"name"`
	Reason   domain.SkipReason `db:"reason" json:"reason"`
	Detail   string            `db:"detail" json:"detail"`
}

// UnknownValue is a value outside the contract's enums that a run stored as
// received, and for how many people.
type UnknownValue struct {
	Field  string `db:"field" json:"field"` // domain.FieldStatus or domain.FieldEmploymentType
	Value  string `db:"value" json:"value"`
	People int    `db:"people" json:"people"`
}

// RecordFetchReport writes the run's record of what the fetch could not take
// as sent, from the last staged copy of each member: the members skipped
// (run_skipped; members without an id are there already) and the values
// outside the documented enums (run_unknown_values). Idempotent: a repeated
// call replaces the earlier record.
func (s *Store) RecordFetchReport(ctx context.Context, runID string) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, q := range []string{
			`DELETE FROM run_skipped WHERE run_id = $1 AND member_id <> ''`,
			`INSERT INTO run_skipped (run_id, seq, member_id, name, reason, detail)
			SELECT run_id, seq, id, ` + displayName("m") + `, skip_reason, coalesce(skip_detail, '')
			FROM (` + lastCopySQL + `) m WHERE skip_reason IS NOT NULL`,
			`DELETE FROM run_unknown_values WHERE run_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, runID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO run_unknown_values (run_id, field, value, people)
			SELECT $1, field, value, count(*) FROM (
				SELECT $2 AS field, status AS value FROM (`+lastCopySQL+`) m
				WHERE skip_reason IS NULL AND status <> ALL ($4)
				UNION ALL
				SELECT $3, employment_type FROM (`+lastCopySQL+`) m
				WHERE skip_reason IS NULL AND employment_type <> ALL ($5)) v
			GROUP BY field, value`, runID, domain.FieldStatus, domain.FieldEmploymentType,
			pq.Array(knownStatuses), pq.Array(knownEmploymentTypes))
		return err
	})
	if err != nil {
		return fmt.Errorf("record the fetch report of run %s: %w", runID, err)
	}
	return nil
}

// RunSkipped returns up to limit (≤ 0: all) members the run skipped, by name,
// and how many it skipped in all.
func (s *Store) RunSkipped(ctx context.Context, runID string, limit int) ([]SkippedMember, int, error) {
	out := []SkippedMember{}
	if err := s.db.SelectContext(ctx, &out, `
		SELECT member_id, name, reason, detail FROM run_skipped WHERE run_id = $1
		ORDER BY name, member_id, seq
		LIMIT CASE WHEN $2 > 0 THEN $2 END`, runID, limit); err != nil {
		return nil, 0, fmt.Errorf("read skipped members of run %s: %w", runID, err)
	}
	total := len(out)
	if limit > 0 && total == limit {
		if err := s.db.GetContext(ctx, &total, "SELECT count(*) FROM run_skipped WHERE run_id = $1", runID); err != nil {
			return nil, 0, fmt.Errorf("count skipped members of run %s: %w", runID, err)
		}
	}
	return out, total, nil
}

// RunUnknownValues returns the values outside the documented enums the run
// stored as received, by field and value.
func (s *Store) RunUnknownValues(ctx context.Context, runID string) ([]UnknownValue, error) {
	out := []UnknownValue{}
	if err := s.db.SelectContext(ctx, &out, `
		SELECT field, value, people FROM run_unknown_values WHERE run_id = $1 ORDER BY field, value`, runID); err != nil {
		return nil, fmt.Errorf("read unknown values of run %s: %w", runID, err)
	}
	return out, nil
}
