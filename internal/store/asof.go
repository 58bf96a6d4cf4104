package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/rostersync/rostersync/internal/orgtree"
)

// ExportAsOf is Export as the org chart stood (or, for a day after today,
// will stand) on day, in the org's time zone. It starts from the stored
// chart and undoes, newest first, every change-log row that takes effect
// after day: a hire is effective when it was recorded (a pre-hire then shows
// as pending, upcoming until their start date), a termination on its
// termination date, anything else when it was recorded. For a day still
// ahead, it applies what is already known: pending people whose start date
// has come are active, terminations whose date has come are terminated.
// Tree problems are those of the last sync, for the people present.
func (s *Store) ExportAsOf(ctx context.Context, orgID string, day time.Time) (Export, error) {
	x, err := s.Export(ctx, orgID)
	if err != nil {
		return Export{}, err
	}
	d := day.Format(time.DateOnly)
	var rows []struct {
		MemberID  string         `db:"member_id"`
		Kind      string         `db:"kind"`
		Fields    []byte         `db:"fields"`
		AtDay     string         `db:"at_day"`
		TermDate  sql.NullString `db:"termination_date"`
		TodayDate string         `db:"today"`
	}
	err = s.db.SelectContext(ctx, &rows, `
		WITH o AS (SELECT coalesce(nullif(time_zone, ''), 'UTC') AS tz FROM orgs WHERE id = $1)
		SELECT c.member_id, c.kind, c.fields, to_char((c.at AT TIME ZONE o.tz)::date, 'YYYY-MM-DD') AS at_day,
			to_char(coalesce((c.fields->'termination_date'->>'new')::date, p.termination_date), 'YYYY-MM-DD') AS termination_date,
			to_char((now() AT TIME ZONE o.tz)::date, 'YYYY-MM-DD') AS today
		FROM change_log c CROSS JOIN o
		LEFT JOIN people p ON p.org_id = c.org_id AND p.id = c.member_id
		WHERE c.org_id = $1 AND ((c.at AT TIME ZONE o.tz)::date > $2::date OR c.kind = 'termination')
		ORDER BY c.id DESC`, orgID, d)
	if err != nil {
		return Export{}, fmt.Errorf("export org %q as of %s: %w", orgID, d, err)
	}
	index := make(map[string]int, len(x.People))
	for i, p := range x.People {
		index[p.ID] = i
	}
	gone := map[string]bool{}
	for _, r := range rows {
		eff := r.AtDay
		if r.Kind == "termination" && r.TermDate.Valid {
			eff = r.TermDate.String
		}
		if eff <= d {
			continue
		}
		i, ok := index[r.MemberID]
		if !ok {
			continue
		}
		if r.Kind == "hire" {
			gone[r.MemberID] = true
			continue
		}
		var fields map[string]struct {
			Old *string `json:"old"`
		}
		if err := json.Unmarshal(r.Fields, &fields); err != nil {
			return Export{}, fmt.Errorf("export org %q as of %s: change of %s: %w", orgID, d, r.MemberID, err)
		}
		for f, v := range fields {
			setExportField(&x.People[i], f, v.Old)
		}
	}
	today := ""
	if len(rows) > 0 {
		today = rows[0].TodayDate
	} else if err := s.db.GetContext(ctx, &today, `SELECT to_char((now() AT TIME ZONE coalesce(nullif(time_zone, ''), 'UTC'))::date, 'YYYY-MM-DD') FROM orgs WHERE id = $1`, orgID); err != nil {
		return Export{}, fmt.Errorf("export org %q as of %s: %w", orgID, d, err)
	}
	people := x.People[:0]
	for _, p := range x.People {
		if gone[p.ID] {
			continue
		}
		if d > today { // what is already known of days ahead
			if p.Status == "pending" && p.StartDate != nil && *p.StartDate <= d {
				p.Status = "active"
			}
			if p.TerminationDate != nil && *p.TerminationDate <= d && (p.Status == "active" || p.Status == "on_leave" || p.Status == "pending") {
				p.Status = "terminated"
			}
		}
		p.DisplayName = orgtree.DisplayName(p.GivenName, p.FamilyName, p.PreferredName)
		people = append(people, p)
	}
	x.People = people
	problems := x.Problems[:0]
	for _, pr := range x.Problems {
		if _, ok := index[pr.MemberID]; ok && !gone[pr.MemberID] {
			problems = append(problems, pr)
		}
	}
	x.Problems = problems
	return x, nil
}

// setExportField sets one change-log field (as exported) of p.
func setExportField(p *ExportPerson, field string, v *string) {
	val := func() string {
		if v == nil {
			return ""
		}
		return *v
	}
	switch field {
	case "given_name":
		p.GivenName = val()
	case "family_name":
		p.FamilyName = val()
	case "preferred_name":
		p.PreferredName = v
	case "work_email":
		p.WorkEmail = v
	case "job_title":
		p.JobTitle = v
	case "department":
		p.Department = v
	case "manager_id":
		p.ManagerID = v
	case "employment_type":
		p.EmploymentType = val()
	case "status":
		p.Status = val()
	case "start_date":
		p.StartDate = v
	case "termination_date":
		p.TerminationDate = v
	case "location":
		p.Location = v
	}
}

// WriteCSV writes people in ExportCSV's shape (header ExportColumns).
func WriteCSV(w io.Writer, people []ExportPerson) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	for _, p := range people {
		if err := cw.Write(csvRow(p)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvRow is one person as a CSV row of ExportColumns (absent: empty cell;
// each cell neutralized against spreadsheet formulas, NeutralizeCell).
func csvRow(p ExportPerson) []string {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	row := []string{p.ID, p.DisplayName, p.GivenName, p.FamilyName, str(p.PreferredName),
		str(p.WorkEmail), str(p.JobTitle), str(p.Department), str(p.ManagerID), p.EmploymentType,
		p.Status, str(p.StartDate), str(p.TerminationDate), str(p.Location)}
	for i := range row {
		row[i] = NeutralizeCell(row[i])
	}
	return row
}
