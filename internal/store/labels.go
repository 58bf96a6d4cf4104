package store

import "fmt"

// departmentLabel and locationLabel are how a department and a location show in
// the change log and the export (name, else id; name, else "city, state,
// country"), as SQL over the columns of alias. Inline expressions rather than
// SQL functions: a function call per row costs several times more.
func departmentLabel(alias string) string {
	return fmt.Sprintf("coalesce(nullif(%[1]s.department_name, ''), nullif(%[1]s.department_id, ''))", alias)
}

// displayName is orgtree.DisplayName in SQL: (preferred else given) + " " +
// family, trimmed.
func displayName(alias string) string {
	return fmt.Sprintf("btrim(coalesce(nullif(%[1]s.preferred_name, ''), %[1]s.given_name) || ' ' || %[1]s.family_name)", alias)
}

func locationLabel(alias string) string {
	return fmt.Sprintf("coalesce(nullif(%[1]s.location_name, ''), nullif(concat_ws(', ', nullif(%[1]s.location_city, ''), "+
		"nullif(%[1]s.location_state, ''), nullif(%[1]s.location_country, '')), ''))", alias)
}
