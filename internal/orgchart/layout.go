package orgchart

import (
	"math"
	"sort"
	"strings"
)

// Person is one box of the chart.
type Person struct {
	ID         string
	Name       string
	Title      string
	Department string
	ManagerID  string // "" for the head and for people outside the tree
	Status     string // active, on_leave, pending, terminated
	// Problem is the tree problem that keeps the person out of the tree
	// ("" when there is none), e.g. "unknown_manager".
	Problem string
	// Upcoming marks a pre-hire: pending, starting after the chart's date.
	Upcoming bool
}

// Chart is what to draw: the head and everyone else.
type Chart struct {
	Title  string
	HeadID string
	People []Person
}

// Geometry of a box and the gaps between boxes, in SVG user units (px).
const (
	BoxW    = 200
	BoxH    = 58
	gapX    = 24 // between neighbouring subtrees or leaf columns
	gapY    = 48 // between a manager and the row of their reports
	stackY  = 12 // between stacked reports
	indent  = 18 // a stacked column sits this far right of its spine
	maxRows = 12 // reports stacked per column before a new column starts
	margin  = 24
	gridGap = 16
)

// Box is a placed person: the top-left corner of their box.
type Box struct {
	Person
	X, Y float64
}

// Line is a connector, as a polyline.
type Line struct {
	Points [][2]float64
}

// Layout is a placed chart.
type Layout struct {
	Boxes  []Box
	Lines  []Line
	Width  float64
	Height float64
	// OutsideY is where the grid of people outside the tree starts (0: none).
	OutsideY float64
	// Outside counts the people drawn outside the tree.
	Outside int
}

type node struct {
	p        Person
	managers []*node // reports who have reports
	leaves   []*node // reports who have none: stacked
	width    float64 // of the subtree
	height   float64
}

// Place lays the chart out. People whose manager is not in the chart, who
// are not reachable from the head, or who have a problem, go to the grid
// below the tree. The result is deterministic: children are ordered by name,
// then id.
func Place(c Chart) Layout {
	nodes := make(map[string]*node, len(c.People))
	for _, p := range c.People {
		nodes[p.ID] = &node{p: p}
	}
	children := make(map[string][]*node, len(c.People))
	for _, p := range c.People {
		if p.ID == c.HeadID || p.Problem != "" || p.ManagerID == "" {
			continue
		}
		if _, ok := nodes[p.ManagerID]; ok {
			children[p.ManagerID] = append(children[p.ManagerID], nodes[p.ID])
		}
	}
	for _, kids := range children {
		sort.Slice(kids, func(i, j int) bool { return less(kids[i].p, kids[j].p) })
	}

	var l Layout
	placed := make(map[string]bool, len(c.People))
	root := nodes[c.HeadID]
	if root != nil {
		build(root, children, placed)
		wrap := wrapWidth(len(c.People))
		measure(root, wrap)
		l.place(root, margin, margin, wrap)
		l.Width, l.Height = root.width+2*margin, root.height+2*margin
	}

	var outside []Person
	for _, p := range c.People {
		if !placed[p.ID] {
			outside = append(outside, p)
		}
	}
	sort.Slice(outside, func(i, j int) bool {
		if (outside[i].Problem != "") != (outside[j].Problem != "") {
			return outside[i].Problem != ""
		}
		return less(outside[i], outside[j])
	})
	if len(outside) > 0 {
		l.Outside = len(outside)
		// Roughly as wide as the tree, at least 4 and at most 40 columns.
		cols := int((l.Width - 2*margin + gridGap) / (BoxW + gridGap))
		cols = max(4, min(cols, 40))
		top := l.Height
		if top == 0 {
			top = margin
		}
		l.OutsideY = top + 24 // room for the section's heading
		for i, p := range outside {
			x := margin + float64(i%cols)*(BoxW+gridGap)
			y := l.OutsideY + 16 + float64(i/cols)*(BoxH+gridGap)
			l.Boxes = append(l.Boxes, Box{Person: p, X: x, Y: y})
			l.Width = max(l.Width, x+BoxW+margin)
			l.Height = max(l.Height, y+BoxH+margin)
		}
	}
	return l
}

func less(a, b Person) bool {
	an, bn := strings.ToLower(a.Name), strings.ToLower(b.Name)
	if an != bn {
		return an < bn
	}
	return a.ID < b.ID
}

// build splits each manager's reports into managers and stacked leaves,
// visiting each person once (a cycle in bad data cannot loop).
func build(root *node, children map[string][]*node, placed map[string]bool) {
	placed[root.p.ID] = true
	stack := []*node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, k := range children[n.p.ID] {
			if placed[k.p.ID] {
				continue
			}
			placed[k.p.ID] = true
			if len(children[k.p.ID]) > 0 {
				n.managers = append(n.managers, k)
				stack = append(stack, k)
			} else {
				n.leaves = append(n.leaves, k)
			}
		}
	}
}

func leafColumns(n int) (cols, rows int) {
	if n == 0 {
		return 0, 0
	}
	cols = (n + maxRows - 1) / maxRows
	rows = (n + cols - 1) / cols
	return cols, rows
}

