package orgchart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// company builds a seeded company of n people: a head, managers with 2 to 9
// reports, and a few people outside the tree.
func company(n int, seed int64) Chart {
	rng := rand.New(rand.NewSource(seed))
	c := Chart{Title: "Acme", HeadID: "p0"}
	c.People = append(c.People, Person{ID: "p0", Name: "Ada Head", Title: "CEO", Department: "Office", Status: "active"})
	managers := []string{"p0"}
	for i := 1; i < n; i++ {
		p := Person{ID: fmt.Sprintf("p%d", i), Name: fmt.Sprintf("Person %05d", i), Title: "Engineer", Department: "Eng", Status: "active"}
		switch {
		case i%97 == 0:
			p.Problem = "unknown_manager" // outside the tree
		case i%53 == 0:
			p.Status = "terminated"
			p.ManagerID = managers[rng.Intn(len(managers))]
		default:
			p.ManagerID = managers[rng.Intn(len(managers))]
		}
		if i%41 == 0 {
			p.Status, p.Upcoming = "pending", true
		}
		c.People = append(c.People, p)
		if p.Problem == "" && rng.Intn(6) == 0 {
			managers = append(managers, p.ID)
		}
	}
	return c
}

// checkLayout: everyone once, no two boxes overlap, every report below
// their manager, and the layout inside its size.
func checkLayout(t *testing.T, c Chart, l Layout) {
	t.Helper()
	if len(l.Boxes) != len(c.People) {
		t.Fatalf("%d boxes for %d people", len(l.Boxes), len(c.People))
	}
	at := map[string]Box{}
	for _, b := range l.Boxes {
		if _, dup := at[b.ID]; dup {
			t.Fatalf("%s drawn twice", b.ID)
		}
		at[b.ID] = b
		if b.X < 0 || b.Y < 0 || b.X+BoxW > l.Width || b.Y+BoxH > l.Height {
			t.Fatalf("%s at (%.0f,%.0f) is outside the %.0f×%.0f chart", b.ID, b.X, b.Y, l.Width, l.Height)
		}
	}
	// Overlaps, through a grid of box-sized cells.
	type cell struct{ x, y int }
	grid := map[cell][]Box{}
	for _, b := range l.Boxes {
		k := cell{int(b.X / BoxW), int(b.Y / BoxH)}
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				for _, o := range grid[cell{k.x + dx, k.y + dy}] {
					if b.X < o.X+BoxW && o.X < b.X+BoxW && b.Y < o.Y+BoxH && o.Y < b.Y+BoxH {
						t.Fatalf("%s (%.0f,%.0f) overlaps %s (%.0f,%.0f)", b.ID, b.X, b.Y, o.ID, o.X, o.Y)
					}
				}
			}
		}
		grid[k] = append(grid[k], b)
	}
	inTree := 0
	for _, p := range c.People {
		if p.ManagerID == "" || p.Problem != "" {
			continue
		}
		m, b := at[p.ManagerID], at[p.ID]
		if b.Y >= l.OutsideY && l.OutsideY > 0 {
			t.Fatalf("%s has a manager in the chart but is drawn outside the tree", p.ID)
		}
		if b.Y <= m.Y {
			t.Fatalf("%s is not below their manager %s", p.ID, p.ManagerID)
		}
		inTree++
	}
	if l.Outside+inTree+1 != len(c.People) {
		t.Fatalf("outside %d + in tree %d + head != %d", l.Outside, inTree, len(c.People))
	}
}

func TestLayoutOfAFewHundred(t *testing.T) {
	c := company(300, 7)
	l := Place(c)
	checkLayout(t, c, l)
	if l.Outside != 3 {
		t.Errorf("outside = %d, want the 3 problem people", l.Outside)
	}
	// Readable: not wider than a few screens for 300 people.
	if l.Width > 8000 {
		t.Errorf("300 people are %.0f px wide", l.Width)
	}
	t.Logf("300 people: %.0f × %.0f px", l.Width, l.Height)
}

func TestLayoutOfTenThousand(t *testing.T) {
	c := company(10000, 11)
	start := time.Now()
	l := Place(c)
	var svg bytes.Buffer
	if err := WriteSVG(&svg, c); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	checkLayout(t, c, l)
	if n := strings.Count(svg.String(), `<g id="p-`); n != 10000 {
		t.Fatalf("the SVG has %d boxes", n)
	}
	wellFormed(t, svg.Bytes())
	t.Logf("10,000 people: %.0f × %.0f px, %d KB of SVG, layout and SVG in %s", l.Width, l.Height, svg.Len()/1024, took)
}

// A deep chain (a manager with one manager report, 5,000 deep) lays out
// without recursion.
func TestLayoutOfADeepChain(t *testing.T) {
	c := Chart{HeadID: "p0", People: []Person{{ID: "p0", Name: "Head"}}}
	for i := 1; i < 5000; i++ {
		c.People = append(c.People, Person{ID: fmt.Sprintf("p%d", i), Name: "x", ManagerID: fmt.Sprintf("p%d", i-1)})
	}
	checkLayout(t, c, Place(c))
}

func wellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
	}
}

func TestSVGEscapesAndHighlights(t *testing.T) {
	c := Chart{Title: `Acme <Test> & "Co"`, HeadID: "h", People: []Person{
		{ID: "h", Name: "Ada <script>alert(1)</script>", Title: "CEO & founder", Status: "active"},
		{ID: "a", Name: "Bob\x00\x07 O'Brien", ManagerID: "h", Status: "terminated"},
		{ID: "b", Name: "Cycle Person", Problem: "cycle"},
		{ID: "c", Name: "New Hire", ManagerID: "h", Status: "pending", Upcoming: true},
	}}
	var out bytes.Buffer
	if err := WriteSVG(&out, c); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	wellFormed(t, out.Bytes())
	for _, want := range []string{"Ada &lt;script&gt;", "CEO &amp; founder", "O&#39;Brien", `class="box problem"`, ">cycle<",
		`class="box head"`, `class="box terminated"`, `class="box upcoming"`, "Not in the tree (1)", "Acme &lt;Test&gt; &amp; &quot;Co&quot;"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Contains(s, "<script>") {
		t.Error("a name reached the SVG unescaped")
	}
}

func TestDOT(t *testing.T) {
	c := company(200, 3)
	var out bytes.Buffer
	if err := WriteDOT(&out, c); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	inTree := 0
	for _, p := range c.People {
		if p.ManagerID != "" && p.Problem == "" {
			inTree++
		}
	}
	if n := strings.Count(s, " -> "); n != inTree {
		t.Errorf("%d edges, want %d", n, inTree)
	}
	if !strings.HasPrefix(s, "digraph orgchart {") || !strings.HasSuffix(s, "}\n") || !strings.Contains(s, "color=red") {
		t.Errorf("unexpected DOT:\n%.400s", s)
	}
	var q bytes.Buffer
	_ = WriteDOT(&q, Chart{People: []Person{{ID: `x"y`, Name: "a\\b\nc"}}})
	if !strings.Contains(q.String(), `"x\"y" [label="a\\b\nc"]`) {
		t.Errorf("DOT quoting: %s", q.String())
	}
}
