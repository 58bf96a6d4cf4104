package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Export returns the org's stored chart: every person ever synced (removed ones
// with status "removed"), by id, and the problems of the last applied sync. An
// org never synced has a null head and empty lists. ErrNotFound when the org
// does not exist.
func (s *Store) Export(ctx context.Context, orgID string) (Export, error) {
	out := Export{Org: orgID, People: []ExportPerson{}, Problems: []ExportProblem{}}
	// One snapshot, so the people and problems belong to the same sync.
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return Export{}, fmt.Errorf("export org %q: %w", orgID, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	if _, err := getOrg(ctx, tx, orgID, false); err != nil {
		return Export{}, fmt.Errorf("export: %w", err)
	}
	var head sql.NullString
	err = tx.GetContext(ctx, &head, "SELECT head_id FROM org_charts WHERE org_id = $1", orgID)
	if err != nil && err != sql.ErrNoRows {
		return Export{}, fmt.Errorf("export org %q: %w", orgID, err)
	}
	out.HeadID = nullString(head)

	if err := exportPeople(ctx, tx, orgID, func(p ExportPerson) error {
		out.People = append(out.People, p)
		return nil
	}); err != nil {
		return Export{}, fmt.Errorf("export org %q: %w", orgID, err)
	}
	if out.Problems, err = selectProblems(ctx, tx, `
		SELECT member_id, kind, detail FROM problems WHERE org_id = $1 ORDER BY member_id, kind, detail`, orgID); err != nil {
		return Export{}, fmt.Errorf("export org %q: problems: %w", orgID, err)
	}
	return out, nil
}

type exportRow struct {
	ID              string         `db:"id"`
	DisplayName     string         `db:"display_name"`
	GivenName       string         `db:"given_name"`
	FamilyName      string         `db:"family_name"`
	PreferredName   sql.NullString `db:"preferred_name"`
	WorkEmail       sql.NullString `db:"work_email"`
	JobTitle        sql.NullString `db:"job_title"`
	Department      sql.NullString `db:"department"`
	ManagerID       sql.NullString `db:"manager_id"`
	EmploymentType  string         `db:"employment_type"`
	Status          string         `db:"status"`
	StartDate       sql.NullString `db:"start_date"`
	TerminationDate sql.NullString `db:"termination_date"`
	Location        sql.NullString `db:"location"`
}

func exportPeople(ctx context.Context, q sqlx.QueryerContext, orgID string, fn func(ExportPerson) error) error {
	rows, err := q.QueryxContext(ctx, `
		SELECT p.id, `+displayName("p")+` AS display_name,
			p.given_name, p.family_name, p.preferred_name, p.work_email, p.job_title,
			`+departmentLabel("p")+` AS department,
			p.manager_id, p.employment_type, p.status,
			to_char(p.start_date, 'YYYY-MM-DD') AS start_date,
			to_char(p.termination_date, 'YYYY-MM-DD') AS termination_date,
			`+locationLabel("p")+` AS location
		FROM people p WHERE p.org_id = $1
		ORDER BY p.id`, orgID)
	if err != nil {
		return fmt.Errorf("people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r exportRow
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("people: %w", err)
		}
		if err := fn(ExportPerson{
			ID: r.ID, DisplayName: r.DisplayName, GivenName: r.GivenName, FamilyName: r.FamilyName,
			PreferredName: nullString(r.PreferredName), WorkEmail: nullString(r.WorkEmail),
			JobTitle: nullString(r.JobTitle), Department: nullString(r.Department),
			ManagerID: nullString(r.ManagerID), EmploymentType: r.EmploymentType, Status: r.Status,
			StartDate: nullString(r.StartDate), TerminationDate: nullString(r.TerminationDate),
			Location: nullString(r.Location),
		}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("people: %w", err)
	}
	return nil
}

// ExportColumns are the CSV header: the JSON keys of ExportPerson.
var ExportColumns = []string{
	"id", "display_name", "given_name", "family_name", "preferred_name", "work_email", "job_title",
	"department", "manager_id", "employment_type", "status", "start_date", "termination_date", "location",
}

// NeutralizeCell keeps a spreadsheet from reading a cell as a formula: a value
// that starts with =, +, -, @ (or a tab or carriage return, which some
// spreadsheets skip before looking) gets a leading apostrophe. Every value in
// the CSV comes from Justworks, where anyone who can edit a name or title
// could plant "=HYPERLINK(...)" (OWASP "CSV injection").
func NeutralizeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// ExportCSV writes the org's stored people as CSV (header ExportColumns, by id;
// an absent value is an empty cell; formula-like cells neutralised by
// NeutralizeCell), streaming rows as they are read.
// ErrNotFound when the org does not exist.
func (s *Store) ExportCSV(ctx context.Context, orgID string, w io.Writer) error {
	if _, err := s.GetOrg(ctx, orgID); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return fmt.Errorf("export org %q as CSV: %w", orgID, err)
	}
	err := exportPeople(ctx, s.db, orgID, func(p ExportPerson) error { return cw.Write(csvRow(p)) })
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil {
		return fmt.Errorf("export org %q as CSV: %w", orgID, err)
	}
	return nil
}
