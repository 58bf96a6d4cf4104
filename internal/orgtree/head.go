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
	var ids []string
	for _, p := range people {
		if p.Status != StatusActive {
			continue
		}
		if Normalize(DisplayName(p.GivenName, p.FamilyName, p.PreferredName)) == want ||
			Normalize(p.GivenName+" "+p.FamilyName) == want {
			ids = append(ids, p.ID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return "", &HeadNotFoundError{Name: name, Closest: closest(people, want)}
	}
	sort.Strings(ids)
	return "", &AmbiguousHeadError{Name: name, IDs: ids}
}

// closest returns up to maxClosest distinct display names of active members,
// nearest first (ties by name), by edit distance between normalized forms; a
// member counts with the nearer of its display name and given + family name.
func closest(people []Person, want string) []string {
	type cand struct {
		name string
		dist int
	}
	wr := []rune(want)
	best := map[string]int{}
	for _, p := range people {
		if p.Status != StatusActive {
			continue
		}
		dn := DisplayName(p.GivenName, p.FamilyName, p.PreferredName)
		d := editDistance(wr, []rune(Normalize(dn)))
		if d2 := editDistance(wr, []rune(Normalize(p.GivenName+" "+p.FamilyName))); d2 < d {
			d = d2
		}
		if old, ok := best[dn]; !ok || d < old {
			best[dn] = d
		}
	}
	cs := make([]cand, 0, len(best))
	for n, d := range best {
		cs = append(cs, cand{n, d})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].dist != cs[j].dist {
			return cs[i].dist < cs[j].dist
		}
		return cs[i].name < cs[j].name
	})
	if len(cs) > maxClosest {
		cs = cs[:maxClosest]
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
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
