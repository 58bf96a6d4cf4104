package orgtree

import (
	"sort"
)

// StatusActive is the only status eligible to be the head.
const StatusActive = "active"

// maxClosest is how many near misses a HeadNotFoundError suggests.
const maxClosest = 3

// FindHead returns the id of the one active member whose display name, or
// given + family name, matches name under Normalize. No match is a
// *HeadNotFoundError (with up to three closest active display names by edit
// distance), several are an *AmbiguousHeadError (ids sorted).
func FindHead(people []Person, name string) (string, error) {
	people, _ = lastCopies(people)
	want := Normalize(name)
	if want == "" {
		return "", &HeadNotFoundError{Name: name}
	}
	// Both normalized forms of each active member, computed once for the match
	// and, when nothing matches, for the suggestions.
	type cand struct {
		id, display string
		forms       [2]string
	}
	cands := make([]cand, 0, len(people))
	var ids []string
	for _, p := range people {
		if p.Status != StatusActive {
			continue
		}
		dn := DisplayName(p.GivenName, p.FamilyName, p.PreferredName)
		c := cand{id: p.ID, display: dn, forms: [2]string{Normalize(dn), Normalize(p.GivenName + " " + p.FamilyName)}}
		if c.forms[0] == want || c.forms[1] == want {
			ids = append(ids, p.ID)
		}
		cands = append(cands, c)
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		// Up to maxClosest distinct display names, nearest first (ties by
		// name), by edit distance between normalized forms; a member counts
		// with the nearer of its two forms.
		wr := []rune(want)
		var top nearest
		for _, c := range cands {
			d := top.distance(wr, c.forms[0])
			if c.forms[1] != c.forms[0] {
				d = min(d, top.distance(wr, c.forms[1]))
			}
			top.offer(c.display, d)
		}
		var names []string
		for _, n := range top.list {
			names = append(names, n.name)
		}
		return "", &HeadNotFoundError{Name: name, Closest: names}
	}
	sort.Strings(ids)
	return "", &AmbiguousHeadError{Name: name, IDs: ids}
}

// nearest keeps the maxClosest distinct names with the smallest distance
// (ties by name), nearest first, plus scratch rows for editDistance.
type nearest struct {
	list      []scored
	prev, cur []int
}

type scored struct {
	name string
	dist int
}

func (n *nearest) offer(name string, d int) {
	for i := range n.list {
		if n.list[i].name == name {
			if d >= n.list[i].dist {
				return
			}
			n.list = append(n.list[:i], n.list[i+1:]...)
			break
		}
	}
	i := len(n.list)
	for i > 0 && (d < n.list[i-1].dist || d == n.list[i-1].dist && name < n.list[i-1].name) {
		i--
	}
	if i >= maxClosest {
		return
	}
	n.list = append(n.list, scored{})
	copy(n.list[i+1:], n.list[i:])
	n.list[i] = scored{name, d}
	if len(n.list) > maxClosest {
		n.list = n.list[:maxClosest]
	}
}

// distance is the edit distance from want to s, or a value too large to
// make the list when the lengths alone rule s out.
func (n *nearest) distance(want []rune, s string) int {
	b := []rune(s)
	if len(n.list) == maxClosest {
		if diff := len(want) - len(b); diff > n.list[maxClosest-1].dist || -diff > n.list[maxClosest-1].dist {
			return max(len(want), len(b)) + 1
		}
	}
	if cap(n.prev) < len(b)+1 {
		n.prev, n.cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	return editDistance(want, b, n.prev[:len(b)+1], n.cur[:len(b)+1])
}

// editDistance is the Levenshtein distance between a and b, in runes; prev
// and cur are scratch rows of len(b)+1.
func editDistance(a, b []rune, prev, cur []int) int {
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// lastCopies drops earlier copies of a repeated id, keeping the position of
// the first copy and the contents of the last. It also returns each id's index
// in the result.
func lastCopies(people []Person) ([]Person, map[string]int) {
	at := make(map[string]int, len(people))
	out := make([]Person, 0, len(people))
	for _, p := range people {
		if i, ok := at[p.ID]; ok {
			out[i] = p
			continue
		}
		at[p.ID] = len(out)
		out = append(out, p)
	}
	return out, at
}
