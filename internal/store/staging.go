package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/orgtree"
)

var stagingMemberColumns = []string{
	"run_id", "seq", "id", "given_name", "family_name", "preferred_name", "work_email", "job_title",
	"department_id", "department_name", "manager_id", "employment_type", "status", "start_date",
	"termination_date", "location_name", "location_city", "location_state", "location_country", "updated_at",
	"skip_reason", "skip_detail",
}

var runSkippedColumns = []string{"run_id", "seq", "member_id", "name", "reason", "detail"}

// StageMembers stages one page of fetched members for the run with one COPY in
// its own transaction; member i gets seq firstSeq+i, and the highest seq of an
// id wins later. Names are stored as sent except for surrounding whitespace; a
// blank preferred name is stored as none; a status or employment type outside
// the contract's is stored as received.
//
// A member that cannot be applied is staged with its reason (domain.SkipReason)
// and later skipped and reported, never applied and never removed: a required
// value missing (given or family name, status), status "removed", a date that
// is not YYYY-MM-DD, text PostgreSQL cannot hold (stored cleaned), JSON that
// did not fit (justworks.Member.DecodeError). A member without an id goes
// straight to the run's skipped list. Only an empty run id is ErrBadInput.
func (s *Store) StageMembers(ctx context.Context, runID string, firstSeq int64, members []justworks.Member) error {
	b, err := stagingRows(runID, firstSeq, members)
	if err != nil {
		return err
	}
	if b.empty() {
		return nil
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error { return b.copy(ctx, tx) })
	if err != nil {
		return fmt.Errorf("stage members of run %s: %w", runID, err)
	}
	return nil
}

// stagingBatch is a page of members as rows: staging_members rows, and
// run_skipped rows of members without an id.
type stagingBatch struct {
	members, nameless [][]any
}

func (b stagingBatch) empty() bool { return len(b.members)+len(b.nameless) == 0 }

func (b stagingBatch) copy(ctx context.Context, tx *sqlx.Tx) error {
	if len(b.members) > 0 {
		if err := copyRows(ctx, tx, "staging_members", stagingMemberColumns, b.members); err != nil {
			return err
		}
	}
	if len(b.nameless) > 0 {
		return copyRows(ctx, tx, "run_skipped", runSkippedColumns, b.nameless)
	}
	return nil
}

// stagingRows turns members into staging rows.
func stagingRows(runID string, firstSeq int64, members []justworks.Member) (stagingBatch, error) {
	var b stagingBatch
	if runID == "" {
		return b, fmt.Errorf("stage members: %w: the run id is empty", ErrBadInput)
	}
	b.members = make([][]any, 0, len(members))
	for i, m := range members {
		seq := firstSeq + int64(i)
		if strings.TrimSpace(m.ID) == "" {
			detail := "the member has no id"
			if m.DecodeError != "" {
				detail += "; " + m.DecodeError
			}
			name := cleanText(strings.TrimSpace(strings.TrimSpace(m.GivenName) + " " + strings.TrimSpace(m.FamilyName)))
			b.nameless = append(b.nameless, []any{runID, seq, "", name, string(domain.SkipNoID), cleanText(detail)})
			continue
		}
		b.members = append(b.members, stagingRow(runID, seq, m))
	}
	return b, nil
}

func copyRows(ctx context.Context, tx *sqlx.Tx, table string, columns []string, rows [][]any) error {
	// The COPY protocol through lib/pq: Exec per row buffers it, the final
	// argument-less Exec ends the COPY.
	stmt, err := tx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(columns, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			stmt.Close()
			return fmt.Errorf("copy into %s: %w", table, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return stmt.Close()
}

// stagingRow is m's staging row (m has an id), with the reason to skip it, if
// any, in its last two columns.
func stagingRow(runID string, seq int64, m justworks.Member) []any {
	var reason domain.SkipReason
	var detail string
	skip := func(r domain.SkipReason, d string) {
		if reason == "" {
			reason, detail = r, d
		}
	}
	if m.DecodeError != "" {
		skip(domain.SkipBadJSON, m.DecodeError)
	}
	start, err := dateValue("start_date", &m.StartDate)
	if err != nil {
		skip(domain.SkipBadDate, err.Error())
	}
	term, err := dateValue("termination_date", m.TerminationDate)
	if err != nil {
		skip(domain.SkipBadDate, err.Error())
	}
	var depID, depName, locName, locCity, locState, locCountry any
	if d := m.Department; d != nil {
		depID, depName = d.ID, d.Name
	}
	if l := m.WorkLocation; l != nil {
		locName, locCity, locState, locCountry = l.Name, l.City, l.State, l.Country
	}
	var preferred any
	if m.PreferredName != nil {
		if p := strings.TrimSpace(*m.PreferredName); p != "" {
			preferred = p
		}
	}
	var updated any
	if !m.UpdatedAt.IsZero() {
		updated = m.UpdatedAt
	}
	given, family, status := strings.TrimSpace(m.GivenName), strings.TrimSpace(m.FamilyName), strings.TrimSpace(m.Status)
	row := []any{runID, seq, m.ID, given, family, preferred,
		optional(m.WorkEmail), optional(m.JobTitle), depID, depName, optional(m.ManagerID), m.EmploymentType, m.Status,
		start, term, locName, locCity, locState, locCountry, updated, nil, nil}
	for i, v := range row {
		if s, ok := v.(string); ok && cleanText(s) != s {
			// Stored cleaned, so the report can show who it was; never applied.
			skip(domain.SkipBadText, stagingMemberColumns[i]+" is not valid UTF-8 or contains a NUL character")
			row[i] = cleanText(s)
		}
	}
	switch {
	case given == "":
		skip(domain.SkipNoGivenName, "given_name is empty or absent")
	case family == "":
		skip(domain.SkipNoFamilyName, "family_name is empty or absent")
	case status == "":
		skip(domain.SkipNoStatus, "status is empty or absent")
	case status == statusRemoved:
		skip(domain.SkipReservedStatus, `status "removed" is what Rostersync stores for people missing from the roster`)
	}
	if reason != "" {
		row[len(row)-2], row[len(row)-1] = string(reason), cleanText(detail)
	}
	return row
}

// statusRemoved is the status Rostersync stores for a person missing from the
// roster; Justworks' statuses are stored as received otherwise.
const statusRemoved = "removed"

// cleanText is s as PostgreSQL can hold it: valid UTF-8, no NUL.
func cleanText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func optional(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// dateValue checks a YYYY-MM-DD date; nil or "" is no date.
func dateValue(field string, p *string) (any, error) {
	if p == nil || *p == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, *p)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a date (YYYY-MM-DD)", field, cleanText(*p))
	}
	return t.Format(time.DateOnly), nil
}

// StagedCount is the number of distinct members staged for the run whose last
// copy can be applied (skipped ones left out).
func (s *Store) StagedCount(ctx context.Context, runID string) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, "SELECT count(*) FROM ("+lastCopySQL+") m WHERE skip_reason IS NULL", runID); err != nil {
		return 0, fmt.Errorf("count staged members of run %s: %w", runID, err)
	}
	return n, nil
}

