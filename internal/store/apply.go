package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
)

// SafetyLimitHint tells an operator how to raise the safety limit; it ends the
// reason of a refused apply.
const SafetyLimitHint = "raise the org's limit with `starter org set --org ORG --safety-limit 0.3 --as YOU`"

// trackedColumns are the people columns whose change is a change of the person.
// justworks_manager_id and updated_at are kept current too, but a difference in
// them alone is not a change (the resolved manager_id is what counts).
const trackedColumns = `given_name, family_name, preferred_name, work_email, job_title, department_id, department_name,
	manager_id, employment_type, status, start_date, termination_date,
	location_name, location_city, location_state, location_country`

// personColumns are all people columns that come from the roster.
const personColumns = trackedColumns + `, justworks_manager_id, updated_at`

func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// The apply works on two temporary tables, dropped at commit:
//   - apply_roster: the last staged copy of each member, with the resolved manager;
//   - apply_diff:   every member of the roster or of the stored chart, with the
//     kind of change (hire, termination, rehire, returned, update, unchanged, removed).
type setupStep struct {
	sql  string
	arg  string                                             // "run", "org" or "": the statement's one parameter $1
	hook func(context.Context, *sqlx.Tx, ApplyParams) error // instead of sql
}

var applySetupSQL = []setupStep{
	{sql: `CREATE TEMP TABLE apply_roster (
		id text COLLATE "C" PRIMARY KEY,
		given_name text, family_name text, preferred_name text, work_email text, job_title text,
		department_id text, department_name text, manager_id text COLLATE "C", employment_type text, status text,
		start_date date, termination_date date,
		location_name text, location_city text, location_state text, location_country text,
		justworks_manager_id text COLLATE "C", updated_at timestamptz
	) ON COMMIT DROP`},
	{arg: "run", sql: `INSERT INTO apply_roster (id, ` + personColumns + `)
	SELECT m.id, ` + strings.Replace(prefixed("m", personColumns), "m.manager_id", "t.manager_id", 1) + `
	FROM (SELECT id, ` + strings.Replace(personColumns, "justworks_manager_id", "manager_id AS justworks_manager_id", 1) + `
		FROM (` + lastCopySQL + `) last WHERE skip_reason IS NULL) m
	LEFT JOIN staging_tree t ON t.run_id = $1 AND t.member_id = m.id`},
	// The org's scope and field options (options.go).
	{hook: applyOptions},
	// Terminations ahead of their date wait for it (effective.go).
	{hook: applyEffectiveDates},
	{sql: `ANALYZE apply_roster`},
	// Members the run skipped are neither applied nor removed: stored as they are.
	{arg: "run", sql: `CREATE TEMP TABLE apply_skipped ON COMMIT DROP AS
	SELECT DISTINCT member_id AS id FROM run_skipped WHERE run_id = $1 AND member_id <> ''`},
	{sql: `CREATE TEMP TABLE apply_diff (
		id text COLLATE "C" PRIMARY KEY,
		kind text NOT NULL,
		old_status text,
		meta_changed boolean NOT NULL
	) ON COMMIT DROP`},
	// A stored person already 'removed' and still absent is not part of this
	// sync, nor is a stored person the run skipped. One stored as 'removed'
	// who is on the roster again returned, whatever their status: only a
	// stored termination undone is a rehire.
	{arg: "org", sql: `INSERT INTO apply_diff (id, kind, old_status, meta_changed)
	SELECT coalesce(r.id, p.id),
		CASE
			WHEN p.id IS NULL THEN 'hire'
			WHEN r.id IS NULL THEN 'removed'
			WHEN p.status = 'removed' THEN 'returned'
			WHEN p.status = 'terminated' AND r.status <> 'terminated' THEN 'rehire'
			WHEN p.status NOT IN ('terminated', 'removed') AND r.status = 'terminated' THEN 'termination'
			WHEN (` + prefixed("p", trackedColumns) + `) IS DISTINCT FROM (` + prefixed("r", trackedColumns) + `) THEN 'update'
			ELSE 'unchanged'
		END,
		p.status,
		coalesce((p.justworks_manager_id, p.updated_at) IS DISTINCT FROM (r.justworks_manager_id, r.updated_at), false)
	FROM apply_roster r
	FULL JOIN (SELECT * FROM people WHERE org_id = $1
		AND NOT EXISTS (SELECT FROM apply_excluded x WHERE x.id = people.id)) p ON p.id = r.id
	WHERE NOT (r.id IS NULL AND (p.status = 'removed' OR p.id IN (SELECT id FROM apply_skipped)))`},
	{sql: `ANALYZE apply_diff`},
}

