package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rostersync/rostersync/internal/domain"
)

// Scope says which Justworks members an org syncs. A member is in scope when
// IncludeMembers names them; otherwise when ExcludeMembers does not, their
// employment type and department pass the include lists (an empty list lets
// everyone pass) and match no exclude list. Departments match by id or name.
// A member out of scope is left out of the tree and of the diff: a stored
// person who falls out of scope is kept as stored and reported as excluded,
// never as removed.
type Scope struct {
	IncludeTypes       []string `json:"include_types,omitempty"`
	ExcludeTypes       []string `json:"exclude_types,omitempty"`
	IncludeDepartments []string `json:"include_departments,omitempty"`
	ExcludeDepartments []string `json:"exclude_departments,omitempty"`
	IncludeMembers     []string `json:"include_members,omitempty"`
	ExcludeMembers     []string `json:"exclude_members,omitempty"`
}

// Empty says whether the scope lets everyone in.
func (s Scope) Empty() bool {
	return len(s.IncludeTypes)+len(s.ExcludeTypes)+len(s.IncludeDepartments)+len(s.ExcludeDepartments)+
		len(s.IncludeMembers)+len(s.ExcludeMembers) == 0
}

// SyncOptions are an org's choices of what the sync takes from Justworks.
type SyncOptions struct {
	Scope Scope `json:"scope"`
	// IgnoreFields (domain.OptionalFields) are never taken from Justworks:
	// stored people keep their value, new people get none.
	IgnoreFields []string `json:"ignore_fields,omitempty"`
	// LocalFields (domain.OptionalFields) are owned by Rostersync: new
	// people get Justworks' value, after that the local one is kept (set
	// with SetLocalField) and the Justworks value kept out is reported.
	LocalFields []string `json:"local_fields,omitempty"`
}

// fieldColumns are the people columns behind each optional field.
var fieldColumns = map[string][]string{
	domain.FieldPreferredName: {"preferred_name"},
	domain.FieldWorkEmail:     {"work_email"},
	domain.FieldJobTitle:      {"job_title"},
	domain.FieldDepartment:    {"department_id", "department_name"},
	domain.FieldLocation:      {"location_name", "location_city", "location_state", "location_country"},
}

// fieldLabel is a field's value as people read it, in SQL over alias.
func fieldLabel(field, alias string) string {
	switch field {
	case domain.FieldDepartment:
		return departmentLabel(alias)
	case domain.FieldLocation:
		return locationLabel(alias)
	}
	return alias + "." + fieldColumns[field][0]
}

func decodeOptions(b []byte) SyncOptions {
	var o SyncOptions
	if len(b) > 0 {
		_ = json.Unmarshal(b, &o) // written by encodeOptions only
	}
	return o
}

func encodeOptions(o SyncOptions) []byte {
	b, _ := json.Marshal(o)
	return b
}

// textArray is a text[] parameter; an empty list is '{}', never NULL (which
// would make every comparison unknown).
func textArray(s []string) any { return pq.Array(append([]string{}, s...)) }

// scopeSQL is the scope as a condition on staged member m (the lists are
// parameters $2…$7).
const scopeSQL = `(m.id = ANY($7) OR (
	NOT m.id = ANY($6)
	AND (cardinality($2::text[]) = 0 OR m.employment_type = ANY($2))
	AND NOT m.employment_type = ANY($3)
	AND (cardinality($4::text[]) = 0 OR m.department_id = ANY($4) OR m.department_name = ANY($4))
	AND NOT (coalesce(m.department_id, '') = ANY($5) OR coalesce(m.department_name, '') = ANY($5))))`

