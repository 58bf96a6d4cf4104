package store

import (
	"context"
	"errors"
	"testing"

	"github.com/rostersync/rostersync/internal/justworks"
)

// A retried fetch drops the rows staged past the heartbeat it resumes from,
// and the attempt it replaced can stage nothing more: the fresh copy of a
// member is the only one left, whatever seq it gets.
func TestClaimFetchDropsRowsPastResumeAndFencesOlderAttempts(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	first, err := s.ClaimFetch(ctx, "run-1", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Attempt 1 staged two batches; only the first one's heartbeat (NextSeq 2) arrived.
	if err := first.Stage(ctx, 0, []justworks.Member{member("mem_a", "Ada", "Lovelace"), member("mem_b", "Grace", "Hopper")}); err != nil {
		t.Fatal(err)
	}
	if err := first.Stage(ctx, 2, []justworks.Member{member("mem_c", "Alan", "Turing"), member("mem_d", "Old", "Copy")}); err != nil {
		t.Fatal(err)
	}

	second, err := s.ClaimFetch(ctx, "run-1", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.StagedRows(ctx, "run-1"); rows != 2 {
		t.Fatalf("rows after the claim = %d, want the 2 the heartbeat counts", rows)
	}
	// mem_c left meanwhile, so mem_d comes back one seq earlier than its stale copy.
	if err := second.Stage(ctx, 2, []justworks.Member{member("mem_d", "Fresh", "Copy")}); err != nil {
		t.Fatal(err)
	}
	// Attempt 1 is still running somewhere: it stages nothing more.
	if err := first.Stage(ctx, 4, []justworks.Member{member("mem_d", "Stale", "Copy")}); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("the older attempt's Stage = %v, want ErrSuperseded", err)
	}
	if _, err := s.ClaimFetch(ctx, "run-1", 1, 0); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("an older attempt's claim = %v, want ErrSuperseded", err)
	}
	people, err := s.StagedPeople(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 3 || people[2].ID != "mem_d" || people[2].GivenName != "Fresh" {
		t.Fatalf("staged people = %+v, want mem_a, mem_b and the fresh mem_d", people)
	}

	// A finished run drops its claim: a straggler stages nothing.
	if err := s.DropStaging(ctx, "run-1"); err != nil {
		t.Fatal(err)
	}
	if err := second.Stage(ctx, 3, []justworks.Member{member("mem_e", "Late", "Row")}); !errors.Is(err, ErrSuperseded) {
		t.Fatalf("Stage after the run's staging was dropped = %v, want ErrSuperseded", err)
	}
}
