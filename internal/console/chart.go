package console

import (
	"net/http"
	"sort"
	"strings"

	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/store"
)

// The org chart: the stored tree from the head, as nested <details> (open
// and close without JavaScript), searched on the server: matches are marked
// and the branches above them opened. A few thousand people render in one
// page of plain HTML.

// maxMatches bounds the list of search results above the chart.
const maxMatches = 50

type chartNode struct {
	ID, Name, Title, Department, Status string
	Problem                             string
	Children                            []*chartNode
	Reports                             int // everyone below
	Open, Match                         bool
}

type chartData struct {
	Query       string
	Root        *chartNode
	Outside     []*chartNode // not under the head: tree problems, or no manager
	Matches     []*chartNode
	MoreMatch   int
	People      int
	Left        int // terminated or removed, not shown
	Problems    int
	NeverSynced bool
}

// inChart says whether a person is on the current chart.
func inChart(status string) bool { return status != "terminated" && status != "removed" }

func (s *Server) chartPage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	ex, err := s.Store.Export(r.Context(), oc.org.ID)
	if err != nil {
		s.internalError(w, r, "read the org chart", err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := buildChart(ex, q)
	s.render(w, r, http.StatusOK, "chart", view{Title: "Org chart", Nav: "chart", Org: oc.view, Data: d})
}

func buildChart(ex store.Export, q string) chartData {
	d := chartData{Query: q, NeverSynced: ex.HeadID == nil && len(ex.People) == 0}
	problems := map[string]string{}
	for _, p := range ex.Problems {
		problems[p.MemberID] = strings.ReplaceAll(p.Kind, "_", " ") + ": " + p.Detail
	}
	nodes := map[string]*chartNode{}
	var all []*chartNode
	managers := map[string]string{}
	for _, p := range ex.People {
		n := &chartNode{ID: p.ID, Name: p.DisplayName, Status: p.Status, Problem: problems[p.ID]}
		if p.JobTitle != nil {
			n.Title = *p.JobTitle
		}
		if p.Department != nil {
			n.Department = *p.Department
		}
		nodes[p.ID] = n
		all = append(all, n)
		if p.ManagerID != nil {
			managers[p.ID] = *p.ManagerID
		}
	}
	parent := map[*chartNode]*chartNode{}
	var tops []*chartNode
	for _, n := range all {
		m, ok := nodes[managers[n.ID]]
		switch {
		case ex.HeadID != nil && n.ID == *ex.HeadID:
			d.Root = n
		case ok && m != n:
			m.Children = append(m.Children, n)
			parent[n] = m
		default:
			tops = append(tops, n)
		}
	}
	// People who left stay only where they still anchor a team (a
	// terminated manager keeps their reports under them, as stored).
	var prune func(n *chartNode) bool
	prune = func(n *chartNode) bool {
		kept := n.Children[:0]
		for _, c := range n.Children {
			if prune(c) {
				kept = append(kept, c)
			}
		}
		n.Children = kept
		keep := inChart(n.Status) || len(kept) > 0 || n == d.Root
		if !keep {
			d.Left++
		}
		return keep
	}
	var order []*chartNode
	if d.Root != nil {
		prune(d.Root)
	}
	for _, n := range tops {
		if prune(n) {
			d.Outside = append(d.Outside, n)
		}
	}
	var walk func(n *chartNode)
	walk = func(n *chartNode) {
		order = append(order, n)
		if n.Problem != "" {
			d.Problems++
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	if d.Root != nil {
		walk(d.Root)
	}
	for _, n := range d.Outside {
		walk(n)
	}
	d.People = len(order)
	var sortKids func(n *chartNode) int
	sortKids = func(n *chartNode) int {
		sort.Slice(n.Children, func(i, j int) bool { return n.Children[i].Name < n.Children[j].Name })
		for _, c := range n.Children {
			n.Reports += 1 + sortKids(c)
		}
		return n.Reports
	}
	if d.Root != nil {
		sortKids(d.Root)
		d.Root.Open = true
	}
	sort.Slice(d.Outside, func(i, j int) bool { return d.Outside[i].Name < d.Outside[j].Name })
	for _, n := range d.Outside {
		sortKids(n)
	}
	if q != "" {
		want := orgtree.Normalize(q)
		for _, n := range order {
			hay := orgtree.Normalize(n.Name + " " + n.Title + " " + n.Department)
			if !strings.Contains(hay, want) {
				continue
			}
			n.Match = true
			for p := parent[n]; p != nil; p = parent[p] {
				p.Open = true
			}
			if len(d.Matches) < maxMatches {
				d.Matches = append(d.Matches, n)
			} else {
				d.MoreMatch++
			}
		}
		sort.Slice(d.Matches, func(i, j int) bool { return d.Matches[i].Name < d.Matches[j].Name })
	}
	return d
}