// changeFieldsSQL builds {"field": {"old": ..., "new": ...}} of the fields that
// differ between the stored person p (null for a hire) and the roster's r.
// Values are as exported: department and location as labels, dates YYYY-MM-DD.
// It concatenates one small object per changed field: per row, that is several
// times cheaper than aggregating a VALUES list.
var changeFieldsSQL = func() string {
	fields := []struct{ key, old, new, changed string }{
		{"given_name", "p.given_name", "r.given_name", ""},
		{"family_name", "p.family_name", "r.family_name", ""},
		{"preferred_name", "p.preferred_name", "r.preferred_name", ""},
		{"work_email", "p.work_email", "r.work_email", ""},
		{"job_title", "p.job_title", "r.job_title", ""},
		{"department", departmentLabel("p"),
			departmentLabel("r"),
			"(p.department_id, p.department_name) IS DISTINCT FROM (r.department_id, r.department_name)"},
		{"manager_id", "p.manager_id", "r.manager_id", ""},
		{"employment_type", "p.employment_type", "r.employment_type", ""},
		{"status", "p.status", "r.status", ""},
		{"start_date", "to_char(p.start_date, 'YYYY-MM-DD')", "to_char(r.start_date, 'YYYY-MM-DD')",
			"p.start_date IS DISTINCT FROM r.start_date"},
		{"termination_date", "to_char(p.termination_date, 'YYYY-MM-DD')", "to_char(r.termination_date, 'YYYY-MM-DD')",
			"p.termination_date IS DISTINCT FROM r.termination_date"},
		{"location", locationLabel("p"),
			locationLabel("r"),
			"(p.location_name, p.location_city, p.location_state, p.location_country) IS DISTINCT FROM " +
				"(r.location_name, r.location_city, r.location_state, r.location_country)"},
	}
	// The JSON is assembled as text and cast to jsonb once: concat_ws skips the
	// NULL of an unchanged field. Per row this is about ten times cheaper than
	// json(b)_build_object per field, which matters for a first sync's 100,000
	// hires.
	parts := make([]string, len(fields))
	for i, f := range fields {
		changed := f.changed
		if changed == "" {
			changed = f.old + " IS DISTINCT FROM " + f.new
		}
		parts[i] = fmt.Sprintf(`CASE WHEN %s THEN '"%s":{"old":' || coalesce(to_json(%s)::text, 'null') || ',"new":' || coalesce(to_json(%s)::text, 'null') || '}' END`,
			changed, f.key, f.old, f.new)
	}
	return "('{' || concat_ws(',',\n\t\t" + strings.Join(parts, ",\n\t\t") + ") || '}')::jsonb"
}()

// changeRowFieldsSQL is the fields of one change-log row of apply_diff d
// (with the roster's r and the stored p): what a removal or a change did.
// The change log and a held run's staged change set (hold.go) share it.
var changeRowFieldsSQL = `CASE WHEN d.kind = 'removed'
			THEN jsonb_build_object('status', jsonb_build_object('old', p.status, 'new', 'removed'))
			ELSE ` + changeFieldsSQL + `
		END`

// applyWrite is one statement of the write; $1 is the org, $2 the run. when
// says, from the counts, whether it has anything to do: a statement with
// nothing to write is skipped, so an unchanged roster costs no scan of the
// stored chart.
type applyWrite struct {
	sql  string
	when func(c applyCounts) bool
}

// applyCounts are the diff's counts as the write needs them.
type applyCounts struct {
	domain.Counts
	MetaOnly int `db:"meta_only"` // unchanged people whose untracked columns moved
}

func (c applyCounts) changed() int { return c.Counts.Changed() }