// StageScope records which of the run's staged members the scope leaves out,
// and why; resolve and apply then leave them out (StagedPeople, ApplyRoster).
// A repeated call replaces the earlier answer. It returns how many are out.
func (s *Store) StageScope(ctx context.Context, runID string, sc Scope) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM staging_excluded WHERE run_id = $1", runID); err != nil {
			return err
		}
		if sc.Empty() {
			return nil
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO staging_excluded (run_id, member_id, reason)
			SELECT $1, m.id, CASE
				WHEN m.id = ANY($6) THEN 'member excluded by id'
				WHEN m.employment_type = ANY($3) THEN 'employment type ' || m.employment_type || ' excluded'
				WHEN cardinality($2::text[]) > 0 AND NOT m.employment_type = ANY($2) THEN 'employment type ' || m.employment_type || ' not included'
				WHEN coalesce(m.department_id, '') = ANY($5) OR coalesce(m.department_name, '') = ANY($5)
					THEN 'department ' || coalesce(m.department_name, m.department_id) || ' excluded'
				ELSE 'department ' || coalesce(m.department_name, m.department_id, '(none)') || ' not included'
			END
			FROM (`+lastCopySQL+`) m
			WHERE NOT `+scopeSQL, runID, textArray(sc.IncludeTypes), textArray(sc.ExcludeTypes),
			textArray(sc.IncludeDepartments), textArray(sc.ExcludeDepartments), textArray(sc.ExcludeMembers), textArray(sc.IncludeMembers))
		if err != nil {
			return err
		}
		c, _ := res.RowsAffected()
		n = int(c)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stage the scope of run %s: %w", runID, err)
	}
	return n, nil
}

// applyOptions runs inside ApplyRoster once apply_roster holds the run's
// roster: it leaves out the members the scope excluded (and keeps stored
// people who fell out of scope out of the diff, through apply_excluded), and
// puts stored values back into ignored and Rostersync-owned fields,
// recording the Justworks values kept out of owned ones.
func applyOptions(ctx context.Context, tx *sqlx.Tx, p ApplyParams) error {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE apply_excluded ON COMMIT DROP AS
		SELECT member_id AS id FROM staging_excluded WHERE run_id = $1`, p.RunID); err != nil {
		return fmt.Errorf("scope: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM apply_roster r USING apply_excluded x WHERE x.id = r.id`); err != nil {
		return fmt.Errorf("scope: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM staging_kept WHERE run_id = $1", p.RunID); err != nil {
		return fmt.Errorf("kept fields: %w", err)
	}
	var raw []byte
	if err := tx.GetContext(ctx, &raw, "SELECT sync_options FROM orgs WHERE id = $1", p.OrgID); err != nil {
		return fmt.Errorf("read the org's sync options: %w", err)
	}
	o := decodeOptions(raw)
	for _, f := range o.LocalFields {
		cols, ok := fieldColumns[f]
		if !ok {
			continue
		}
		differs := "(" + prefixed("r", strings.Join(cols, ",")) + ") IS DISTINCT FROM (" + prefixed("p", strings.Join(cols, ",")) + ")"
		if _, err := tx.ExecContext(ctx, `INSERT INTO staging_kept (run_id, member_id, field, justworks, kept)
			SELECT $2, r.id, $3, `+fieldLabel(f, "r")+`, `+fieldLabel(f, "p")+`
			FROM apply_roster r JOIN people p ON p.org_id = $1 AND p.id = r.id
			WHERE `+differs, p.OrgID, p.RunID, f); err != nil {
			return fmt.Errorf("kept field %s: %w", f, err)
		}
		if err := keepStored(ctx, tx, p.OrgID, cols, true); err != nil {
			return fmt.Errorf("kept field %s: %w", f, err)
		}
	}
	for _, f := range o.IgnoreFields {
		if cols, ok := fieldColumns[f]; ok {
			if err := keepStored(ctx, tx, p.OrgID, cols, false); err != nil {
				return fmt.Errorf("ignored field %s: %w", f, err)
			}
		}
	}
	return nil
}

// keepStored replaces the roster's cols by the stored person's values; for
// people not stored yet it keeps the roster's value (owned) or clears it
// (ignored).
func keepStored(ctx context.Context, tx *sqlx.Tx, orgID string, cols []string, keepNew bool) error {
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = p." + c
	}
	if _, err := tx.ExecContext(ctx, `UPDATE apply_roster r SET `+strings.Join(set, ", ")+`
		FROM people p WHERE p.org_id = $1 AND p.id = r.id`, orgID); err != nil {
		return err
	}
	if keepNew {
		return nil
	}
	for i, c := range cols {
		set[i] = c + " = NULL"
	}
	_, err := tx.ExecContext(ctx, `UPDATE apply_roster r SET `+strings.Join(set, ", ")+`
		WHERE NOT EXISTS (SELECT FROM people p WHERE p.org_id = $1 AND p.id = r.id)`, orgID)
	return err
}

// Excluded is a member the scope left out of a run.
type Excluded struct {
	MemberID    string `db:"member_id"`
	DisplayName string `db:"display_name"`
	Reason      string `db:"reason"`
}

