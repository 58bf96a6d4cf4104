package orgtree

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// rep is a member id and its manager_id ("" = null).
func rep(id, manager string) Person {
	p := Person{ID: id, GivenName: id, FamilyName: "X", Status: "active"}
	if manager != "" {
		p.ManagerID = &manager
	}
	return p
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name     string
		people   []Person
		head     string
		managers map[string]string
		problems []Problem
	}{
		{
			name:     "simple tree",
			people:   []Person{rep("b", "a"), rep("a", ""), rep("c", "b"), rep("d", "a")},
			head:     "a",
			managers: map[string]string{"b": "a", "c": "b", "d": "a"},
		},
		{
			name:     "head with a manager is still the root",
			people:   []Person{rep("a", "z"), rep("b", "a")},
			head:     "a",
			managers: map[string]string{"b": "a"},
		},
		{
			name:     "loop through the head ends at the head",
			people:   []Person{rep("a", "c"), rep("b", "a"), rep("c", "b")},
			head:     "a",
			managers: map[string]string{"b": "a", "c": "b"},
		},
		{
			name:     "self manager",
			people:   []Person{rep("a", ""), rep("s", "s"), rep("t", "s")},
			head:     "a",
			managers: map[string]string{},
			problems: []Problem{
				{"s", ProblemCycle, "is their own manager (s → s)"},
				{"t", ProblemOutsideTree, "reports to s, whose chain runs into a reporting cycle at s without reaching the head"},
			},
		},
		{
			name:     "cycle with a tail",
			people:   []Person{rep("a", ""), rep("x", "y"), rep("y", "z"), rep("z", "x"), rep("w", "v"), rep("v", "y"), rep("k", "a")},
			head:     "a",
			managers: map[string]string{"k": "a"},
			problems: []Problem{
				{"v", ProblemOutsideTree, "reports to y, whose chain runs into a reporting cycle at y without reaching the head"},
				{"w", ProblemOutsideTree, "reports to v, whose chain runs into a reporting cycle at y without reaching the head"},
				{"x", ProblemCycle, "on a reporting cycle of 3 members: x → y → z → x"},
				{"y", ProblemCycle, "on a reporting cycle of 3 members: y → z → x → y"},
				{"z", ProblemCycle, "on a reporting cycle of 3 members: z → x → y → z"},
			},
		},
		{
			name:     "unknown manager and its reports",
			people:   []Person{rep("a", ""), rep("m", "mem_gone"), rep("n", "m"), rep("o", "n")},
			head:     "a",
			managers: map[string]string{},
			problems: []Problem{
				{"m", ProblemUnknownManager, "manager mem_gone is not in the roster"},
				{"n", ProblemOutsideTree, "reports to m, whose chain ends at m, whose manager mem_gone is not in the roster"},
				{"o", ProblemOutsideTree, "reports to n, whose chain ends at m, whose manager mem_gone is not in the roster"},
			},
		},
		{
			name:     "second root",
			people:   []Person{rep("a", ""), rep("r", ""), rep("q", "r"), rep("b", "a")},
			head:     "a",
			managers: map[string]string{"b": "a"},
			problems: []Problem{
				{"q", ProblemOutsideTree, "reports to r, whose chain ends at r (no manager) without reaching the head"},
				{"r", ProblemOutsideTree, "has no manager and is not the head (a second root)"},
			},
		},
		{
			name: "terminated members count like anyone",
			people: []Person{rep("a", ""), {ID: "t", Status: "terminated", ManagerID: ptr("a")},
				rep("u", "t")},
			head:     "a",
			managers: map[string]string{"t": "a", "u": "t"},
		},
		{
			name:     "last copy wins",
			people:   []Person{rep("a", ""), rep("b", "zzz"), rep("c", "b"), rep("b", "a")},
			head:     "a",
			managers: map[string]string{"b": "a", "c": "b"},
		},
		{
			name:     "empty manager id is null",
			people:   []Person{rep("a", ""), {ID: "b", ManagerID: ptr("")}},
			head:     "a",
			managers: map[string]string{},
			problems: []Problem{{"b", ProblemOutsideTree, "has no manager and is not the head (a second root)"}},
		},
		{
			name:     "no head",
			people:   []Person{rep("a", ""), rep("b", "a")},
			head:     "",
			managers: map[string]string{},
			problems: []Problem{
				{"a", ProblemOutsideTree, "has no manager and is not the head (a second root)"},
				{"b", ProblemOutsideTree, "reports to a, whose chain ends at a (no manager) without reaching the head"},
			},
		},
		{
			name:     "empty roster",
			head:     "a",
			managers: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Resolve(tt.people, tt.head)
			if !reflect.DeepEqual(got.Managers, tt.managers) {
				t.Errorf("managers = %v, want %v", got.Managers, tt.managers)
			}
			if len(got.Problems) != 0 || len(tt.problems) != 0 {
				if !reflect.DeepEqual(got.Problems, tt.problems) {
					t.Errorf("problems:\n got %q\nwant %q", got.Problems, tt.problems)
				}
			}
			checkPartition(t, tt.people, tt.head, got)
		})
	}
}

func TestResolveLongCycleDetailIsCapped(t *testing.T) {
	const n = 1000
	people := []Person{rep("head", "")}
	for i := range n {
		people = append(people, rep(fmt.Sprintf("c%04d", i), fmt.Sprintf("c%04d", (i+1)%n)))
	}
	got := Resolve(people, "head")
	if len(got.Problems) != n {
		t.Fatalf("%d problems", len(got.Problems))
	}
	d := got.Problems[0].Detail
	want := "on a reporting cycle of 1000 members: c0000 → c0001 → c0002 → c0003 → c0004 → c0005 → c0006 → c0007 → c0008 → c0009 → … (990 more)"
	if d != want {
		t.Fatalf("detail = %q", d)
	}
	checkPartition(t, people, "head", got)
}