// StagedRows counts the run's staged rows, copies included: a resumed fetch
// compares it with the rows its heartbeat says were staged.
func (s *Store) StagedRows(ctx context.Context, runID string) (int64, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, "SELECT count(*) FROM staging_members WHERE run_id = $1", runID); err != nil {
		return 0, fmt.Errorf("count staged rows of run %s: %w", runID, err)
	}
	return n, nil
}

// lastCopySQL selects the winning (highest seq) staged copy of each member of
// run $1. ctid breaks ties between copies staged twice with the same seq (a
// retried page), which are the same data.
const lastCopySQL = `
	SELECT DISTINCT ON (id) *
	FROM staging_members
	WHERE run_id = $1
	ORDER BY id, seq DESC, ctid DESC`

// StagedPeople returns the last staged copy of each member of the run, by id,
// leaving out those the org's scope excluded (StageScope) and those whose
// last copy is skipped.
func (s *Store) StagedPeople(ctx context.Context, runID string) ([]orgtree.Person, error) {
	people := []orgtree.Person{}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The sort for the last copy of each member stays in memory (as in
		// ApplyRoster) instead of spilling to disk at 100,000 people.
		if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '64MB'"); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT id, given_name, family_name, preferred_name, manager_id, status
			FROM (`+lastCopySQL+`) m
			WHERE skip_reason IS NULL
				AND NOT EXISTS (SELECT FROM staging_excluded x WHERE x.run_id = $1 AND x.member_id = m.id)
			ORDER BY id`, runID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p orgtree.Person
			var preferred, manager sql.NullString
			if err := rows.Scan(&p.ID, &p.GivenName, &p.FamilyName, &preferred, &manager, &p.Status); err != nil {
				return err
			}
			p.PreferredName, p.ManagerID = nullString(preferred), nullString(manager)
			people = append(people, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read staged people of run %s: %w", runID, err)
	}
	return people, nil
}

// StageTree stages the resolved tree of the run: the head, the manager to store
// for each member (absent from r.Managers: none) and the problems. A repeated
// call replaces the earlier one. ApplyRoster requires it.
func (s *Store) StageTree(ctx context.Context, runID, headID string, r orgtree.Result) error {
	if runID == "" {
		return fmt.Errorf("stage tree: %w: the run id is empty", ErrBadInput)
	}
	managers := make([][]any, 0, len(r.Managers))
	for member, manager := range r.Managers {
		if member == "" || manager == "" {
			return fmt.Errorf("stage tree of run %s: %w: empty id in the manager of %q (%q)", runID, ErrBadInput, member, manager)
		}
		managers = append(managers, []any{runID, member, manager})
	}
	problems := make([][]any, len(r.Problems))
	for i, p := range r.Problems {
		if p.MemberID == "" || p.Kind == "" {
			return fmt.Errorf("stage tree of run %s: %w: problem %d has no member id or kind", runID, ErrBadInput, i)
		}
		problems[i] = []any{runID, p.MemberID, p.Kind, p.Detail}
	}
	var head any
	if headID != "" {
		head = headID
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := dropStagedTree(ctx, tx, runID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO staging_heads (run_id, head_id) VALUES ($1, $2)", runID, head); err != nil {
			return err
		}
		if len(managers) > 0 {
			if err := copyRows(ctx, tx, "staging_tree", []string{"run_id", "member_id", "manager_id"}, managers); err != nil {
				return err
			}
		}
		if len(problems) > 0 {
			if err := copyRows(ctx, tx, "staging_problems", []string{"run_id", "member_id", "kind", "detail"}, problems); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("stage tree of run %s: %w", runID, err)
	}
	return nil
}

func dropStagedTree(ctx context.Context, tx *sqlx.Tx, runID string) error {
	for _, t := range []string{"staging_tree", "staging_problems", "staging_heads"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE run_id = $1", runID); err != nil {
			return fmt.Errorf("delete from %s: %w", t, err)
		}
	}
	return nil
}
