package store

import (
	"context"
	"testing"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
)

// syncScoped is syncRoster with the org's scope staged first, as the resolve
// step does.
func syncScoped(t *testing.T, s *Store, runID string, members []justworks.Member) ApplyResult {
	t.Helper()
	ctx := context.Background()
	org, err := s.GetOrg(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.BeginRun(ctx, Run{RunID: runID, OrgID: "acme"}); err != nil {
		t.Fatal(err)
	}
	if err := s.StageMembers(ctx, runID, 0, members); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StageScope(ctx, runID, org.Options.Scope); err != nil {
		t.Fatal(err)
	}
	staged, err := s.StagedPeople(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	var in []justworks.Member
	for _, m := range members {
		for _, p := range staged {
			if p.ID == m.ID {
				in = append(in, m)
			}
		}
	}
	if err := s.StageTree(ctx, runID, members[0].ID, resolve(in)); err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: runID, SafetyThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func setOptions(t *testing.T, s *Store, o SyncOptions) {
	t.Helper()
	if _, err := s.SaveOrg(context.Background(), OrgWrite{ID: "acme"}, func(old Org) (Org, error) {
		old.Options = o
		return old, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Out of scope is excluded, not removed: contractors and one member id are
// left out of the tree and the diff; a stored person who falls out of scope
// keeps their row and is counted as excluded.
func TestScopeExcludesWithoutRemoving(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	base := roster(20)
	base[5].EmploymentType = justworks.EmploymentContractor
	syncScoped(t, s, "run-0", base) // no scope yet: everyone stored
	setOptions(t, s, SyncOptions{Scope: Scope{ExcludeTypes: []string{justworks.EmploymentContractor}, ExcludeMembers: []string{base[7].ID}}})
	hire := generatedMember(100)
	hire.EmploymentType = justworks.EmploymentContractor
	res := syncScoped(t, s, "run-1", append(append([]justworks.Member(nil), base...), hire))
	if res.Counts.Excluded != 3 || res.Counts.Removed != 0 || res.Counts.Hires != 0 {
		t.Fatalf("counts = %+v, want 3 excluded, nothing removed or hired", res.Counts)
	}
	if n := count(t, s, "SELECT count(*) FROM people WHERE org_id = 'acme' AND status = 'removed'"); n != 0 {
		t.Fatalf("%d people marked removed", n)
	}
	if n := count(t, s, "SELECT count(*) FROM people WHERE org_id = 'acme' AND id = $1", hire.ID); n != 0 {
		t.Fatal("an excluded contractor was hired")
	}
	ex, n, err := s.RunExcluded(ctx, "run-1", 0)
	if err != nil || n != 3 {
		t.Fatalf("RunExcluded = %v, %d, %v", ex, n, err)
	}
	reasons := map[string]string{}
	for _, x := range ex {
		reasons[x.MemberID] = x.Reason
	}
	if reasons[base[7].ID] != "member excluded by id" || reasons[hire.ID] != "employment type contractor excluded" {
		t.Fatalf("reasons = %v", reasons)
	}
	// An included member id beats the type rule.
	setOptions(t, s, SyncOptions{Scope: Scope{ExcludeTypes: []string{justworks.EmploymentContractor}, IncludeMembers: []string{hire.ID}}})
	res = syncScoped(t, s, "run-2", append(append([]justworks.Member(nil), base...), hire))
	if res.Counts.Hires != 1 || res.Counts.Excluded != 1 {
		t.Fatalf("with the contractor included by id: %+v", res.Counts)
	}
}

// A field Rostersync owns keeps its local value; the Justworks value kept
// out is recorded. An ignored field is never taken, even for a new person.
func TestOwnedAndIgnoredFields(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	base := roster(10)
	syncScoped(t, s, "run-0", base)
	setOptions(t, s, SyncOptions{LocalFields: []string{domain.FieldJobTitle}, IgnoreFields: []string{domain.FieldWorkEmail}})
	if err := s.SetUser(ctx, "acme", "tech@acme.example", domain.LevelTechnicalOwner); err != nil {
		t.Fatal(err)
	}
	staff := "Staff Engineer"
	if err := s.SetLocalField(ctx, LocalEdit{Org: "acme", Actor: "tech@acme.example", MemberID: base[3].ID, Field: domain.FieldJobTitle, Value: &staff}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLocalField(ctx, LocalEdit{Org: "acme", Actor: "tech@acme.example", MemberID: base[3].ID, Field: domain.FieldDepartment, Value: &staff}); err == nil {
		t.Fatal("a Justworks-owned field was edited locally")
	}
	if err := s.SetLocalField(ctx, LocalEdit{Org: "acme", Actor: "nobody@acme.example", MemberID: base[3].ID, Field: domain.FieldJobTitle, Value: &staff}); !domain.IsRefused(err) {
		t.Fatalf("an edit without access = %v", err)
	}
	next := append([]justworks.Member(nil), base...)
	next[4].JobTitle = ptr("Justworks Title")
	next[4].WorkEmail = ptr("changed@acme.example")
	hire := generatedMember(200)
	next = append(next, hire)
	res := syncScoped(t, s, "run-1", next)
	if res.Counts.Updates != 0 || res.Counts.Hires != 1 {
		t.Fatalf("counts = %+v: owned and ignored fields must not be updates", res.Counts)
	}
	var title, email string
	_ = s.DB().Get(&title, "SELECT job_title FROM people WHERE org_id = 'acme' AND id = $1", base[3].ID)
	if title != staff {
		t.Fatalf("the local title became %q", title)
	}
	var hireEmail *string
	_ = s.DB().Get(&hireEmail, "SELECT work_email FROM people WHERE org_id = 'acme' AND id = $1", hire.ID)
	_ = s.DB().Get(&email, "SELECT work_email FROM people WHERE org_id = 'acme' AND id = $1", base[4].ID)
	if hireEmail != nil || email == "changed@acme.example" {
		t.Fatalf("ignored work_email was taken: hire %v, stored %q", hireEmail, email)
	}
	kept, n, err := s.RunKept(ctx, "run-1", 0)
	if err != nil || n != 2 {
		t.Fatalf("RunKept = %+v, %d, %v", kept, n, err)
	}
	for _, k := range kept {
		if k.Field != domain.FieldJobTitle || k.Justworks == nil || k.Kept == nil || *k.Justworks == *k.Kept {
			t.Fatalf("kept value %+v", k)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM change_log WHERE run_id = 'local:tech@acme.example' AND member_id = $1", base[3].ID); n != 1 {
		t.Fatalf("the local edit left %d change-log rows", n)
	}
}