// applyWriteSQL writes the diff. The change log is written first because it
// reads the stored (old) values.
var applyWriteSQL = []applyWrite{
	{when: func(c applyCounts) bool { return c.changed() > 0 }, sql: `INSERT INTO change_log (org_id, run_id, member_id, kind, fields)
	SELECT $1, $2, d.id, d.kind, ` + changeRowFieldsSQL + `
	FROM apply_diff d
	LEFT JOIN apply_roster r ON r.id = d.id
	LEFT JOIN people p ON p.org_id = $1 AND p.id = d.id
	WHERE d.kind <> 'unchanged'
	ORDER BY d.id`},
	// Changed people, and unchanged people whose untracked columns moved.
	{when: func(c applyCounts) bool { return c.Terminations+c.Rehires+c.Returned+c.Updates+c.MetaOnly > 0 }, sql: `UPDATE people p SET (` + personColumns + `, last_changed_run, written_at) =
		(` + prefixed("r", personColumns) + `,
		 CASE WHEN d.kind = 'unchanged' THEN p.last_changed_run ELSE $2 END, now())
	FROM apply_diff d JOIN apply_roster r ON r.id = d.id
	WHERE p.org_id = $1 AND p.id = d.id
		AND (d.kind IN ('termination', 'rehire', 'returned', 'update') OR (d.kind = 'unchanged' AND d.meta_changed))`},
	{when: func(c applyCounts) bool { return c.Hires > 0 }, sql: `INSERT INTO people (org_id, id, ` + personColumns + `, first_seen_run, last_changed_run)
	SELECT $1, r.id, ` + prefixed("r", personColumns) + `, $2, $2
	FROM apply_diff d JOIN apply_roster r ON r.id = d.id
	WHERE d.kind = 'hire'
	ORDER BY r.id`},
	// Removed people keep their last values; only the status says they left.
	// Driven from the (few) removed ids, not from the org's stored people.
	{when: func(c applyCounts) bool { return c.Removed > 0 }, sql: `UPDATE people p SET status = 'removed', last_changed_run = $2, written_at = now()
	FROM (SELECT id FROM apply_diff WHERE kind = 'removed' OFFSET 0) d
	WHERE p.org_id = $1 AND p.id = d.id`},
	{sql: `DELETE FROM problems WHERE org_id = $1`},
	{sql: `INSERT INTO problems (org_id, member_id, kind, detail, run_id)
	SELECT $1, member_id, kind, detail, $2 FROM staging_problems WHERE run_id = $2`},
	{sql: `INSERT INTO org_charts (org_id, head_id, last_run_id, synced_at)
	SELECT $1, head_id, $2, now() FROM staging_heads WHERE run_id = $2
	ON CONFLICT (org_id) DO UPDATE SET head_id = EXCLUDED.head_id, last_run_id = EXCLUDED.last_run_id,
		synced_at = EXCLUDED.synced_at`},
}

type storedResult struct {
	Outcome domain.Outcome `json:"outcome"`
	Reason  string         `json:"reason,omitempty"`
	Counts  domain.Counts  `json:"counts"`
	Held    bool           `json:"held,omitempty"`
}

// ApplyRoster applies the run's staged roster and tree to the org's stored
// chart in one transaction, with set-based SQL:
//
//   - a member not stored yet is a hire (pending ones included);
//   - stored not terminated and now terminated: a termination;
//   - stored terminated and now not terminated: a rehire;
//   - stored removed (missing from an earlier roster) and on the roster
//     again: returned, whatever the status;
//   - any other difference in a tracked field: an update; else unchanged;
//   - stored (not removed) and absent from the roster: removed — the row is
//     kept with status 'removed'.
//
// Each changed person gets one change-log row; unchanged rows are not written.
// The org's problems are replaced by the run's, and the chart's head is set.
//
// Members the run skipped (RecordFetchReport) are neither applied nor
// removed: their stored rows stay as they are.
//
// Before writing, safety checks refuse (Outcome "refused", nothing written,
// Reason says why) an empty roster, or one that would, for more than
// SafetyThreshold of the stored active people: terminate or remove them; move
// them outside the reporting tree (a new head); or blank one of their title,
// manager, department, work email or location (rosterSafety). A threshold ≤ 0
// means the org's own.
//
// Applies of one org take turns (advisory lock); a run's apply happens once:
// called again, it returns the first answer (Repeated) without looking at the
// data. When ctx ends before the commit, everything is rolled back.
// StageTree must have run for the run.
func (s *Store) ApplyRoster(ctx context.Context, p ApplyParams) (ApplyResult, error) {
	if p.OrgID == "" || p.RunID == "" {
		return ApplyResult{}, fmt.Errorf("apply roster: %w: org id and run id are required", ErrBadInput)
	}
	started := time.Now()
	var res ApplyResult
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if res, err = s.applyRoster(ctx, tx, p); err != nil {
			return err
		}
		// Last look before the commit: a caller that gave up (its run was
		// terminated or timed out) gets a rollback, not a chart it no longer
		// answers for.
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("not committed: %w", context.Cause(ctx))
		}
		return nil
	})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply roster of org %q, run %s: %w", p.OrgID, p.RunID, err)
	}
	s.log.Info("applied roster",
		zap.String("org", p.OrgID), zap.String("run_id", p.RunID), zap.String("outcome", string(res.Outcome)),
		zap.Any("counts", res.Counts), zap.Duration("took", time.Since(started)))
	return res, nil
}