// checkPartition asserts Resolve's invariants: every distinct member id is
// exactly one of the head, a key of Managers, or one Problem; stored managers
// are the members' own manager_ids and lead to the head; problems are sorted,
// of a known kind, and consistent with the roster.
func checkPartition(t testing.TB, people []Person, head string, r Result) {
	t.Helper()
	last := map[string]Person{}
	for _, p := range people {
		last[p.ID] = p
	}
	mgr := func(id string) string {
		if m := last[id].ManagerID; m != nil {
			return *m
		}
		return ""
	}
	_, headIn := last[head]
	headIn = headIn && head != ""
	seen := map[string]string{}
	if headIn {
		seen[head] = "head"
	}
	for id, m := range r.Managers {
		if _, ok := last[id]; !ok {
			t.Fatalf("Managers has %q, not in the roster", id)
		}
		if seen[id] != "" {
			t.Fatalf("%q is both %s and in Managers", id, seen[id])
		}
		seen[id] = "managed"
		if m != mgr(id) {
			t.Fatalf("Managers[%q] = %q, but its manager_id is %q", id, m, mgr(id))
		}
		// The chain of stored managers reaches the head.
		v, steps := id, 0
		for v != head {
			next, ok := r.Managers[v]
			if !ok || steps > len(last) {
				t.Fatalf("stored chain from %q stops at %q before the head", id, v)
			}
			v, steps = next, steps+1
		}
	}
	if !sort.SliceIsSorted(r.Problems, func(i, j int) bool { return r.Problems[i].MemberID < r.Problems[j].MemberID }) {
		t.Fatalf("problems not sorted")
	}
	for _, p := range r.Problems {
		if seen[p.MemberID] != "" {
			t.Fatalf("%q is both %s and a problem", p.MemberID, seen[p.MemberID])
		}
		if _, ok := last[p.MemberID]; !ok {
			t.Fatalf("problem for %q, not in the roster", p.MemberID)
		}
		seen[p.MemberID] = "problem"
		if p.Detail == "" {
			t.Fatalf("problem %v has no detail", p)
		}
		m := mgr(p.MemberID)
		_, known := last[m]
		switch p.Kind {
		case ProblemUnknownManager:
			if m == "" || known {
				t.Fatalf("unknown_manager for %q whose manager_id is %q", p.MemberID, m)
			}
			if !strings.Contains(p.Detail, m) {
				t.Fatalf("detail %q lacks the missing id", p.Detail)
			}
		case ProblemCycle:
			v := p.MemberID
			for range len(last) {
				if v = mgr(v); v == p.MemberID || v == head {
					break
				}
			}
			if v != p.MemberID {
				t.Fatalf("cycle problem for %q, which is not on a cycle", p.MemberID)
			}
		case ProblemOutsideTree:
			if m != "" && !known {
				t.Fatalf("outside_tree for %q, whose manager is unknown", p.MemberID)
			}
		default:
			t.Fatalf("unknown kind %q", p.Kind)
		}
	}
	if len(seen) != len(last) {
		t.Fatalf("%d of %d members accounted for", len(seen), len(last))
	}
}

// FuzzResolve builds a roster from bytes: each pair of bytes is a member
// (id from the first byte, manager from the second: 0 = null, 1 = self, high
// values point outside the roster) so cycles, repeats and dangling managers
// all occur.
func FuzzResolve(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 2, 3}, byte(0))
	f.Add([]byte{5, 1, 6, 5, 7, 250}, byte(5))
	f.Add([]byte{0, 0, 0, 3, 3, 4, 4, 3}, byte(3))
	f.Fuzz(func(t *testing.T, data []byte, head byte) {
		var people []Person
		for i := 0; i+1 < len(data); i += 2 {
			id := fmt.Sprintf("m%d", data[i]%64)
			switch b := data[i+1]; {
			case b == 0:
				people = append(people, rep(id, ""))
			case b == 1:
				people = append(people, rep(id, id))
			case b >= 200:
				people = append(people, rep(id, fmt.Sprintf("gone%d", b)))
			default:
				people = append(people, rep(id, fmt.Sprintf("m%d", b%64)))
			}
		}
		headID := fmt.Sprintf("m%d", head%64)
		if head == 255 {
			headID = ""
		}
		checkPartition(t, people, headID, Resolve(people, headID))
	})
}

func benchRoster(n int, deep bool) []Person {
	people := make([]Person, n)
	for i := range people {
		id := fmt.Sprintf("mem_%06d", i)
		switch {
		case i == 0:
			people[i] = rep(id, "")
		case deep:
			people[i] = rep(id, fmt.Sprintf("mem_%06d", i-1))
		default:
			people[i] = rep(id, fmt.Sprintf("mem_%06d", (i-1)/8)) // 8 reports each
		}
	}
	// Reverse so walks start at the bottom of the chain, the worst case for a
	// naive recursive walk.
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		people[i], people[j] = people[j], people[i]
	}
	return people
}

func TestResolveDeepChain(t *testing.T) {
	people := benchRoster(200_000, true)
	r := Resolve(people, "mem_000000")
	if len(r.Managers) != 200_000-1 || len(r.Problems) != 0 {
		t.Fatalf("%d managers, %d problems", len(r.Managers), len(r.Problems))
	}
}

func BenchmarkResolve200k(b *testing.B) {
	for _, tc := range []struct {
		name string
		deep bool
	}{{"deep_chain", true}, {"wide_tree", false}} {
		people := benchRoster(200_000, tc.deep)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := Resolve(people, "mem_000000")
				if len(r.Problems) != 0 {
					b.Fatal("problems")
				}
			}
		})
	}
}
