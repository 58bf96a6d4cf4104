package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/orgtree"
)

// A sync that would blank a field for more than the safety share of the
// stored active people (a vendor-side permission change, keys that stopped
// coming) is refused like a mass termination, naming the field and the count;
// below the share it applies.
func TestApplyRefusesClearingAFieldForMany(t *testing.T) {
	for _, tt := range []struct {
		field string
		clear func(m *justworks.Member)
	}{
		{domain.FieldJobTitle, func(m *justworks.Member) { m.JobTitle = nil }},
		{domain.FieldWorkEmail, func(m *justworks.Member) { m.WorkEmail = ptr("  ") }},
		{domain.FieldDepartment, func(m *justworks.Member) { m.Department = nil }},
		{domain.FieldLocation, func(m *justworks.Member) { m.WorkLocation = &justworks.Location{} }},
		{domain.FieldManagerID, func(m *justworks.Member) { m.ManagerID = nil }},
	} {
		t.Run(tt.field, func(t *testing.T) {
			s := newStore(t)
			createOrg(t, s, "acme")
			people := roster(20)
			require.Equal(t, domain.OutcomeApplied, syncRoster(t, s, "acme", "r1", people, 0.5).Outcome)

			blanked := func(n int) []justworks.Member {
				out := append([]justworks.Member(nil), people...)
				for i := 1; i <= n; i++ {
					m := cloneForTest(out[i])
					tt.clear(&m)
					out[i] = m
				}
				return out
			}
			res := syncRoster(t, s, "acme", "r2", blanked(11), 0.5)
			require.Equal(t, domain.OutcomeRefused, res.Outcome, "%+v", res)
			require.Contains(t, res.Reason, tt.field+" for 11 (55 %)")
			require.Contains(t, res.Reason, "of 20 active people, above the 50 % safety limit; nothing was applied")
			require.Equal(t, 11, res.Counts.Updates, "the refusal still says what the sync would have done")
			var n int
			require.NoError(t, s.DB().Get(&n, "SELECT count(*) FROM change_log WHERE run_id = 'r2'"))
			require.Zero(t, n, "nothing written")

			res = syncRoster(t, s, "acme", "r3", blanked(10), 0.5)
			require.Equal(t, domain.OutcomeApplied, res.Outcome, "%+v", res)
		})
	}
}

// A new head that would leave most people outside the reporting tree is
// refused, naming both heads; the same roster under a high limit applies.
func TestApplyRefusesAHeadThatLeavesManyOutsideTheTree(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	people := roster(20) // mem_00000 heads; 9–16 report to mem_00001
	apply := func(run, head string, threshold float64) ApplyResult {
		t.Helper()
		require.NoError(t, s.BeginRun(ctx, Run{RunID: run, OrgID: "acme"}))
		require.NoError(t, s.StageMembers(ctx, run, 0, people))
		require.NoError(t, s.RecordFetchReport(ctx, run))
		staged, err := s.StagedPeople(ctx, run)
		require.NoError(t, err)
		require.NoError(t, s.StageTree(ctx, run, head, orgtree.Resolve(staged, head)))
		res, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: run, SafetyThreshold: threshold})
		require.NoError(t, err)
		return res
	}
	require.Equal(t, domain.OutcomeApplied, apply("r1", "mem_00000", 0.5).Outcome)

	res := apply("r2", "mem_00001", 0.5)
	require.Equal(t, domain.OutcomeRefused, res.Outcome, "%+v", res)
	require.Contains(t, res.Reason, "would move 11 of 20 active people (55 %) outside the reporting tree after the head changed from")
	require.Contains(t, res.Reason, "starter org set --head")

	res = apply("r3", "mem_00001", 0.6)
	require.Equal(t, domain.OutcomeApplied, res.Outcome, "%+v", res)
	require.Equal(t, 11, res.Counts.Problems)
}

// A stored person whose new copy is skipped (a required value missing) is
// neither applied nor removed: the stored row stays, and the run counts and
// lists the skip.
func TestApplyKeepsSkippedPeopleAsStored(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	people := roster(20)
	require.Equal(t, domain.OutcomeApplied, syncRoster(t, s, "acme", "r1", people, 0.5).Outcome)

	next := append([]justworks.Member(nil), people...)
	next[5] = cloneForTest(next[5])
	next[5].FamilyName = ""
	next[5].JobTitle = ptr("Not applied")
	next = append(next, member("", "No", "Id"), member("mem_new", "Ned", "", managedBy("mem_00000")))
	res := syncRoster(t, s, "acme", "r2", next, 0.5)
	require.Equal(t, domain.OutcomeNoChanges, res.Outcome, "%+v", res)
	require.Equal(t, domain.Counts{Unchanged: 19, Skipped: 3}, res.Counts)
	skipped, total, err := s.RunSkipped(ctx, "r2", 0)
	require.NoError(t, err)
	require.Equal(t, 3, total)
	var got []string
	for _, k := range skipped {
		got = append(got, string(k.Reason)+" "+k.MemberID)
	}
	require.ElementsMatch(t, []string{"no_family_name mem_00005", "no_family_name mem_new", "no_id "}, got)

	e, err := s.Export(ctx, "acme")
	require.NoError(t, err)
	require.Len(t, e.People, 20, "the skipped new member is not hired")
	for _, p := range e.People {
		if p.ID == "mem_00005" {
			require.Equal(t, "active", p.Status)
			require.NotEqual(t, "Not applied", *p.JobTitle)
		}
	}
}

func cloneForTest(m justworks.Member) justworks.Member {
	c := m
	if m.Department != nil {
		d := *m.Department
		c.Department = &d
	}
	if m.WorkLocation != nil {
		l := *m.WorkLocation
		c.WorkLocation = &l
	}
	return c
}
