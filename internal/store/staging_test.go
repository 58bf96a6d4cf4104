package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rostersync/rostersync/internal/domain"
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

// A member that cannot be applied is staged with its reason, skipped and
// reported; the rest of the page is staged. A value outside the documented
// enums is stored as received and reported; only an empty run id fails.
func TestStageMembersSkipsAndReports(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	good := member("mem_ok", "Ada", "Lovelace")
	tests := []struct {
		name       string
		bad        justworks.Member
		wantReason domain.SkipReason
		wantDetail string
	}{
		{"invalid start date", member("mem_1", "A", "B", func(m *justworks.Member) { m.StartDate = "2021-02-30" }), domain.SkipBadDate, `start_date "2021-02-30" is not a date`},
		{"start date in another format", member("mem_1", "A", "B", func(m *justworks.Member) { m.StartDate = "03/01/2021" }), domain.SkipBadDate, `start_date "03/01/2021"`},
		{"invalid termination date", member("mem_1", "A", "B", func(m *justworks.Member) { m.TerminationDate = ptr("soon") }), domain.SkipBadDate, `termination_date "soon"`},
		{"empty id", member("", "A", "B"), domain.SkipNoID, "no id"},
		{"blank id", member("  ", "A", "B"), domain.SkipNoID, "no id"},
		{"no given name", member("mem_1", " ", "B"), domain.SkipNoGivenName, "given_name"},
		{"no family name", member("mem_1", "A", ""), domain.SkipNoFamilyName, "family_name"},
		{"no status", member("mem_1", "A", "B", withStatus("")), domain.SkipNoStatus, "status"},
		{"removed is not a Justworks status", member("mem_1", "A", "B", withStatus("removed")), domain.SkipReservedStatus, `status "removed"`},
		{"invalid UTF-8", member("mem_1", "A\xff", "B"), domain.SkipBadText, "given_name is not valid UTF-8"},
		{"NUL", member("mem_1", "A", "B\x00"), domain.SkipBadText, "family_name is not valid UTF-8 or contains a NUL"},
		{"JSON of the wrong type", justworks.Member{ID: "mem_1", GivenName: "A", DecodeError: "status is a JSON number, not a string"}, domain.SkipBadJSON, "status is a JSON number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := "run-" + strings.ReplaceAll(tt.name, " ", "-")
			if err := s.StageMembers(ctx, run, 0, []justworks.Member{good, tt.bad, good}); err != nil {
				t.Fatalf("StageMembers: %v", err)
			}
			if err := s.RecordFetchReport(ctx, run); err != nil {
				t.Fatal(err)
			}
			if n, _ := s.StagedCount(ctx, run); n != 1 {
				t.Errorf("StagedCount = %d, want the good member only", n)
			}
			if people, _ := s.StagedPeople(ctx, run); len(people) != 1 || people[0].ID != "mem_ok" {
				t.Errorf("StagedPeople = %+v", people)
			}
			skipped, total, err := s.RunSkipped(ctx, run, 0)
			if err != nil || total != 1 || len(skipped) != 1 {
				t.Fatalf("RunSkipped = %+v, %d, %v", skipped, total, err)
			}
			if k := skipped[0]; k.Reason != tt.wantReason || !strings.Contains(k.Detail, tt.wantDetail) {
				t.Errorf("skipped %+v, want %s with %q", k, tt.wantReason, tt.wantDetail)
			}
		})
	}

	// The last copy decides: skipped, then fixed, is taken; taken, then
	// broken, is skipped.
	if err := s.StageMembers(ctx, "run-copies", 0, []justworks.Member{
		member("mem_a", "", "Nameless"), member("mem_b", "Bea", "Fine"),
		member("mem_a", "Ann", "Nameless"), member("mem_b", "Bea", "", withStatus("retired")),
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetchReport(ctx, "run-copies"); err != nil {
		t.Fatal(err)
	}
	if people, _ := s.StagedPeople(ctx, "run-copies"); len(people) != 1 || people[0].ID != "mem_a" {
		t.Errorf("StagedPeople = %+v, want mem_a's fixed copy only", people)
	}
	if skipped, _, _ := s.RunSkipped(ctx, "run-copies", 0); len(skipped) != 1 || skipped[0].MemberID != "mem_b" || skipped[0].Reason != domain.SkipNoFamilyName {
		t.Errorf("RunSkipped = %+v, want mem_b's broken last copy", skipped)
	}

	// New enum values are stored as received, and reported.
	if err := s.StageMembers(ctx, "run-enums", 0, []justworks.Member{
		member("mem_1", "A", "B", withStatus("sabbatical")), member("mem_2", "C", "D", withStatus("sabbatical")),
		member("mem_3", "E", "F", func(m *justworks.Member) { m.EmploymentType = "seasonal" }),
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetchReport(ctx, "run-enums"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.StagedCount(ctx, "run-enums"); n != 3 {
		t.Errorf("StagedCount = %d, want all 3", n)
	}
	unknown, err := s.RunUnknownValues(ctx, "run-enums")
	want := []UnknownValue{{Field: "employment_type", Value: "seasonal", People: 1}, {Field: "status", Value: "sabbatical", People: 2}}
	if err != nil || fmt.Sprint(unknown) != fmt.Sprint(want) {
		t.Errorf("RunUnknownValues = %+v, %v; want %+v", unknown, err, want)
	}

	if err := s.StageMembers(ctx, "", 0, []justworks.Member{good}); !errors.Is(err, ErrBadInput) {
		t.Errorf("empty run id: %v, want ErrBadInput", err)
	}
	// Absent dates are fine.
	if err := s.StageMembers(ctx, "run-ok", 0, []justworks.Member{member("mem_1", "A", "B", func(m *justworks.Member) { m.StartDate = "" })}); err != nil {
		t.Errorf("empty start date: %v", err)
	}
	if err := s.StageMembers(ctx, "run-ok", 1, nil); err != nil {
		t.Errorf("empty page: %v", err)
	}
}
