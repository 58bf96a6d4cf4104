package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rostersync/rostersync/internal/domain"
)

// changeFieldOrder is the order FieldChanges are listed in: the export's column
// order.
var changeFieldOrder = map[string]int{
	"given_name": 1, "family_name": 2, "preferred_name": 3, "work_email": 4, "job_title": 5,
	"department": 6, "manager_id": 7, "employment_type": 8, "status": 9, "start_date": 10,
	"termination_date": 11, "location": 12,
}

// RunChanges returns the change-log rows of a run, at most limitPerKind of each
// kind (≤ 0: all), kinds in the order of domain.ChangeKinds, and by display
// name within a kind. Manager changes carry the
// managers' display names as labels.
func (s *Store) RunChanges(ctx context.Context, runID string, limitPerKind int) ([]Change, error) {
	return s.readChanges(ctx, changeLogSource, runID, limitPerKind)
}

// changeSource is where change rows are read: the change log, or a run's
// staged change set (hold.go), whose new people are not stored yet.
type changeSource struct {
	// rows selects org_id, member_id, kind, fields and display_name of run $1.
	rows string
	// names selects id and name of the people ids $2 in org $1 (run $3).
	names string
}

var changeLogSource = changeSource{
	rows: `SELECT c.org_id, c.member_id, c.kind, c.fields,
			coalesce(` + displayName("p") + `, c.member_id) AS display_name
		FROM change_log c
		LEFT JOIN people p ON p.org_id = c.org_id AND p.id = c.member_id
		WHERE c.run_id = $1`,
	names: `SELECT p.id, ` + displayName("p") + ` AS name
		FROM people p WHERE p.org_id = $1 AND p.id = ANY($2) AND $3::text IS NOT NULL`,
}

func (s *Store) readChanges(ctx context.Context, src changeSource, runID string, limitPerKind int) ([]Change, error) {
	var rows []struct {
		OrgID       string            `db:"org_id"`
		MemberID    string            `db:"member_id"`
		Kind        domain.ChangeKind `db:"kind"`
		Fields      []byte            `db:"fields"`
		DisplayName string            `db:"display_name"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT org_id, member_id, kind, fields, display_name FROM (
			SELECT c.org_id, c.member_id, c.kind, c.fields, c.display_name,
				row_number() OVER (PARTITION BY c.kind ORDER BY c.display_name, c.member_id) AS rn
			FROM (`+src.rows+`) c) x
		WHERE $2 <= 0 OR rn <= $2
		ORDER BY array_position($3::text[], kind::text), rn`,
		runID, limitPerKind, pq.Array(domain.ChangeKinds))
	if err != nil {
		return nil, fmt.Errorf("read changes of run %s: %w", runID, err)
	}
	out := make([]Change, 0, len(rows))
	managers := map[string]bool{}
	for _, r := range rows {
		var fields map[string]struct {
			Old *string `json:"old"`
			New *string `json:"new"`
		}
		if err := json.Unmarshal(r.Fields, &fields); err != nil {
			return nil, fmt.Errorf("read changes of run %s: decode fields of %s: %w", runID, r.MemberID, err)
		}
		c := Change{MemberID: r.MemberID, Kind: r.Kind, DisplayName: r.DisplayName, Fields: make([]FieldChange, 0, len(fields))}
		for name, f := range fields {
			c.Fields = append(c.Fields, FieldChange{Field: name, Old: f.Old, New: f.New})
			if name == "manager_id" {
				for _, id := range []*string{f.Old, f.New} {
					if id != nil {
						managers[*id] = true
					}
				}
			}
		}
		sort.Slice(c.Fields, func(i, j int) bool {
			a, b := changeFieldOrder[c.Fields[i].Field], changeFieldOrder[c.Fields[j].Field]
			if a != b {
				return a < b
			}
			return c.Fields[i].Field < c.Fields[j].Field
		})
		out = append(out, c)
	}
	if len(managers) == 0 {
		return out, nil
	}

	ids := make([]string, 0, len(managers))
	for id := range managers {
		ids = append(ids, id)
	}
	var labels []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &labels, src.names, rows[0].OrgID, pq.Array(ids), runID); err != nil {
		return nil, fmt.Errorf("read changes of run %s: manager names: %w", runID, err)
	}
	names := make(map[string]string, len(labels))
	for _, l := range labels {
		names[l.ID] = l.Name
	}
	label := func(id *string) *string {
		if id == nil {
			return nil
		}
		if n, ok := names[*id]; ok {
			return &n
		}
		return nil
	}
	for i := range out {
		for j := range out[i].Fields {
			if f := &out[i].Fields[j]; f.Field == "manager_id" {
				f.OldLabel, f.NewLabel = label(f.Old), label(f.New)
			}
		}
	}
	return out, nil
}

