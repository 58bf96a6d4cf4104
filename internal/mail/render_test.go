package mail

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func sampleSummary(outcome domain.Outcome) Summary {
	start := time.Date(2026, 11, 25, 6, 30, 0, 0, time.UTC)
	s := Summary{
		OrgID:       "acme",
		OrgName:     "Acme Inc.",
		WorkflowID:  "RosterSync:acme",
		RunID:       "0193f1c2-7d1e-7b7a-9c61-2f4d1f0e9a11",
		WebURL:      "http://localhost:8233/namespaces/default/workflows/RosterSync:acme/0193f1c2-7d1e-7b7a-9c61-2f4d1f0e9a11/history",
		Outcome:     outcome,
		RequestedBy: "schedule",
		Started:     start,
		Finished:    start.Add(83*time.Second + 400*time.Millisecond),
	}
	switch outcome {
	case domain.OutcomeApplied:
		s.Counts = domain.Counts{Hires: 3, Terminations: 1, Rehires: 1, Returned: 1, Updates: 2, Unchanged: 240, Removed: 0, Problems: 2, Skipped: 2}
		s.Returned = []Person{{ID: "mem_10", Name: "Katherine Johnson", Title: "Mathematician"}}
		s.Skipped = []Skipped{
			{ID: "mem_11", Name: "Dorothy", Reason: domain.SkipNoFamilyName, Detail: "family_name is empty or absent"},
			{Name: "Mary Jackson", Reason: domain.SkipNoID, Detail: "the member has no id"},
		}
		s.UnknownValues = []UnknownValue{{Field: "status", Value: "sabbatical", People: 3}, {Field: "employment_type", Value: "", People: 1}}
		s.Hires = []Person{
			{ID: "mem_1", Name: "José Álvarez", Title: "Staff Engineer", Department: "Engineering"},
			{ID: "mem_2", Name: "Zoë O'Brien-Smith", Title: "Designer"},
		}
		s.Truncated = map[domain.Section]int{domain.SectionHires: 1}
		s.Terminations = []Person{{ID: "mem_3", Name: "Grace Hopper", Department: "Research"}}
		s.Rehires = []Person{{ID: "mem_4", Name: "山田 太郎"}}
		s.TitleChanges = []TitleChange{{ID: "mem_5", Name: "Ada Lovelace", Old: "Engineer", New: "Principal Engineer"}}
		s.ManagerMoves = []ManagerMove{{ID: "mem_6", Name: "Alan Turing", OldManager: "Ada Lovelace", NewManager: ""}}
		s.Problems = []Problem{
			{MemberID: "mem_7", Kind: "unknown_manager", Detail: "manager mem_gone is not in the roster"},
			{MemberID: "mem_8", Kind: "outside_tree", Detail: "reports to mem_7, whose chain ends at mem_7, whose manager mem_gone is not in the roster"},
		}
	case domain.OutcomeNoChanges:
		s.Counts = domain.Counts{Unchanged: 246}
	case domain.OutcomeRefused:
		s.Counts = domain.Counts{Hires: 1, Terminations: 180, Unchanged: 66}
		s.Reason = "180 of 246 active people (73%) would be terminated; the safety threshold is 20%.\nCheck the Justworks account, then run `starter sync --org acme --force`."
		s.Terminations = []Person{{ID: "mem_3", Name: "Grace Hopper"}, {ID: "mem_9", Name: "Linus Torvalds"}}
		s.Truncated = map[domain.Section]int{domain.SectionTerminations: 178, domain.SectionHires: 1}
	case domain.OutcomeHeld:
		s.Counts = domain.Counts{Terminations: 180, Unchanged: 66}
		s.Reason = "the roster from Justworks would terminate or remove 180 of 246 active people (73 %), above the 20 % safety limit"
		s.DecisionDue = start.Add(72 * time.Hour)
		s.DecisionHint = domain.DecisionHint("acme")
		s.Terminations = []Person{{ID: "mem_3", Name: "Grace Hopper"}, {ID: "mem_9", Name: "Linus Torvalds"}}
		s.Truncated = map[domain.Section]int{domain.SectionTerminations: 178}
	case domain.OutcomeFailed:
		s.Reason = "log in to Justworks: invalid_credentials: wrong username or password"
		s.Finished = time.Time{}
		s.RequestedBy = "ops@acme.example"
	}
	return s
}