// RunExcluded lists up to limit (≤ 0: all) members the run's scope left out,
// by name, and how many there are.
func (s *Store) RunExcluded(ctx context.Context, runID string, limit int) ([]Excluded, int, error) {
	out := []Excluded{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT x.member_id, coalesce(`+displayName("m")+`, x.member_id) AS display_name, x.reason
		FROM staging_excluded x
		LEFT JOIN LATERAL (SELECT given_name, family_name, preferred_name FROM staging_members s
			WHERE s.run_id = x.run_id AND s.id = x.member_id ORDER BY s.seq DESC LIMIT 1) m ON true
		WHERE x.run_id = $1
		ORDER BY 2, 1 LIMIT CASE WHEN $2 > 0 THEN $2 END`, runID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("excluded members of run %s: %w", runID, err)
	}
	var n int
	if err := s.db.GetContext(ctx, &n, "SELECT count(*) FROM staging_excluded WHERE run_id = $1", runID); err != nil {
		return nil, 0, fmt.Errorf("excluded members of run %s: %w", runID, err)
	}
	return out, n, nil
}

// KeptValue is a Justworks value a run kept out of a field Rostersync owns.
type KeptValue struct {
	MemberID    string  `db:"member_id"`
	DisplayName string  `db:"display_name"`
	Field       string  `db:"field"`
	Justworks   *string `db:"justworks"`
	Kept        *string `db:"kept"`
}

// RunKept lists up to limit (≤ 0: all) Justworks values the run kept out,
// and how many there are.
func (s *Store) RunKept(ctx context.Context, runID string, limit int) ([]KeptValue, int, error) {
	out := []KeptValue{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT k.member_id, coalesce(`+displayName("p")+`, k.member_id) AS display_name, k.field, k.justworks, k.kept
		FROM staging_kept k
		JOIN sync_runs r ON r.run_id = k.run_id
		LEFT JOIN people p ON p.org_id = r.org_id AND p.id = k.member_id
		WHERE k.run_id = $1
		ORDER BY 2, 1, 3 LIMIT CASE WHEN $2 > 0 THEN $2 END`, runID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("kept values of run %s: %w", runID, err)
	}
	var n int
	if err := s.db.GetContext(ctx, &n, "SELECT count(*) FROM staging_kept WHERE run_id = $1", runID); err != nil {
		return nil, 0, fmt.Errorf("kept values of run %s: %w", runID, err)
	}
	return out, n, nil
}

// LocalEdit is a change of one Rostersync-owned field of one stored person,
// by a verified actor.
type LocalEdit struct {
	Org, Actor, MemberID, Field string
	Value                       *string // nil clears the field
}

// ErrNotLocal: the field is Justworks', so a local edit would be overwritten
// by the next sync.
var ErrNotLocal = errors.New("the field is owned by Justworks")

// SetLocalField changes a Rostersync-owned field of a stored person and logs
// the change (change_log, run "local:<actor>"). The access policy
// (domain.ActionEditPeople) is checked in the same transaction. A department
// or location set locally is a name only.
func (s *Store) SetLocalField(ctx context.Context, e LocalEdit) error {
	cols, ok := fieldColumns[e.Field]
	if !ok {
		return fmt.Errorf("%w: field %q: use one of %s", ErrBadInput, e.Field, strings.Join(domain.OptionalFields, ", "))
	}
	actor := NormalizeEmail(e.Actor)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		org, err := getOrg(ctx, tx, e.Org, true)
		if err != nil {
			return err
		}
		level, err := userLevel(ctx, tx, e.Org, actor)
		if err != nil {
			return err
		}
		if err := domain.Authorize(actor, level, e.Org, domain.ActionEditPeople); err != nil {
			return err
		}
		local := false
		for _, f := range org.Options.LocalFields {
			local = local || f == e.Field
		}
		if !local {
			return fmt.Errorf("%w: %s of org %s (make it Rostersync's with `starter org set --org %s --local-fields %s --as YOU`)",
				ErrNotLocal, e.Field, e.Org, e.Org, e.Field)
		}
		var old sql.NullString
		err = tx.GetContext(ctx, &old, "SELECT "+fieldLabel(e.Field, "p")+" FROM people p WHERE p.org_id = $1 AND p.id = $2 FOR UPDATE", e.Org, e.MemberID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("person %s of org %s: %w", e.MemberID, e.Org, ErrNotFound)
		}
		if err != nil {
			return err
		}
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = NULL"
		}
		set[len(cols)-1] = cols[len(cols)-1] + " = $3"
		if e.Field == domain.FieldLocation {
			set[len(cols)-1], set[0] = cols[len(cols)-1]+" = NULL", cols[0]+" = $3"
		}
		if _, err := tx.ExecContext(ctx, "UPDATE people SET "+strings.Join(set, ", ")+", written_at = now() WHERE org_id = $1 AND id = $2",
			e.Org, e.MemberID, e.Value); err != nil {
			return err
		}
		fields, _ := json.Marshal(map[string]map[string]*string{e.Field: {"old": nullString(old), "new": e.Value}})
		_, err = tx.ExecContext(ctx, `INSERT INTO change_log (org_id, run_id, member_id, kind, fields) VALUES ($1, $2, $3, $4, $5)`,
			e.Org, "local:"+actor, e.MemberID, domain.ChangeUpdate, fields)
		return err
	})
}