// RunProblems returns up to limit (≤ 0: all) tree problems of a run, by member:
// the stored ones when the run was applied, else the staged ones.
func (s *Store) RunProblems(ctx context.Context, runID string, limit int) ([]ExportProblem, error) {
	problems, err := selectProblems(ctx, s.db, `
		SELECT member_id, kind, detail FROM (
			SELECT member_id, kind, detail FROM problems WHERE run_id = $1
			UNION
			SELECT member_id, kind, detail FROM staging_problems WHERE run_id = $1) p
		ORDER BY member_id, kind, detail
		LIMIT CASE WHEN $2 > 0 THEN $2 END`, runID, limit)
	if err != nil {
		return nil, fmt.Errorf("read problems of run %s: %w", runID, err)
	}
	return problems, nil
}

// selectProblems runs a query returning member_id, kind, detail.
func selectProblems(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]ExportProblem, error) {
	var rows []struct {
		MemberID string `db:"member_id"`
		Kind     string `db:"kind"`
		Detail   string `db:"detail"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, err
	}
	out := make([]ExportProblem, len(rows))
	for i, r := range rows {
		out[i] = ExportProblem(r)
	}
	return out, nil
}

// RunSectionTotals counts, per section of the summary, every entry the run's
// change log holds (RunChanges may list fewer): people hired, terminated,
// rehired, returned and removed; title changes and manager moves among
// updates, rehires and returns. Problems are not change-log rows; the run's counts hold them.
func (s *Store) RunSectionTotals(ctx context.Context, runID string) (map[domain.Section]int, error) {
	return s.sectionTotals(ctx, "change_log", runID)
}

// sectionTotals counts the sections of run's rows in table (change_log, or
// staging_changes for a staged change set).
func (s *Store) sectionTotals(ctx context.Context, table, runID string) (map[domain.Section]int, error) {
	var t struct {
		Hires        int `db:"hires"`
		Terminations int `db:"terminations"`
		Rehires      int `db:"rehires"`
		Returned     int `db:"returned"`
		Removed      int `db:"removed"`
		Titles       int `db:"titles"`
		Managers     int `db:"managers"`
	}
	err := s.db.GetContext(ctx, &t, `
		SELECT
			count(*) FILTER (WHERE kind = $2) AS hires,
			count(*) FILTER (WHERE kind = $3) AS terminations,
			count(*) FILTER (WHERE kind = $4) AS rehires,
			count(*) FILTER (WHERE kind = $5) AS removed,
			count(*) FILTER (WHERE kind = $9) AS returned,
			count(*) FILTER (WHERE kind IN ($4, $6, $9) AND fields ? $7) AS titles,
			count(*) FILTER (WHERE kind IN ($4, $6, $9) AND fields ? $8) AS managers
		FROM `+table+` WHERE run_id = $1`, runID,
		domain.ChangeHire, domain.ChangeTermination, domain.ChangeRehire, domain.ChangeRemoved, domain.ChangeUpdate,
		domain.FieldJobTitle, domain.FieldManagerID, domain.ChangeReturned)
	if err != nil {
		return nil, fmt.Errorf("count changes of run %s: %w", runID, err)
	}
	return map[domain.Section]int{
		domain.SectionHires: t.Hires, domain.SectionTerminations: t.Terminations, domain.SectionRehires: t.Rehires,
		domain.SectionReturned: t.Returned,
		domain.SectionRemoved:  t.Removed, domain.SectionTitleChanges: t.Titles, domain.SectionManagerMoves: t.Managers,
	}, nil
}
