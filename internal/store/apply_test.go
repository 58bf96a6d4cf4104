package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
)

// changeSummary renders a run's change rows compactly: "kind id field:old>new ...".
func changeSummary(t *testing.T, s *Store, runID string) []string {
	t.Helper()
	changes, err := s.RunChanges(context.Background(), runID, 0)
	if err != nil {
		t.Fatal(err)
	}
	str := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	var out []string
	for _, c := range changes {
		parts := []string{string(c.Kind), c.MemberID}
		for _, f := range c.Fields {
			p := f.Field + ":" + str(f.Old) + ">" + str(f.New)
			if f.OldLabel != nil || f.NewLabel != nil {
				p += "(" + str(f.OldLabel) + ">" + str(f.NewLabel) + ")"
			}
			parts = append(parts, p)
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func exportJSON(t *testing.T, s *Store, orgID string) string {
	t.Helper()
	e, err := s.Export(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyResync(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")

	first := roster(12)
	res := syncRoster(t, s, "acme", "run-1", first, 0)
	if want := (ApplyResult{Outcome: domain.OutcomeApplied, Counts: domain.Counts{Hires: 12}}); res != want {
		t.Fatalf("first sync = %+v, want %+v", res, want)
	}
	if got := len(changeSummary(t, s, "run-1")); got != 12 {
		t.Errorf("first sync wrote %d change rows, want 12", got)
	}

	// Second sync: a pending hire, a termination, a title change, a manager
	// move, a future termination date, and one person gone from the roster.
	second := roster(11) // mem_00011 is gone
	second = append(second, member("mem_00012", "Barbara", "Liskov", withStatus(justworks.StatusPending),
		managedBy("mem_00001"), func(m *justworks.Member) { m.StartDate = "2027-01-04"; m.JobTitle = nil; m.Department = nil }))
	second[5].Status = justworks.StatusTerminated
	second[5].TerminationDate = ptr("2026-11-20")
	second[6].JobTitle = ptr("Staff Engineer")
	second[7].ManagerID = ptr("mem_00002")
	second[8].TerminationDate = ptr("2027-01-31")
	// A change Justworks made that we do not track is no change of the person.
	second[9].UpdatedAt = second[9].UpdatedAt.AddDate(0, 0, 1)

	res = syncRoster(t, s, "acme", "run-2", second, 0)
	want := ApplyResult{Outcome: domain.OutcomeApplied, Counts: domain.Counts{Hires: 1, Terminations: 1, Updates: 3, Unchanged: 7, Removed: 1, Problems: 0}}
	if res != want {
		t.Fatalf("second sync = %+v, want %+v", res, want)
	}
	got := changeSummary(t, s, "run-2")
	wantChanges := []string{
		"hire mem_00012 given_name:null>Barbara family_name:null>Liskov work_email:null>mem_00012@acme.example " +
			"manager_id:null>mem_00001(null>Grace Lovelace) employment_type:null>full_time status:null>pending " +
			"start_date:null>2027-01-04 location:null>New York HQ",
		"termination mem_00005 status:active>terminated termination_date:null>2026-11-20",
		// Updates by display name: Donald (6), Frances (7), José (8).
		"update mem_00006 job_title:Engineer 6>Staff Engineer",
		"update mem_00007 manager_id:mem_00000>mem_00002(Ada Lovelace>Alan Lovelace)",
		"update mem_00008 termination_date:null>2027-01-31",
		"removed mem_00011 status:active>removed",
	}
	if strings.Join(got, "\n") != strings.Join(wantChanges, "\n") {
		t.Errorf("second sync changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantChanges, "\n"))
	}

	e, err := s.Export(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ExportPerson{}
	for _, p := range e.People {
		byID[p.ID] = p
	}
	if len(e.People) != 13 {
		t.Errorf("export has %d people, want 13 (removed people are kept)", len(e.People))
	}
	if p := byID["mem_00011"]; p.Status != "removed" || p.JobTitle == nil || *p.JobTitle != "Engineer 4" {
		t.Errorf("removed person = %+v, want status removed with last values kept", p)
	}
	if p := byID["mem_00008"]; p.Status != "active" || p.TerminationDate == nil || *p.TerminationDate != "2027-01-31" {
		t.Errorf("future termination = %+v, want active with the date", p)
	}
	if p := byID["mem_00007"]; p.ManagerID == nil || *p.ManagerID != "mem_00002" {
		t.Errorf("moved person's manager = %v", p.ManagerID)
	}
	var firstSeen, lastChanged string
	if err := s.DB().QueryRow("SELECT first_seen_run, last_changed_run FROM people WHERE org_id = 'acme' AND id = 'mem_00006'").Scan(&firstSeen, &lastChanged); err != nil {
		t.Fatal(err)
	}
	if firstSeen != "run-1" || lastChanged != "run-2" {
		t.Errorf("mem_00006 first_seen_run %s, last_changed_run %s", firstSeen, lastChanged)
	}
	var updatedAtStored bool
	if err := s.DB().QueryRow("SELECT updated_at = $1 FROM people WHERE org_id = 'acme' AND id = 'mem_00009'", second[9].UpdatedAt).Scan(&updatedAtStored); err != nil || !updatedAtStored {
		t.Errorf("Justworks' updated_at of an otherwise unchanged person was not refreshed (%v)", err)
	}

	// Third sync: the terminated person comes back (a rehire), and the
	// removed one is on the roster again (returned, not a rehire).
	third := append([]justworks.Member(nil), second...)
	third[5] = roster(6)[5]
	third = append(third, roster(12)[11])
	res = syncRoster(t, s, "acme", "run-3", third, 0)
	want = ApplyResult{Outcome: domain.OutcomeApplied, Counts: domain.Counts{Rehires: 1, Returned: 1, Unchanged: 11}}
	if res != want {
		t.Fatalf("third sync = %+v, want %+v", res, want)
	}
	got = changeSummary(t, s, "run-3")
	wantChanges = []string{
		"rehire mem_00005 status:terminated>active termination_date:2026-11-20>null",
		"returned mem_00011 status:removed>active",
	}
	if strings.Join(got, "\n") != strings.Join(wantChanges, "\n") {
		t.Errorf("third sync changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantChanges, "\n"))
	}

	// limitPerKind caps each kind.
	changes, err := s.RunChanges(ctx, "run-2", 1)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[domain.ChangeKind]int{}
	for _, c := range changes {
		kinds[c.Kind]++
	}
	if len(changes) != 4 || kinds[domain.ChangeUpdate] != 1 {
		t.Errorf("RunChanges(limit 1) = %d rows %v", len(changes), kinds)
	}
}

func TestApplyNoChangesWritesNothing(t *testing.T) {
	s := newStore(t)
	createOrg(t, s, "acme")
	people := roster(50)
	syncRoster(t, s, "acme", "run-1", people, 0)

	snapshot := func() (string, int) {
		var xmins []string
		if err := s.DB().Select(&xmins, "SELECT id || ':' || xmin::text FROM people WHERE org_id = 'acme' ORDER BY id"); err != nil {
			t.Fatal(err)
		}
		return strings.Join(xmins, ","), count(t, s, "SELECT count(*) FROM change_log")
	}
	xminBefore, logBefore := snapshot()
	res := syncRoster(t, s, "acme", "run-2", people, 0)
	if want := (ApplyResult{Outcome: domain.OutcomeNoChanges, Counts: domain.Counts{Unchanged: 50}}); res != want {
		t.Fatalf("re-sync = %+v, want %+v", res, want)
	}
	xminAfter, logAfter := snapshot()
	if xminAfter != xminBefore {
		t.Error("an unchanged re-sync rewrote people rows (xmin changed)")
	}
	if logAfter != logBefore {
		t.Errorf("change_log grew from %d to %d rows", logBefore, logAfter)
	}
	var lastRun string
	if err := s.DB().Get(&lastRun, "SELECT last_run_id FROM org_charts WHERE org_id = 'acme'"); err != nil || lastRun != "run-2" {
		t.Errorf("org_charts.last_run_id = %q, %v", lastRun, err)
	}
}

func TestApplySafety(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	base := roster(120)
	base[119].Status = justworks.StatusOnLeave // not active: not part of the limit's base
	syncRoster(t, s, "acme", "run-0", base, 0)

	// 30 terminated and 15 gone of 119 active people.
	leaving := append([]justworks.Member(nil), base[:105]...)
	for i := 75; i < 105; i++ {
		leaving[i].Status = justworks.StatusTerminated
	}
	tests := []struct {
		name       string
		members    []justworks.Member
		threshold  float64
		wantReason string
	}{
		{"empty roster", nil, 0, "Justworks returned an empty roster; nothing was applied"},
		{"above the org's limit", leaving, 0, "the roster from Justworks would terminate or remove 44 of 119 active people (37 %), above the 20 % safety limit; nothing was applied — check Justworks, or " + SafetyLimitHint},
		{"above a given limit", leaving, 0.3, "44 of 119 active people (37 %), above the 30 % safety limit"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := exportJSON(t, s, "acme")
			logBefore := count(t, s, "SELECT count(*) FROM change_log")
			run := fmt.Sprintf("run-refused-%d", i)
			res := syncRoster(t, s, "acme", run, tt.members, tt.threshold)
			if res.Outcome != domain.OutcomeRefused || !strings.Contains(res.Reason, tt.wantReason) {
				t.Fatalf("result = %+v, want refused with %q", res, tt.wantReason)
			}
			if after := exportJSON(t, s, "acme"); after != before {
				t.Error("a refused apply changed the export")
			}
			if n := count(t, s, "SELECT count(*) FROM change_log"); n != logBefore {
				t.Errorf("a refused apply wrote %d change rows", n-logBefore)
			}
			// The refusal is the run's answer, also when asked again.
			again, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: run, SafetyThreshold: 0.9})
			if want := withRepeated(res); err != nil || again != want {
				t.Errorf("re-apply = %+v, %v; want the stored %+v", again, err, res)
			}
			if n := count(t, s, "SELECT count(*) FROM sync_runs WHERE run_id = $1 AND applied_at IS NULL", run); n != 1 {
				t.Error("a refused run is marked applied")
			}
		})
	}
	// Raised limit: applied.
	res := syncRoster(t, s, "acme", "run-raised", leaving, 0.5)
	if res.Outcome != domain.OutcomeApplied || res.Counts.Terminations != 30 || res.Counts.Removed != 15 {
		t.Errorf("with a raised limit: %+v", res)
	}

	// Exactly at the limit (1 of 5 = 20 %) is allowed.
	createOrg(t, s, "small")
	syncRoster(t, s, "small", "small-1", roster(5), 0)
	if res := syncRoster(t, s, "small", "small-2", roster(4), 0); res.Outcome != domain.OutcomeApplied || res.Counts.Removed != 1 {
		t.Errorf("at the limit: %+v", res)
	}
	if res := syncRoster(t, s, "small", "small-3", roster(2), 0); res.Outcome != domain.OutcomeRefused {
		t.Errorf("2 of 4 leaving: %+v", res)
	}
}

func TestApplyIdempotentAndSerialized(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	createOrg(t, s, "other")
	syncRoster(t, s, "acme", "run-1", roster(20), 0)
	changed := roster(21)
	changed[3].JobTitle = ptr("CTO")
	res := syncRoster(t, s, "acme", "run-2", changed, 0)
	logRows := count(t, s, "SELECT count(*) FROM change_log")

	if res.Repeated {
		t.Fatalf("the first apply says Repeated: %+v", res)
	}
	// Asked again, the stored answer comes back marked Repeated, so the
	// caller does not count its changes twice.
	want := withRepeated(res)
	again, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-2"})
	if err != nil || again != want {
		t.Fatalf("re-apply = %+v, %v; want %+v", again, err, want)
	}
	// Also after the run's staging is gone.
	if err := s.FinishRun(ctx, "run-2", res.Outcome, res.Counts, ""); err != nil {
		t.Fatal(err)
	}
	again, err = s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-2"})
	if err != nil || again != want {
		t.Fatalf("re-apply after FinishRun = %+v, %v; want %+v", again, err, want)
	}
	if n := count(t, s, "SELECT count(*) FROM change_log"); n != logRows {
		t.Errorf("re-apply wrote %d change rows", n-logRows)
	}
	if _, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "other", RunID: "run-2"}); !errors.Is(err, ErrBadInput) {
		t.Errorf("apply of another org's run: %v", err)
	}
	// Without a staged tree the apply refuses to guess.
	if err := s.BeginRun(ctx, Run{RunID: "run-notree", OrgID: "acme"}); err != nil {
		t.Fatal(err)
	}
	if err := s.StageMembers(ctx, "run-notree", 0, roster(21)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-notree"}); err == nil || !strings.Contains(err.Error(), "StageTree") {
		t.Errorf("apply without a tree: %v", err)
	}

	// Two runs of a new org applied at once take turns: one hires, the other
	// finds nothing to do.
	createOrg(t, s, "race")
	for _, run := range []string{"race-a", "race-b"} {
		if err := s.BeginRun(ctx, Run{RunID: run, OrgID: "race"}); err != nil {
			t.Fatal(err)
		}
		if err := s.StageMembers(ctx, run, 0, roster(300)); err != nil {
			t.Fatal(err)
		}
		if err := s.StageTree(ctx, run, "mem_00000", resolve(roster(300))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	results := make([]ApplyResult, 2)
	errs := make([]error, 2)
	for i, run := range []string{"race-a", "race-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.ApplyRoster(ctx, ApplyParams{OrgID: "race", RunID: run})
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	hires := results[0].Counts.Hires + results[1].Counts.Hires
	if hires != 300 || results[0].Counts.Unchanged+results[1].Counts.Unchanged != 300 {
		t.Errorf("concurrent applies: %+v", results)
	}
}

func TestProblemsAndHead(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	people := roster(6)
	people[4].ManagerID = ptr("mem_gone")
	people[5].ManagerID = ptr("mem_gone")
	res := syncRoster(t, s, "acme", "run-1", people, 0)
	if res.Counts.Problems != 2 {
		t.Errorf("Problems = %d, want 2", res.Counts.Problems)
	}
	problems, err := s.RunProblems(ctx, "run-1", 1)
	if err != nil || len(problems) != 1 || problems[0].MemberID != "mem_00004" || problems[0].Kind != "unknown_manager" {
		t.Errorf("RunProblems(limit 1) = %+v, %v", problems, err)
	}
	// The next sync replaces the org's problems.
	people[4].ManagerID = ptr("mem_00000")
	res = syncRoster(t, s, "acme", "run-2", people, 0)
	if res.Counts.Problems != 1 || res.Counts.Updates != 1 {
		t.Errorf("second sync = %+v", res)
	}
	e, err := s.Export(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Problems) != 1 || e.Problems[0].MemberID != "mem_00005" || e.HeadID == nil || *e.HeadID != "mem_00000" {
		t.Errorf("export problems %+v head %v", e.Problems, e.HeadID)
	}
	for _, p := range e.People {
		if p.ID == "mem_00005" && p.ManagerID != nil {
			t.Errorf("unknown manager stored as %v", *p.ManagerID)
		}
	}
}

// Someone stored as removed (absent from an earlier, short roster) who is on
// the roster again did not leave and come back: they returned, whatever their
// status. Not a rehire (nobody was terminated), not a new termination (they
// did not leave in this sync), and not against the safety limit.
func TestApplyRemovedComesBack(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	people := roster(20)
	require.Equal(t, domain.OutcomeApplied, syncRoster(t, s, "acme", "r1", people, 0.5).Outcome)
	res := syncRoster(t, s, "acme", "r2", people[:18], 0.5) // mem 18 and 19 vanish
	require.Equal(t, 2, res.Counts.Removed)

	back := append([]justworks.Member(nil), people...)
	back[18] = member(people[18].ID, people[18].GivenName, people[18].FamilyName, managedBy(*people[18].ManagerID), withStatus(justworks.StatusTerminated))
	res = syncRoster(t, s, "acme", "r3", back, 0.5)
	require.Equal(t, domain.Counts{Returned: 2, Unchanged: 18}, res.Counts)
	require.Equal(t, []string{
		"returned mem_00018 job_title:Engineer 4>Engineer status:removed>terminated",
		"returned mem_00019 status:removed>active",
	}, changeSummary(t, s, "r3"))
	totals, err := s.RunSectionTotals(ctx, "r3")
	require.NoError(t, err)
	require.Equal(t, 2, totals[domain.SectionReturned])
	require.Zero(t, totals[domain.SectionRehires])
	require.NoError(t, s.FinishRun(ctx, "r3", res.Outcome, res.Counts, ""))
	run, err := s.GetRun(ctx, "r3")
	require.NoError(t, err)
	require.Equal(t, 2, run.Counts.Returned, "the run record keeps the count")
}

func withRepeated(r ApplyResult) ApplyResult {
	r.Repeated = true
	return r
}
