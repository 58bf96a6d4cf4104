package orgtree

import (
	"fmt"
	"sort"
	"strings"
)

// maxCycleIDs caps how many ids a cycle problem's detail lists.
const maxCycleIDs = 10

// How a chain ends, for the members on it.
const (
	endHead    = iota + 1 // reaches the head
	endRoot               // at a member with no manager_id that is not the head
	endUnknown            // at a member whose manager_id is not in the roster
	endCycle              // runs into (or lies on) a reporting cycle
)

// node is one distinct member during Resolve.
type node struct {
	id      string
	manager string // "" = none
	next    int    // index of the manager in the roster, -1 when none or unknown
	end     int    // endHead..endCycle once known, 0 before
	at      int    // the member the chain ends at (for endCycle: where it enters the cycle)
	onCycle bool
	cycle   int // length of the cycle the member is on
}

// Resolve decides each member's stored manager and the tree problems; see the
// package documentation for the rules. It runs in O(n) (plus sorting) without
// recursion, so 200,000-deep chains are fine, and never panics.
func Resolve(people []Person, headID string) Result {
	people, index := lastCopies(people)
	nodes := make([]node, len(people))
	head := -1
	if i, ok := index[headID]; ok && headID != "" {
		head = i
	}
	for i, p := range people {
		n := node{id: p.ID, next: -1}
		if p.ManagerID != nil {
			n.manager = *p.ManagerID
		}
		if j, ok := index[n.manager]; ok && n.manager != "" {
			n.next = j
		}
		nodes[i] = n
	}

	// Walk each chain once: members on the current path are marked, and when the
	// walk stops (at a head, a dead end, a member already decided or a member on
	// this very path) the path is decided from its end backwards.
	const onPath = -1
	var path []int
	for start := range nodes {
		if nodes[start].end != 0 {
			continue
		}
		path = path[:0]
		v := start
		end, at := 0, 0
		for {
			if nodes[v].end == onPath {
				// A cycle: v and the members after it on the path.
				k := len(path) - 1
				for path[k] != v {
					k--
				}
				for _, c := range path[k:] {
					nodes[c].end, nodes[c].at, nodes[c].onCycle = endCycle, c, true
					nodes[c].cycle = len(path) - k
				}
				path = path[:k]
				end, at = endCycle, v
				break
			}
			if nodes[v].end != 0 {
				end, at = nodes[v].end, nodes[v].at
				if nodes[v].onCycle {
					at = v
				}
				break
			}
			nodes[v].end = onPath
			path = append(path, v)
			if v == head {
				end, at = endHead, v
				break
			}
			if nodes[v].next < 0 {
				end, at = endRoot, v
				if nodes[v].manager != "" {
					end = endUnknown
				}
				break
			}
			v = nodes[v].next
		}
		for _, c := range path {
			nodes[c].end, nodes[c].at = end, at
		}
	}

	res := Result{Managers: make(map[string]string, len(nodes))}
	for i := range nodes {
		n := &nodes[i]
		if i == head {
			continue
		}
		if n.end == endHead {
			res.Managers[n.id] = n.manager
			continue
		}
		res.Problems = append(res.Problems, problemFor(nodes, i))
	}
	sort.Slice(res.Problems, func(i, j int) bool { return res.Problems[i].MemberID < res.Problems[j].MemberID })
	return res
}

// problemFor describes why member i cannot be stored under its manager.
func problemFor(nodes []node, i int) Problem {
	n := &nodes[i]
	switch {
	case n.onCycle:
		return Problem{MemberID: n.id, Kind: ProblemCycle, Detail: cycleDetail(nodes, i)}
	case n.manager != "" && n.next < 0:
		return Problem{MemberID: n.id, Kind: ProblemUnknownManager,
			Detail: fmt.Sprintf("manager %s is not in the roster", n.manager)}
	case n.manager == "":
		return Problem{MemberID: n.id, Kind: ProblemOutsideTree,
			Detail: "has no manager and is not the head (a second root)"}
	}
	end := &nodes[n.at]
	var why string
	switch n.end {
	case endRoot:
		why = fmt.Sprintf("whose chain ends at %s (no manager) without reaching the head", end.id)
	case endUnknown:
		why = fmt.Sprintf("whose chain ends at %s, whose manager %s is not in the roster", end.id, end.manager)
	default:
		why = fmt.Sprintf("whose chain runs into a reporting cycle at %s without reaching the head", end.id)
	}
	return Problem{MemberID: n.id, Kind: ProblemOutsideTree, Detail: fmt.Sprintf("reports to %s, %s", n.manager, why)}
}

// cycleDetail lists the cycle through member i, starting at i, capped at
// maxCycleIDs ids.
func cycleDetail(nodes []node, i int) string {
	size := nodes[i].cycle
	ids := []string{nodes[i].id}
	for v := nodes[i].next; v != i && v >= 0 && len(ids) < min(size, maxCycleIDs); v = nodes[v].next {
		ids = append(ids, nodes[v].id)
	}
	if size == 1 {
		return fmt.Sprintf("is their own manager (%s → %s)", ids[0], ids[0])
	}
	chain := strings.Join(ids, " → ")
	if size > len(ids) {
		return fmt.Sprintf("on a reporting cycle of %d members: %s → … (%d more)", size, chain, size-len(ids))
	}
	return fmt.Sprintf("on a reporting cycle of %d members: %s → %s", size, chain, ids[0])
}
