package console

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/rostersync/rostersync/internal/store"
)

func person(id, name, manager, status string) store.ExportPerson {
	p := store.ExportPerson{ID: id, DisplayName: name, Status: status}
	if manager != "" {
		p.ManagerID = &manager
	}
	return p
}

func TestBuildChart(t *testing.T) {
	head := "h"
	ex := store.Export{HeadID: &head, People: []store.ExportPerson{
		person("h", "Ada Head", "", "active"),
		person("m", "Max Gone", "h", "terminated"), // left, but still manages Zoë
		person("z", "Zoë Report", "m", "active"),
		person("l", "Lee Left", "h", "terminated"), // left, manages nobody: hidden
		person("c", "Cy Cycle", "", "active"),      // a problem: no manager stored
	}, Problems: []store.ExportProblem{{MemberID: "c", Kind: "cycle", Detail: "c → d → c"}}}

	d := buildChart(ex, "zoe")
	if d.Root == nil || d.Root.ID != "h" || len(d.Root.Children) != 1 || d.Root.Children[0].ID != "m" {
		t.Fatalf("root: %+v", d.Root)
	}
	m := d.Root.Children[0]
	if len(m.Children) != 1 || m.Children[0].ID != "z" || !m.Children[0].Match || !m.Open || !d.Root.Open {
		t.Errorf("the match is not under its (terminated) manager with the branch open: %+v", m)
	}
	if d.People != 4 || d.Left != 1 || d.Problems != 1 || d.Root.Reports != 2 {
		t.Errorf("people %d, left %d, problems %d, reports %d", d.People, d.Left, d.Problems, d.Root.Reports)
	}
	if len(d.Outside) != 1 || d.Outside[0].ID != "c" || d.Outside[0].Problem == "" {
		t.Errorf("outside: %+v", d.Outside)
	}
	if len(d.Matches) != 1 || d.Matches[0].ID != "z" {
		t.Errorf("matches: %+v (search ignores accents and case)", d.Matches)
	}
}

// TestChartOfFiveThousand renders a 5,000-person chart through the real
// template and reports its size and time (a figure, not a timed assertion).
func TestChartOfFiveThousand(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	head := "p0"
	ex := store.Export{HeadID: &head}
	for i := 0; i < 5000; i++ {
		mgr := ""
		if i > 0 {
			mgr = fmt.Sprintf("p%d", (i-1)/7) // seven reports each, five levels deep
		}
		ex.People = append(ex.People, person(fmt.Sprintf("p%d", i), fmt.Sprintf("Person %04d", i), mgr, "active"))
	}
	start := time.Now()
	d := buildChart(ex, "Person 4999")
	var buf bytes.Buffer
	if err := pages["chart"].ExecuteTemplate(&buf, "layout.html", view{Title: "Org chart", Org: &orgView{ID: "acme"}, Data: d}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if d.People != 5000 || len(d.Matches) != 1 {
		t.Fatalf("people %d, matches %d", d.People, len(d.Matches))
	}
	if !bytes.Contains(buf.Bytes(), []byte(`id="p-p4999" class="match"`)) {
		t.Fatal("the match is not marked in the page")
	}
	t.Logf("5,000 people: %d KB of HTML in %s", buf.Len()/1024, took.Round(time.Millisecond))
}
