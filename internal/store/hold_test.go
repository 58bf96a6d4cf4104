package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
)

// changeRows lists a run's rows of table (change_log or staging_changes) as
// "member kind fields", sorted.
func changeRows(t *testing.T, s *Store, table, runID string) []string {
	t.Helper()
	var rows []string
	if err := s.DB().Select(&rows, `SELECT member_id || ' ' || kind || ' ' || fields::text FROM `+table+`
		WHERE run_id = $1 ORDER BY member_id`, runID); err != nil {
		t.Fatal(err)
	}
	return rows
}

// leavingRoster is base with 30 people terminated and 15 gone: above the
// default 20 % limit.
func leavingRoster(base []justworks.Member) []justworks.Member {
	leaving := append([]justworks.Member(nil), base[:105]...)
	for i := 75; i < 105; i++ {
		leaving[i].Status = justworks.StatusTerminated
	}
	return leaving
}

// A held run keeps its change set through pruning, and approving it writes
// exactly the rows that were staged (and shown), nothing else.
func TestHeldRunApprovedWritesTheStagedChangeSet(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	base := roster(120)
	syncRoster(t, s, "acme", "run-0", base, 0)
	before := exportJSON(t, s, "acme")

	res := syncRoster(t, s, "acme", "run-held", leavingRoster(base), 0)
	if res.Outcome != domain.OutcomeRefused || !res.Held || res.Counts.Terminations != 30 || res.Counts.Removed != 15 {
		t.Fatalf("result = %+v, want a held refusal with 30 terminations and 15 removals", res)
	}
	if exportJSON(t, s, "acme") != before {
		t.Fatal("a held run changed the org chart")
	}
	staged := changeRows(t, s, "staging_changes", "run-held")
	if len(staged) != 45 {
		t.Fatalf("staged %d changes, want 45", len(staged))
	}
	changes, err := s.StagedChanges(ctx, "run-held", 0)
	if err != nil || len(changes) != 45 || changes[0].Kind != domain.ChangeTermination || changes[0].DisplayName == changes[0].MemberID {
		t.Fatalf("StagedChanges = %d rows (first %+v), %v", len(changes), changes[0], err)
	}
	totals, err := s.StagedSectionTotals(ctx, "run-held")
	if err != nil || totals[domain.SectionTerminations] != 30 || totals[domain.SectionRemoved] != 15 {
		t.Fatalf("StagedSectionTotals = %v, %v", totals, err)
	}

	hold, err := s.BeginHold(ctx, "run-held")
	if err != nil || hold.Timeout != domain.DefaultApprovalTimeout || time.Until(hold.Due) < 71*time.Hour {
		t.Fatalf("BeginHold = %+v, %v", hold, err)
	}
	pending, err := s.PendingDecision(ctx, "acme")
	if err != nil || pending == nil || pending.RunID != "run-held" || pending.Counts != res.Counts || !strings.Contains(pending.Reason, "safety limit") {
		t.Fatalf("PendingDecision = %+v, %v", pending, err)
	}
	// The 48 h prune of unfinished runs must not take a held run's staging.
	if _, err := s.DB().Exec("UPDATE sync_runs SET started_at = now() - interval '49 hours' WHERE run_id = 'run-held'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PruneStaging(ctx, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM staging_changes WHERE run_id = 'run-held'"); n != 45 {
		t.Fatalf("pruning left %d of the held run's 45 staged changes", n)
	}

	// Asked again without approval: the same held answer.
	again, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-held"})
	if err != nil || again != withRepeated(res) {
		t.Fatalf("re-apply = %+v, %v; want the held %+v", again, err, res)
	}
	approved, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-held", Approved: true})
	if err != nil || approved.Outcome != domain.OutcomeApplied || approved.Held || approved.Counts != res.Counts {
		t.Fatalf("approved apply = %+v, %v", approved, err)
	}
	if got := changeRows(t, s, "change_log", "run-held"); strings.Join(got, "\n") != strings.Join(staged, "\n") {
		t.Fatalf("the approval wrote other changes than were staged:\nwrote  %v\nstaged %v", got, staged)
	}
	if err := s.RecordDecision(ctx, "run-held", domain.DecisionApprove, "Tech@Acme.example", domain.ViaCLI); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PendingDecision(ctx, "acme"); err != nil || p != nil {
		t.Fatalf("after the decision PendingDecision = %+v, %v", p, err)
	}
	// A retried approval returns the applied answer and writes nothing more.
	logRows := count(t, s, "SELECT count(*) FROM change_log")
	if again, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-held", Approved: true}); err != nil || again != withRepeated(approved) {
		t.Fatalf("retried approval = %+v, %v", again, err)
	}
	if n := count(t, s, "SELECT count(*) FROM change_log"); n != logRows {
		t.Fatalf("a retried approval wrote %d more change rows", n-logRows)
	}
}

