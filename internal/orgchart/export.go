package orgchart

import (
	"time"

	"github.com/rostersync/rostersync/internal/store"
)

// FromExport is the chart of a stored org chart (store.Export) as of a day:
// everyone but removed people, the head's tree, tree problems highlighted,
// and pending people whose start date is after asOf marked upcoming.
func FromExport(x store.Export, title string, asOf time.Time) Chart {
	c := Chart{Title: title}
	if x.HeadID != nil {
		c.HeadID = *x.HeadID
	}
	problems := make(map[string]string, len(x.Problems))
	for _, p := range x.Problems {
		if _, seen := problems[p.MemberID]; !seen {
			problems[p.MemberID] = p.Kind
		}
	}
	day := asOf.Format(time.DateOnly)
	for _, p := range x.People {
		if p.Status == "removed" {
			continue
		}
		cp := Person{ID: p.ID, Name: p.DisplayName, Title: str(p.JobTitle), Department: str(p.Department),
			ManagerID: str(p.ManagerID), Status: p.Status, Problem: problems[p.ID]}
		cp.Upcoming = p.Status == "pending" && p.StartDate != nil && *p.StartDate > day
		c.People = append(c.People, cp)
	}
	return c
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
