package store

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/testenv"
)

// newStore opens a migrated store on a fresh database.
func newStore(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, testenv.NewDatabase(t), zaptest.NewLogger(t, zaptest.Level(testLogLevel())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// member builds an active full-time member; opts adjust it.
func member(id, given, family string, opts ...func(*justworks.Member)) justworks.Member {
	m := justworks.Member{
		ID: id, GivenName: given, FamilyName: family,
		WorkEmail:      ptr(id + "@acme.example"),
		JobTitle:       ptr("Engineer"),
		Department:     &justworks.Department{ID: "dep_eng", Name: "Engineering"},
		EmploymentType: justworks.EmploymentFullTime,
		Status:         justworks.StatusActive,
		StartDate:      "2021-03-01",
		WorkLocation:   &justworks.Location{Name: "New York HQ", City: "New York", State: "NY", Country: "US"},
		UpdatedAt:      time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC),
	}
	for _, o := range opts {
		o(&m)
	}
	return m
}

func managedBy(id string) func(*justworks.Member) {
	return func(m *justworks.Member) { m.ManagerID = &id }
}
func withStatus(st string) func(*justworks.Member) {
	return func(m *justworks.Member) { m.Status = st }
}
func withTitle(title string) func(*justworks.Member) {
	return func(m *justworks.Member) { m.JobTitle = &title }
}

// resolve is a stand-in for orgtree.Resolve: a manager is stored when it is in
// the roster; otherwise the member gets an unknown_manager problem.
func resolve(members []justworks.Member) orgtree.Result {
	in := map[string]bool{}
	for _, m := range members {
		in[m.ID] = true
	}
	r := orgtree.Result{Managers: map[string]string{}}
	for _, m := range members {
		if m.ManagerID == nil {
			continue
		}
		if in[*m.ManagerID] {
			r.Managers[m.ID] = *m.ManagerID
		} else {
			r.Problems = append(r.Problems, orgtree.Problem{MemberID: m.ID, Kind: orgtree.ProblemUnknownManager,
				Detail: fmt.Sprintf("manager %s is not in the roster", *m.ManagerID)})
		}
	}
	return r
}

// syncRoster runs the store side of one sync: begin, stage in pages, stage the
// tree, apply. threshold ≤ 0 uses the org's.
func syncRoster(t testing.TB, s *Store, orgID, runID string, members []justworks.Member, threshold float64) ApplyResult {
	t.Helper()
	ctx := context.Background()
	if err := s.BeginRun(ctx, Run{RunID: runID, OrgID: orgID, WorkflowID: "SyncRoster:" + orgID, RequestedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	const page = 1000
	for i := 0; i < len(members); i += page {
		end := min(i+page, len(members))
		if err := s.StageMembers(ctx, runID, int64(i), members[i:end]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordFetchReport(ctx, runID); err != nil {
		t.Fatal(err)
	}
	head := ""
	if len(members) > 0 {
		head = members[0].ID
	}
	if err := s.StageTree(ctx, runID, head, resolve(members)); err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyRoster(ctx, ApplyParams{OrgID: orgID, RunID: runID, SafetyThreshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func createOrg(t testing.TB, s *Store, id string) {
	t.Helper()
	if _, err := s.UpsertOrg(context.Background(), Org{ID: id, Name: id + " Inc.", HeadName: "Ada Lovelace"}); err != nil {
		t.Fatal(err)
	}
}

func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

var (
	givenNames  = []string{"Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances", "José", "Zoë"}
	familyNames = []string{"Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen", "Muñoz", "O'Brien"}
	departments = []justworks.Department{{ID: "dep_eng", Name: "Engineering"}, {ID: "dep_ops", Name: "Operations"}, {ID: "dep_sales", Name: "Sales"}}
)

// roster generates n active members mem_00000… in a tree under mem_00000 (each
// manager has up to 8 reports).
func roster(n int) []justworks.Member {
	out := make([]justworks.Member, n)
	for i := range out {
		out[i] = generatedMember(i)
	}
	return out
}

func generatedMember(i int) justworks.Member {
	id := fmt.Sprintf("mem_%05d", i)
	m := member(id, givenNames[i%len(givenNames)], familyNames[(i/len(givenNames))%len(familyNames)])
	d := departments[i%len(departments)]
	m.Department = &d
	m.JobTitle = ptr(fmt.Sprintf("Engineer %d", i%7))
	if i > 0 {
		m.ManagerID = ptr(fmt.Sprintf("mem_%05d", (i-1)/8))
	}
	if i%10 == 3 {
		m.PreferredName = ptr("Pref " + id)
	}
	return m
}

// testLogLevel is warn, or debug with ROSTERSYNC_TEST_DEBUG=1 (apply step timings).
func testLogLevel() zapcore.Level {
	if os.Getenv("ROSTERSYNC_TEST_DEBUG") == "1" {
		return zapcore.DebugLevel
	}
	return zapcore.WarnLevel
}