// An approval never writes a change set other than the one shown: when the
// stored chart moved meanwhile, nothing is applied.
func TestApprovalRefusedWhenTheChartMoved(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	base := roster(120)
	syncRoster(t, s, "acme", "run-0", base, 0)
	if res := syncRoster(t, s, "acme", "run-held", leavingRoster(base), 0); !res.Held {
		t.Fatalf("not held: %+v", res)
	}
	if _, err := s.DB().Exec("UPDATE people SET job_title = 'Moved' WHERE org_id = 'acme' AND id = $1", base[80].ID); err != nil {
		t.Fatal(err)
	}
	before := exportJSON(t, s, "acme")
	res, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-held", Approved: true})
	if err != nil || res.Outcome != domain.OutcomeRefused || res.Held || !strings.Contains(res.Reason, "changed while the sync waited") {
		t.Fatalf("approval of a moved chart = %+v, %v", res, err)
	}
	if exportJSON(t, s, "acme") != before {
		t.Fatal("the refused approval changed the org chart")
	}
}

// A preview stages the change set a real apply writes, writes nothing, and
// keeps no answer: the run could still be applied for real.
func TestPreviewStagesWhatApplyWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	base := roster(50)
	syncRoster(t, s, "acme", "run-0", base, 0)
	next := append([]justworks.Member(nil), base[:48]...)
	next[3].JobTitle = ptr("Staff Engineer")
	next = append(next, generatedMember(500))
	if err := s.BeginRun(ctx, Run{RunID: "run-1", OrgID: "acme"}); err != nil {
		t.Fatal(err)
	}
	if err := s.StageMembers(ctx, "run-1", 0, next); err != nil {
		t.Fatal(err)
	}
	if err := s.StageTree(ctx, "run-1", next[0].ID, resolve(next)); err != nil {
		t.Fatal(err)
	}
	before := exportJSON(t, s, "acme")
	prev, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-1", Preview: true})
	if err != nil || prev.Outcome != domain.OutcomeApplied || prev.Counts.Hires != 1 || prev.Counts.Removed != 2 || prev.Counts.Updates != 1 {
		t.Fatalf("preview = %+v, %v", prev, err)
	}
	if exportJSON(t, s, "acme") != before || count(t, s, "SELECT count(*) FROM change_log WHERE run_id = 'run-1'") != 0 {
		t.Fatal("a preview wrote to the org chart")
	}
	if n := count(t, s, "SELECT count(*) FROM sync_runs WHERE run_id = 'run-1' AND result IS NOT NULL"); n != 0 {
		t.Fatal("a preview stored an apply result")
	}
	staged := changeRows(t, s, "staging_changes", "run-1")
	real, err := s.ApplyRoster(ctx, ApplyParams{OrgID: "acme", RunID: "run-1"})
	if err != nil || real.Counts != prev.Counts {
		t.Fatalf("real apply = %+v, %v; preview said %+v", real, err, prev.Counts)
	}
	if got := changeRows(t, s, "change_log", "run-1"); strings.Join(got, "\n") != strings.Join(staged, "\n") {
		t.Fatalf("the preview showed other changes than the apply wrote:\nwrote  %v\nshown  %v", got, staged)
	}
	if err := s.SavePreview(ctx, "run-1", Preview{Subject: "s", Text: "t", HTML: "h"}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.RunPreview(ctx, "run-1"); err != nil || p.Text != "t" {
		t.Fatalf("RunPreview = %+v, %v", p, err)
	}
}
