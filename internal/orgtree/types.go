package orgtree

import (
	"fmt"
	"strconv"
	"strings"
)

// Person is the part of a member the tree needs.
type Person struct {
	ID            string
	GivenName     string
	FamilyName    string
	PreferredName *string
	ManagerID     *string
	Status        string
}

// Problem kinds, one row per affected member.
const (
	ProblemCycle          = "cycle"
	ProblemUnknownManager = "unknown_manager"
	ProblemOutsideTree    = "outside_tree"
)

// Problem is a member whose reporting line cannot be stored as sent.
type Problem struct {
	MemberID string
	Kind     string
	Detail   string
}

// Result is a resolved tree: the manager to store for each member (absent = null)
// and the problems found.
type Result struct {
	Managers map[string]string
	Problems []Problem
}

// HeadNotFoundError: no active member matches the configured head name.
type HeadNotFoundError struct {
	Name    string
	Closest []string
}

func (e *HeadNotFoundError) Error() string {
	closest := "none"
	if len(e.Closest) > 0 {
		quoted := make([]string, len(e.Closest))
		for i, n := range e.Closest {
			quoted[i] = strconv.Quote(n)
		}
		closest = strings.Join(quoted, ", ")
	}
	return fmt.Sprintf("no active member is named %q (closest: %s); fix the head name with `starter org set --head`", e.Name, closest)
}

// AmbiguousHeadError: several active members match the configured head name.
type AmbiguousHeadError struct {
	Name string
	IDs  []string
}

func (e *AmbiguousHeadError) Error() string {
	return fmt.Sprintf("%d active members are named %q (ids %v); make the head name unique in Justworks or in `starter org set --head`", len(e.IDs), e.Name, e.IDs)
}