// wrapWidth is how wide a manager's reports may spread before the next of
// their subtrees starts a new row below: without it, a company of 10,000 is
// a strip hundreds of screens wide and two high. It grows with the chart, so
// that a big one comes out roughly square rather than one screen wide and
// hundreds high.
func wrapWidth(people int) float64 {
	area := float64(people) * (BoxW + gapX) * (BoxH + stackY) * 2.5
	return max(2400, math.Sqrt(area))
}

// trunk is the room left of wrapped rows for the line that joins them.
const trunk = 16

// group is one thing under a manager: the columns of stacked reports
// (manager nil), or one report's subtree.
type group struct {
	manager *node
	w, h    float64
}

// groups lists what sits under n, and packs it into rows no wider than
// wrapWidth (or the widest group).
func (n *node) groups(wrap float64) (rows [][]group, rowW, rowH []float64) {
	var gs []group
	if cols, rws := leafColumns(len(n.leaves)); cols > 0 {
		gs = append(gs, group{w: float64(cols)*(indent+BoxW) + float64(cols-1)*gapX, h: float64(rws)*(BoxH+stackY) - stackY})
	}
	for _, m := range n.managers {
		gs = append(gs, group{manager: m, w: m.width, h: m.height})
	}
	for _, g := range gs {
		last := len(rows) - 1
		if last < 0 || rowW[last]+gapX+g.w > wrap {
			rows, rowW, rowH = append(rows, nil), append(rowW, -gapX), append(rowH, 0)
			last++
		}
		rows[last] = append(rows[last], g)
		rowW[last] += gapX + g.w
		rowH[last] = max(rowH[last], g.h)
	}
	return rows, rowW, rowH
}

// measure computes each subtree's size, children first (post-order, without
// recursion: a chain of thousands of managers must not exhaust the stack).
func measure(root *node, wrap float64) {
	order := []*node{root}
	for i := 0; i < len(order); i++ {
		order = append(order, order[i].managers...)
	}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		rows, rowW, rowH := n.groups(wrap)
		w, h := 0.0, 0.0
		for r := range rows {
			w = max(w, rowW[r])
			h += gapY + rowH[r]
		}
		if len(rows) > 1 {
			w += trunk
		}
		n.width, n.height = max(BoxW, w), BoxH+h
	}
}

// place puts the subtree of root with its top-left corner at (x0, y0).
func (l *Layout) place(root *node, x0, y0, wrap float64) {
	type item struct {
		n    *node
		x, y float64
	}
	work := []item{{root, x0, y0}}
	for len(work) > 0 {
		it := work[len(work)-1]
		work = work[:len(work)-1]
		n := it.n
		bx := it.x + (n.width-BoxW)/2
		l.Boxes = append(l.Boxes, Box{Person: n.p, X: bx, Y: it.y})
		rows, rowW, rowH := n.groups(wrap)
		if len(rows) == 0 {
			continue
		}
		px, py := bx+BoxW/2, it.y+BoxH // the manager's bottom centre
		span := 0.0
		for _, w := range rowW {
			span = max(span, w)
		}
		left := it.x + (n.width-span)/2
		trunkX := 0.0
		if len(rows) > 1 {
			left = it.x + trunk
			trunkX = it.x + trunk/2
		}
		top := py
		var firstBus, lastBus float64
		for r, row := range rows {
			bus := top + gapY/2
			cy := top + gapY
			if r == 0 {
				firstBus = bus
			}
			lastBus = bus
			cx := left
			if len(rows) == 1 {
				cx = left + (span-rowW[r])/2
			}
			for _, g := range row {
				from := trunkX
				if len(rows) == 1 {
					from = px
				}
				if g.manager == nil {
					l.Lines = append(l.Lines, Line{Points: [][2]float64{{from, bus}, {cx + indent/2, bus}}})
					l.stackLeaves(n, cx, bus, cy)
				} else {
					mx := cx + g.w/2
					l.Lines = append(l.Lines, Line{Points: [][2]float64{{from, bus}, {mx, bus}, {mx, cy}}})
					work = append(work, item{g.manager, cx, cy})
				}
				cx += g.w + gapX
			}
			top = cy + rowH[r]
		}
		if len(rows) == 1 {
			l.Lines = append(l.Lines, Line{Points: [][2]float64{{px, py}, {px, firstBus}}})
		} else {
			l.Lines = append(l.Lines, Line{Points: [][2]float64{{px, py}, {px, firstBus}, {trunkX, firstBus}, {trunkX, lastBus}}})
		}
	}
}

// stackLeaves draws n's reports who manage nobody in columns from x, joined
// to the bus at y=bus, the first one's top at cy.
func (l *Layout) stackLeaves(n *node, x, bus, cy float64) {
	cols, rows := leafColumns(len(n.leaves))
	for c := 0; c < cols; c++ {
		spine := x + indent/2
		last := bus
		for r := 0; r < rows; r++ {
			i := c*rows + r
			if i >= len(n.leaves) {
				break
			}
			y := cy + float64(r)*(BoxH+stackY)
			l.Boxes = append(l.Boxes, Box{Person: n.leaves[i].p, X: x + indent, Y: y})
			l.Lines = append(l.Lines, Line{Points: [][2]float64{{spine, y + BoxH/2}, {x + indent, y + BoxH/2}}})
			last = y + BoxH/2
		}
		l.Lines = append(l.Lines, Line{Points: [][2]float64{{spine, bus}, {spine, last}}})
		x += indent + BoxW + gapX
	}
}
