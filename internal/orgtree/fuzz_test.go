package orgtree

import (
	"fmt"
	"testing"
)

// peopleFrom turns fuzz bytes into a roster: three bytes per person (id,
// manager, status); manager ids may point outside the roster or be absent,
// ids may repeat (later copies win), and cycles of any length happen.
func peopleFrom(data []byte) []Person {
	statuses := []string{"active", "terminated", "pending", "on_leave", "suspended", ""}
	n := len(data) / 3
	people := make([]Person, 0, n)
	for i := 0; i+2 < len(data); i += 3 {
		p := Person{ID: fmt.Sprintf("m%d", int(data[i])%(n+1)), GivenName: "G", FamilyName: fmt.Sprint(i), Status: statuses[int(data[i+2])%len(statuses)]}
		if m := int(data[i+1]); m%7 != 0 {
			id := fmt.Sprintf("m%d", m%(n+3))
			p.ManagerID = &id
		}
		people = append(people, p)
	}
	return people
}

// FuzzResolveStoredTree: whatever the roster (cycles, unknown managers, duplicates, an
// absent head), Resolve returns, stores only managers from the roster, never
// a reporting cycle, never a manager for the head, and at most one problem
// per member.
func FuzzResolveStoredTree(f *testing.F) {
	f.Add([]byte{0, 0, 1}, uint8(0))
	f.Add([]byte{1, 2, 1, 2, 1, 1}, uint8(1))                   // two members managing each other
	f.Add([]byte{0, 7, 1, 1, 0, 1, 2, 1, 1, 3, 9, 1}, uint8(0)) // a chain and an unknown manager
	f.Add([]byte{5, 5, 1, 5, 1, 1, 1, 5, 0}, uint8(5))          // duplicates, self-manager
	f.Fuzz(func(t *testing.T, data []byte, head uint8) {
		if len(data) > 3*400 {
			data = data[:3*400]
		}
		people := peopleFrom(data)
		headID := fmt.Sprintf("m%d", int(head)%(len(people)+1))
		res := Resolve(people, headID)
		ids := map[string]bool{}
		for _, p := range people {
			ids[p.ID] = true
		}
		for m, mgr := range res.Managers {
			if !ids[m] || !ids[mgr] {
				t.Fatalf("manager %s of %s: not both in the roster", mgr, m)
			}
			if m == headID {
				t.Fatalf("the head %s got manager %s", m, mgr)
			}
		}
		for m := range res.Managers {
			seen := map[string]bool{}
			for cur, ok := m, true; ok; cur, ok = res.Managers[cur] {
				if seen[cur] {
					t.Fatalf("stored managers form a cycle through %s", cur)
				}
				seen[cur] = true
			}
		}
		problems := map[string]bool{}
		for _, p := range res.Problems {
			if !ids[p.MemberID] || problems[p.MemberID] || p.Kind == "" {
				t.Fatalf("problem %+v: unknown member, repeated or without kind", p)
			}
			problems[p.MemberID] = true
		}
	})
}
