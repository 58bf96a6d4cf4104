package store

import (
	"context"
	"testing"
	"time"

	"github.com/rostersync/rostersync/internal/justworks"
)

func personOf(x Export, id string) *ExportPerson {
	for i := range x.People {
		if x.People[i].ID == id {
			return &x.People[i]
		}
	}
	return nil
}

// A termination Justworks sends ahead of its date waits for the day; the
// chart can be read as of any day, past (undoing later changes) or ahead
// (applying the known dates).
func TestScheduledTerminationsAndExportAsOf(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	now := time.Now().UTC()
	day := func(n int) string { return now.AddDate(0, 0, n).Format(time.DateOnly) }
	base := roster(10)
	syncRoster(t, s, "acme", "run-0", base, 0)
	// Everything so far happened ten days ago.
	if _, err := s.DB().Exec("UPDATE change_log SET at = at - interval '10 days'"); err != nil {
		t.Fatal(err)
	}

	next := append([]justworks.Member(nil), base...)
	next[2].Status, next[2].TerminationDate = justworks.StatusTerminated, ptr(day(7)) // ahead: scheduled
	next[3].Status, next[3].TerminationDate = justworks.StatusTerminated, ptr(day(0)) // today: applied
	next[4].JobTitle = ptr("Principal Engineer")
	next[5].TerminationDate = ptr(day(0))  // due today, Justworks still says active: terminated
	next[6].TerminationDate = ptr(day(30)) // active, leaving later: scheduled
	prehire := generatedMember(300)
	prehire.Status, prehire.StartDate = justworks.StatusPending, day(5)
	next = append(next, prehire)
	res := syncRoster(t, s, "acme", "run-1", next, 1)
	if res.Counts.Terminations != 2 || res.Counts.Hires != 1 || res.Counts.Updates != 3 {
		t.Fatalf("counts = %+v, want 2 terminations (due today), 1 hire, 3 updates (a title, two scheduled dates)", res.Counts)
	}
	sched, n, err := s.RunScheduled(ctx, "run-1", 0)
	if err != nil || n != 2 || sched[0].MemberID != base[2].ID || sched[0].TerminationDate.Format(time.DateOnly) != day(7) || sched[1].MemberID != base[6].ID {
		t.Fatalf("RunScheduled = %+v, %d, %v", sched, n, err)
	}
	if x, _ := s.Export(ctx, "acme"); personOf(x, base[5].ID).Status != "terminated" {
		t.Fatal("a termination due today was not applied")
	}
	x, err := s.Export(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if p := personOf(x, base[2].ID); p.Status != "active" || p.TerminationDate == nil || *p.TerminationDate != day(7) {
		t.Fatalf("the scheduled termination took effect early: %+v", p)
	}

	ahead, err := s.ExportAsOf(ctx, "acme", now.AddDate(0, 0, 8))
	if err != nil {
		t.Fatal(err)
	}
	if personOf(ahead, base[2].ID).Status != "terminated" || personOf(ahead, prehire.ID).Status != "active" {
		t.Fatalf("in 8 days: %s and %s", personOf(ahead, base[2].ID).Status, personOf(ahead, prehire.ID).Status)
	}
	soon, _ := s.ExportAsOf(ctx, "acme", now.AddDate(0, 0, 1))
	if personOf(soon, base[2].ID).Status != "active" || personOf(soon, prehire.ID).Status != "pending" || personOf(soon, base[3].ID).Status != "terminated" {
		t.Fatal("tomorrow: the scheduled one is still active, the pre-hire pending, today's termination done")
	}
	past, err := s.ExportAsOf(ctx, "acme", now.AddDate(0, 0, -3))
	if err != nil {
		t.Fatal(err)
	}
	if personOf(past, prehire.ID) != nil {
		t.Fatal("three days ago nobody knew of the pre-hire")
	}
	if p := personOf(past, base[3].ID); p.Status != "active" || p.TerminationDate != nil {
		t.Fatalf("three days ago %s was not terminated yet: %+v", base[3].ID, p)
	}
	if p := personOf(past, base[4].ID); p.JobTitle == nil || *p.JobTitle != *base[4].JobTitle {
		t.Fatalf("three days ago the title was %q", *base[4].JobTitle)
	}
	before, _ := s.ExportAsOf(ctx, "acme", now.AddDate(0, 0, -11))
	if len(before.People) != 0 {
		t.Fatalf("before the first sync the chart held %d people", len(before.People))
	}

	// On the day, the next sync applies the scheduled termination.
	if _, err := s.DB().Exec("UPDATE orgs SET time_zone = 'Pacific/Kiritimati' WHERE id = 'acme'"); err != nil {
		t.Fatal(err)
	}
	next[2].TerminationDate = ptr(day(0))
	res = syncRoster(t, s, "acme", "run-2", next, 1)
	if res.Counts.Terminations != 1 {
		t.Fatalf("on the day: %+v", res.Counts)
	}
}