func TestRenderGolden(t *testing.T) {
	subjects := map[domain.Outcome]string{
		domain.OutcomeApplied:   "Rostersync · Acme Inc.: 3 hires, 1 termination, 1 rehire, 1 returned, 2 updates, 2 tree problems, 2 skipped",
		domain.OutcomeNoChanges: "Rostersync · Acme Inc.: no changes",
		domain.OutcomeRefused:   "Rostersync · Acme Inc.: sync refused — nothing applied",
		domain.OutcomeFailed:    "Rostersync · Acme Inc.: sync failed",
		domain.OutcomeHeld:      "Rostersync · Acme Inc.: sync held for approval — nothing applied yet",
	}
	for outcome, subject := range subjects {
		t.Run(string(outcome), func(t *testing.T) {
			m, err := Render(sampleSummary(outcome))
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != subject {
				t.Errorf("subject = %q, want %q", m.Subject, subject)
			}
			golden(t, string(outcome)+".txt", m.Text)
			golden(t, string(outcome)+".html", m.HTML)
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./internal/mail -update` to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s", path, got)
	}
}

func TestRenderContent(t *testing.T) {
	m, err := Render(sampleSummary(domain.OutcomeApplied))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"José Álvarez", "Zoë O'Brien-Smith", "Grace Hopper", "山田 太郎",
		"Engineer → Principal Engineer", "Ada Lovelace → (none)",
		"mem_gone", "and 1 more", "RosterSync:acme",
		"http://localhost:8233/namespaces/default/workflows/RosterSync:acme/",
	} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	// The HTML escapes the apostrophe but keeps every name.
	for _, want := range []string{"José Álvarez", "Zoë O&#39;Brien-Smith", "<table", "and 1 more", `href="http://localhost:8233/`} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	// Sections without entries are left out.
	if strings.Contains(m.Text, "Removed from the org chart") {
		t.Error("empty Removed section shown")
	}

	r, _ := Render(sampleSummary(domain.OutcomeRefused))
	for _, want := range []string{"safety threshold is 20%", "not applied", "and 178 more", "1 not listed", "Linus Torvalds"} {
		if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
			t.Errorf("refused mail lacks %q", want)
		}
	}
	f, _ := Render(sampleSummary(domain.OutcomeFailed))
	if !strings.Contains(f.Text, "invalid_credentials") || strings.Contains(f.Text, "Counts") {
		t.Errorf("failed text:\n%s", f.Text)
	}
}

func TestRenderEscapes(t *testing.T) {
	evil := "<script>alert(1)</script> O'Brien & Co"
	s := Summary{
		OrgName: evil, Outcome: domain.OutcomeRefused, Reason: evil, RequestedBy: evil,
		WebURL:       "javascript:alert(1)",
		Counts:       domain.Counts{Hires: 1},
		Hires:        []Person{{ID: "mem_1", Name: evil, Title: evil, Department: evil}},
		TitleChanges: []TitleChange{{ID: "mem_1", Name: evil, Old: evil, New: evil}},
		ManagerMoves: []ManagerMove{{ID: "mem_1", Name: evil, OldManager: evil, NewManager: evil}},
		Problems:     []Problem{{MemberID: evil, Kind: evil, Detail: evil}},
	}
	m, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "javascript:") || strings.Contains(m.HTML, "O'Brien") {
		t.Fatalf("unescaped value in HTML:\n%s", m.HTML)
	}
	if n := strings.Count(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; Co"); n < 10 {
		t.Fatalf("escaped value appears %d times:\n%s", n, m.HTML)
	}
	if !strings.Contains(m.Text, evil) {
		t.Fatal("text part should show values as sent")
	}
}

func TestRenderCleansLineBreaks(t *testing.T) {
	m, err := Render(Summary{OrgName: "Acme\r\nBcc: victim@example.com", Outcome: domain.OutcomeNoChanges})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Fatalf("subject %q has a line break", m.Subject)
	}
}

func TestRenderUnknownOutcome(t *testing.T) {
	if _, err := Render(Summary{OrgName: "Acme", Outcome: "maybe"}); err == nil {
		t.Fatal("no error for an unknown outcome")
	}
}

func TestChangesPhrase(t *testing.T) {
	tests := []struct {
		c    domain.Counts
		want string
	}{
		{domain.Counts{}, ""},
		{domain.Counts{Unchanged: 5}, ""},
		{domain.Counts{Hires: 1}, "1 hire"},
		{domain.Counts{Hires: 3, Terminations: 1, Updates: 2}, "3 hires, 1 termination, 2 updates"},
		{domain.Counts{Removed: 2, Problems: 1}, "2 removals, 1 tree problem"},
	}
	for _, tt := range tests {
		if got := changesPhrase(tt.c); got != tt.want {
			t.Errorf("changesPhrase(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}