func (s *Store) applyRoster(ctx context.Context, tx *sqlx.Tx, p ApplyParams) (ApplyResult, error) {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('rostersync.apply:' || $1, 0))", p.OrgID); err != nil {
		return ApplyResult{}, fmt.Errorf("take the org's apply lock: %w", err)
	}
	// The roster's sort (last staged copy of each member) and the diff's
	// hash joins fit in memory at 200,000 people instead of spilling to disk
	// (EXPLAIN ANALYZE at 100,000: an 18 MB external merge under the default 4 MB).
	if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '64MB'"); err != nil {
		return ApplyResult{}, fmt.Errorf("set work_mem: %w", err)
	}

	// Once per run: a stored result is the answer.
	var runOrg string
	var stored []byte
	err := tx.QueryRowxContext(ctx, "SELECT org_id, result FROM sync_runs WHERE run_id = $1 FOR UPDATE", p.RunID).Scan(&runOrg, &stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, "INSERT INTO sync_runs (run_id, org_id) VALUES ($1, $2)", p.RunID, p.OrgID); err != nil {
			return ApplyResult{}, notFoundIfFK(err, "org "+p.OrgID)
		}
	case err != nil:
		return ApplyResult{}, fmt.Errorf("read run: %w", err)
	case runOrg != p.OrgID:
		return ApplyResult{}, fmt.Errorf("%w: run %s belongs to org %q", ErrBadInput, p.RunID, runOrg)
	case stored != nil && !p.Preview:
		var r storedResult
		if err := json.Unmarshal(stored, &r); err != nil {
			return ApplyResult{}, fmt.Errorf("decode the stored result: %w", err)
		}
		if !(p.Approved && r.Held) {
			return ApplyResult{Outcome: r.Outcome, Reason: r.Reason, Counts: r.Counts, Held: r.Held, Repeated: true}, nil
		}
		// Approved: the held change set is written below, if it is still
		// exactly what was shown.
	}

	threshold := p.SafetyThreshold
	if threshold <= 0 {
		if err := tx.GetContext(ctx, &threshold, "SELECT safety_threshold FROM orgs WHERE id = $1", p.OrgID); err != nil {
			return ApplyResult{}, fmt.Errorf("read the org's safety threshold: %w", err)
		}
	}
	var treeStaged bool
	if err := tx.GetContext(ctx, &treeStaged, "SELECT EXISTS (SELECT FROM staging_heads WHERE run_id = $1)", p.RunID); err != nil {
		return ApplyResult{}, fmt.Errorf("check the staged tree: %w", err)
	}
	if !treeStaged {
		return ApplyResult{}, fmt.Errorf("the tree of run %s was not staged (StageTree must run before ApplyRoster)", p.RunID)
	}

	for i, step := range applySetupSQL {
		var args []any
		switch step.arg {
		case "run":
			args = []any{p.RunID}
		case "org":
			args = []any{p.OrgID}
		}
		t0 := time.Now()
		if step.hook != nil {
			if err := step.hook(ctx, tx, p); err != nil {
				return ApplyResult{}, fmt.Errorf("diff the roster (step %d): %w", i+1, err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, step.sql, args...); err != nil {
			return ApplyResult{}, fmt.Errorf("diff the roster (step %d): %w", i+1, err)
		}
		s.log.Debug("apply step", zap.String("step", "diff"), zap.Int("n", i+1), zap.Duration("took", time.Since(t0)))
	}

	var c struct {
		applyCounts
		Roster int `db:"roster"`
		Active int `db:"active"`
		Leave  int `db:"leaving"`
	}
	if err := tx.GetContext(ctx, &c, `
		SELECT
			count(*) FILTER (WHERE kind = 'hire') AS hires,
			count(*) FILTER (WHERE kind = 'termination') AS terminations,
			count(*) FILTER (WHERE kind = 'rehire') AS rehires,
			count(*) FILTER (WHERE kind = 'returned') AS returned,
			count(*) FILTER (WHERE kind = 'update') AS updates,
			count(*) FILTER (WHERE kind = 'unchanged') AS unchanged,
			count(*) FILTER (WHERE kind = 'removed') AS removed,
			count(*) FILTER (WHERE kind = 'unchanged' AND meta_changed) AS meta_only,
			count(*) FILTER (WHERE kind <> 'removed') AS roster,
			count(*) FILTER (WHERE old_status = 'active') AS active,
			count(*) FILTER (WHERE old_status = 'active' AND kind IN ('termination', 'removed')) AS leaving,
			(SELECT count(*) FROM staging_problems WHERE run_id = $1) AS problems,
			(SELECT count(*) FROM run_skipped WHERE run_id = $1) AS skipped
		FROM apply_diff`, p.RunID); err != nil {
		return ApplyResult{}, fmt.Errorf("count the changes: %w", err)
	}
	res := ApplyResult{Counts: c.Counts}
	if err := tx.GetContext(ctx, &res.Counts.Excluded, "SELECT count(*) FROM apply_excluded"); err != nil {
		return ApplyResult{}, fmt.Errorf("count the excluded: %w", err)
	}
	unsafe, err := rosterSafety(ctx, tx, p.OrgID, p.RunID, threshold, c.Active)
	if err != nil {
		return ApplyResult{}, err
	}

	switch {
	case c.Roster == 0:
		res.Outcome = domain.OutcomeRefused
		res.Reason = "Justworks returned an empty roster; nothing was applied"
	case !p.Approved && c.Active > 0 && float64(c.Leave) > threshold*float64(c.Active)+1e-9:
		res.Outcome, res.Held = domain.OutcomeRefused, true
		res.Reason = fmt.Sprintf("the roster from Justworks would terminate or remove %d of %d active people (%s %%), above the %s %% safety limit; nothing was applied — check Justworks, or %s",
			c.Leave, c.Active, percent(float64(c.Leave)/float64(c.Active)), percent(threshold), SafetyLimitHint)
	case !p.Approved && unsafe != "":
		res.Outcome, res.Held = domain.OutcomeRefused, true
		res.Reason = unsafe
	}
	if res.Outcome == "" && p.Approved {
		same, err := sameAsStagedChanges(ctx, tx, p)
		if err != nil {
			return ApplyResult{}, err
		}
		if !same {
			res.Outcome = domain.OutcomeRefused
			res.Reason = "the stored org chart changed while the sync waited for approval, so the approved change set is no longer what it would write; nothing was applied — start a new sync"
		}
	}
	if res.Held || p.Preview {
		// What was shown is what an approval writes: keep the change set.
		if err := stageChanges(ctx, tx, p); err != nil {
			return ApplyResult{}, err
		}
	}
	switch {
	case res.Outcome != "":
	case p.Preview:
		res.Outcome = domain.OutcomeApplied
		if c.Changed() == 0 {
			res.Outcome = domain.OutcomeNoChanges
		}
		return res, nil // a preview writes nothing and keeps no result
	default:
		for i, w := range applyWriteSQL {
			if w.when != nil && !w.when(c.applyCounts) {
				continue
			}
			args := []any{p.OrgID, p.RunID}
			if !strings.Contains(w.sql, "$2") {
				args = args[:1]
			}
			t0 := time.Now()
			if _, err := tx.ExecContext(ctx, w.sql, args...); err != nil {
				return ApplyResult{}, fmt.Errorf("write the roster (step %d): %w", i+1, err)
			}
			s.log.Debug("apply step", zap.String("step", "write"), zap.Int("n", i+1), zap.Duration("took", time.Since(t0)))
		}
		res.Outcome = domain.OutcomeApplied
		if c.changed() == 0 {
			res.Outcome = domain.OutcomeNoChanges
		}
	}

	if p.Preview {
		return res, nil
	}
	b, err := json.Marshal(storedResult{Outcome: res.Outcome, Reason: res.Reason, Counts: res.Counts, Held: res.Held})
	if err != nil {
		return ApplyResult{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sync_runs SET result = $2,
		applied_at = CASE WHEN $3 THEN now() END WHERE run_id = $1`, p.RunID, b, res.Outcome != domain.OutcomeRefused); err != nil {
		return ApplyResult{}, fmt.Errorf("record the result: %w", err)
	}
	return res, nil
}

// percent formats a fraction as a percentage with at most one decimal.
func percent(f float64) string {
	return strconv.FormatFloat(float64(int64(f*1000+0.5))/10, 'f', -1, 64)
}
