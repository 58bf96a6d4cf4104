package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
)

// Scope and field ownership through the real binaries: contractors are left
// out and reported as excluded (a stored one is not removed); a title
// Rostersync owns keeps its local value, and the summary says which Justworks
// value was kept out.
func TestScopeAndOwnedFields(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 80})
	s.setupOrg()
	var contractors, titled []string
	var titledName string
	allContractors := 0
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		for _, id := range r.IDs() {
			m, _ := r.Get(id)
			if id == r.HeadID() || m.Status != justworks.StatusActive {
				continue
			}
			switch {
			case len(contractors) < 3:
				r.Update(id, func(m *justworks.Member) { m.EmploymentType = justworks.EmploymentContractor })
				contractors = append(contractors, id)
			case len(titled) < 1:
				titled = append(titled, id)
				titledName = orgtree.DisplayName(m.GivenName, m.FamilyName, m.PreferredName)
			}
		}
		for _, m := range r.Members() {
			if m.EmploymentType == justworks.EmploymentContractor {
				allContractors++
			}
		}
	})
	require.Equal(t, "applied", s.sync(tech).Outcome) // everyone, contractors included
	mails := len(s.smtp.Messages())

	s.mustRun("org", "set", "--org", s.org, "--exclude-types", "contractor", "--local-fields", "job_title", "--as", tech)
	status := s.mustRun("status", "--org", s.org)
	require.Contains(t, status, "scope: not types contractor")
	require.Contains(t, status, "owned by Rostersync [job_title]")
	s.mustRun("person", "set", "--org", s.org, "--id", titled[0], "--field", "job_title", "--value", "Chief of Staff", "--as", tech)
	_, errOut, code := s.run("person", "set", "--org", s.org, "--id", titled[0], "--field", "department", "--value", "X", "--as", tech)
	require.Equal(t, 2, code, "a Justworks field cannot be edited locally: %s", errOut)
	s.sandbox.Mutate(func(r *sandbox.Roster) { r.SetTitle(titled[0], "Justworks Title") })

	out, errOut, code := s.run("sync", "--org", s.org, "--as", tech, "--json")
	require.Equal(t, 0, code, "%s %s", out, errOut)
	var r struct {
		syncOut
		Excluded int `json:"excluded"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Equal(t, allContractors, r.Excluded)
	require.Zero(t, r.Removed, "contractors out of scope are excluded, not removed")
	require.Zero(t, s.count(`SELECT count(*) FROM change_log WHERE run_id = $1 AND member_id = $2`, r.RunID, titled[0]),
		"the owned title is not an update")
	x, _ := s.export()
	for _, p := range x.People {
		if p["id"] == titled[0] {
			require.Equal(t, "Chief of Staff", p["job_title"])
		}
		for _, c := range contractors {
			if p["id"] == c {
				require.Equal(t, "active", p["status"], "a stored contractor keeps their row")
			}
		}
	}
	msgs, err := s.smtp.WaitFor(mails+2, 30*time.Second)
	require.NoError(t, err)
	text := msgs[mails].Text
	require.Contains(t, text, "Excluded by the org's scope (not removed)")
	require.Contains(t, text, "employment type contractor excluded")
	require.Contains(t, text, "Justworks values kept out (Rostersync owns the field)")
	require.True(t, strings.Contains(text, titledName+" [job title]: Justworks says Justworks Title; kept Chief of Staff"), text)
}
