package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rostersync/rostersync/internal/justworks"
)

func TestStagingLastCopyWins(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)

	// Page 1, then page 2 where mem_b moved (seen again, renamed) and mem_a
	// appears twice within one page.
	page1 := []justworks.Member{
		member("mem_a", "  Ada ", " Lovelace", func(m *justworks.Member) { m.PreferredName = ptr("  ") }),
		member("mem_b", "Grace", "Hopper"),
	}
	page2 := []justworks.Member{
		member("mem_c", "Alan", "Turing", managedBy("mem_a")),
		member("mem_b", "Grace", "Hopper-Murray", withTitle("Rear Admiral")),
		member("mem_a", "Ada", "Lovelace", func(m *justworks.Member) { m.PreferredName = ptr(" Countess ") }),
	}
	if err := s.StageMembers(ctx, "run-1", 0, page1); err != nil {
		t.Fatal(err)
	}
	if err := s.StageMembers(ctx, "run-1", 2, page2); err != nil {
		t.Fatal(err)
	}
	// Another run's staging does not leak in.
	if err := s.StageMembers(ctx, "run-2", 0, []justworks.Member{member("mem_z", "Zed", "Zulu")}); err != nil {
		t.Fatal(err)
	}
	n, err := s.StagedCount(ctx, "run-1")
	if err != nil || n != 3 {
		t.Fatalf("StagedCount = %d, %v; want 3", n, err)
	}
	people, err := s.StagedPeople(ctx, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 3 {
		t.Fatalf("StagedPeople = %+v", people)
	}
	a, b, c := people[0], people[1], people[2]
	if a.ID != "mem_a" || a.GivenName != "Ada" || a.FamilyName != "Lovelace" || a.PreferredName == nil || *a.PreferredName != "Countess" {
		t.Errorf("mem_a = %+v (preferred %v)", a, a.PreferredName)
	}
	if b.ID != "mem_b" || b.FamilyName != "Hopper-Murray" {
		t.Errorf("mem_b = %+v, want the last copy", b)
	}
	if c.ID != "mem_c" || c.ManagerID == nil || *c.ManagerID != "mem_a" || c.Status != justworks.StatusActive {
		t.Errorf("mem_c = %+v", c)
	}

	// A blank preferred name is none; names keep inner spacing and accents as sent.
	if err := s.StageMembers(ctx, "run-3", 0, []justworks.Member{
		member("mem_x", " Zoe\u0308  Ann ", "O'Brien", func(m *justworks.Member) { m.PreferredName = ptr("   ") }),
	}); err != nil {
		t.Fatal(err)
	}
	people, _ = s.StagedPeople(ctx, "run-3")
	if p := people[0]; p.GivenName != "Zoe\u0308  Ann" || p.PreferredName != nil {
		t.Errorf("mem_x = %+v (preferred %v)", p, p.PreferredName)
	}

	if err := s.ResetStaging(ctx, "run-1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.StagedCount(ctx, "run-1"); n != 0 {
		t.Errorf("StagedCount after reset = %d", n)
	}
	if n, _ := s.StagedCount(ctx, "run-2"); n != 1 {
		t.Errorf("reset touched another run: %d", n)
	}
}

func TestStageMembersBadInput(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	good := member("mem_ok", "Ada", "Lovelace")
	tests := []struct {
		name    string
		bad     justworks.Member
		wantErr string
	}{
		{"invalid start date", member("mem_1", "A", "B", func(m *justworks.Member) { m.StartDate = "2021-02-30" }), `start_date "2021-02-30" is not a date`},
		{"start date in another format", member("mem_1", "A", "B", func(m *justworks.Member) { m.StartDate = "03/01/2021" }), `start_date "03/01/2021"`},
		{"invalid termination date", member("mem_1", "A", "B", func(m *justworks.Member) { m.TerminationDate = ptr("soon") }), `termination_date "soon"`},
		{"empty id", member("", "A", "B"), "the id is empty"},
		{"blank id", member("  ", "A", "B"), "the id is empty"},
		{"unknown status", member("mem_1", "A", "B", withStatus("retired")), `status "retired"`},
		{"removed is not a Justworks status", member("mem_1", "A", "B", withStatus("removed")), `status "removed"`},
		{"invalid UTF-8", member("mem_1", "A\xff", "B"), "given_name is not valid UTF-8"},
		{"NUL", member("mem_1", "A", "B\x00"), "family_name contains a NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := "run-" + strings.ReplaceAll(tt.name, " ", "-")
			err := s.StageMembers(ctx, run, 0, []justworks.Member{good, tt.bad, good})
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("StageMembers: %v, want ErrBadInput", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "member 1") {
				t.Errorf("error %q does not say %q for member 1", err, tt.wantErr)
			}
			if n, _ := s.StagedCount(ctx, run); n != 0 {
				t.Errorf("%d members staged after a bad page", n)
			}
		})
	}
	// Absent dates are fine.
	if err := s.StageMembers(ctx, "run-ok", 0, []justworks.Member{member("mem_1", "A", "B", func(m *justworks.Member) { m.StartDate = "" })}); err != nil {
		t.Errorf("empty start date: %v", err)
	}
	if err := s.StageMembers(ctx, "run-ok", 1, nil); err != nil {
		t.Errorf("empty page: %v", err)
	}
}
