package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/rostersync/rostersync/internal/domain"
)

// emptySQL says, per clearable field, when alias's value is empty: null,
// blank, or (department, location) every part so. An absent key arrives as
// null, so a vendor that stops sending a field blanks it.
var emptySQL = map[string]func(a string) string{
	domain.FieldJobTitle: func(a string) string { return blank(a + ".job_title") },
	// Justworks' own manager_id, not the resolved one: a manager the tree
	// cannot use (out of scope, a new head) is not a manager Justworks blanked.
	domain.FieldManagerID: func(a string) string { return blank(a + ".justworks_manager_id") },
	domain.FieldDepartment: func(a string) string {
		return blank(a+".department_id") + " AND " + blank(a+".department_name")
	},
	domain.FieldWorkEmail: func(a string) string { return blank(a + ".work_email") },
	domain.FieldLocation: func(a string) string {
		return blank(a+".location_name") + " AND " + blank(a+".location_city") + " AND " +
			blank(a+".location_state") + " AND " + blank(a+".location_country")
	},
}

func blank(col string) string { return "nullif(btrim(" + col + "), '') IS NULL" }

// clearedSQL counts, per clearable field, the stored active people whose
// value the roster would blank ($1 is the org). Only updates can clear a
// field (unchanged people changed nothing; terminations and rehires are not
// active-to-active), so an unchanged roster costs an empty join.
var clearedSQL = func() string {
	cols := make([]string, len(domain.ClearableFields))
	for i, f := range domain.ClearableFields {
		cols[i] = fmt.Sprintf("count(*) FILTER (WHERE NOT (%s) AND %s) AS %s", emptySQL[f]("p"), emptySQL[f]("r"), f)
	}
	return `SELECT ` + strings.Join(cols, ",\n\t\t") + `
	FROM apply_diff d
	JOIN apply_roster r ON r.id = d.id
	JOIN people p ON p.org_id = $1 AND p.id = d.id
	WHERE d.kind = 'update' AND d.old_status = 'active'`
}()

// rosterSafety is the second safety check of an apply, after the mass
// termination check: it refuses (a non-empty reason) a roster that would
// leave more than threshold of the stored active people outside the reporting
// tree after the configured head changed, or blank one of
// domain.ClearableFields for more than threshold of them (typically a
// permission change on the Justworks side). active is the number of stored
// active people; apply_diff and apply_roster are set up.
func rosterSafety(ctx context.Context, tx *sqlx.Tx, orgID, runID string, threshold float64, active int) (string, error) {
	if active == 0 {
		return "", nil
	}
	over := func(n int) bool { return float64(n) > threshold*float64(active)+1e-9 }

	// A new head: the people it would leave outside the tree (a problem they
	// did not have). Other new problems (a manager left, the org's scope
	// leaves managers out) are not this check's business; blanked managers
	// are the manager_id field's.
	var oldHeadID, newHeadID, oldHead, newHead sql.NullString
	if err := tx.QueryRowxContext(ctx, `
		SELECT c.head_id, `+displayName("p")+`, h.head_id, `+displayName("r")+`
		FROM staging_heads h
		LEFT JOIN apply_roster r ON r.id = h.head_id
		LEFT JOIN org_charts c ON c.org_id = $1
		LEFT JOIN people p ON p.org_id = c.org_id AND p.id = c.head_id
		WHERE h.run_id = $2`, orgID, runID).Scan(&oldHeadID, &oldHead, &newHeadID, &newHead); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read the heads: %w", err)
	}
	if oldHeadID.Valid && oldHeadID != newHeadID {
		var outside int
		if err := tx.GetContext(ctx, &outside, `
			SELECT count(DISTINCT d.id) FROM apply_diff d
			JOIN staging_problems sp ON sp.run_id = $2 AND sp.member_id = d.id
			WHERE d.old_status = 'active' AND d.kind NOT IN ('termination', 'removed')
				AND NOT EXISTS (SELECT FROM problems pr WHERE pr.org_id = $1 AND pr.member_id = d.id)`, orgID, runID); err != nil {
			return "", fmt.Errorf("count people leaving the tree: %w", err)
		}
		if over(outside) {
			return fmt.Sprintf("the roster would move %d of %d active people (%s %%) outside the reporting tree after the head changed from %q to %q, above the %s %% safety limit; nothing was applied — check the configured head (`starter org set --head`) and the managers in Justworks, or %s",
				outside, active, percent(float64(outside)/float64(active)), oldHead.String, newHead.String, percent(threshold), SafetyLimitHint), nil
		}
	}

	rows, err := tx.QueryxContext(ctx, clearedSQL, orgID)
	if err != nil {
		return "", fmt.Errorf("count cleared fields: %w", err)
	}
	defer rows.Close()
	counts := map[string]any{}
	for rows.Next() {
		if err := rows.MapScan(counts); err != nil {
			return "", fmt.Errorf("count cleared fields: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("count cleared fields: %w", err)
	}
	var cleared []string
	for _, f := range domain.ClearableFields {
		n, _ := counts[f].(int64)
		if over(int(n)) {
			cleared = append(cleared, fmt.Sprintf("%s for %d (%s %%)", f, n, percent(float64(n)/float64(active))))
		}
	}
	if len(cleared) == 0 {
		return "", nil
	}
	return fmt.Sprintf("the roster from Justworks would clear %s of %d active people, above the %s %% safety limit; nothing was applied — Justworks may have stopped sending the field (a permission change for the Justworks user?); check Justworks, or %s",
		strings.Join(cleared, " and "), active, percent(threshold), SafetyLimitHint), nil
}
