package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"sort"
	"testing"

	"github.com/rostersync/rostersync/internal/justworks"
)

func TestExportNeverSynced(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	if got, want := exportJSON(t, s, "acme"), `{"org":"acme","head_id":null,"people":[],"problems":[]}`; got != want {
		t.Errorf("export = %s, want %s", got, want)
	}
	if _, err := s.Export(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("export of a missing org: %v", err)
	}
	var buf bytes.Buffer
	if err := s.ExportCSV(ctx, "acme", &buf); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "id,display_name,given_name,family_name,preferred_name,work_email,job_title,department,manager_id,employment_type,status,start_date,termination_date,location\n" {
		t.Errorf("CSV = %q", got)
	}
}

func TestExportShape(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	bare := justworks.Member{ID: "mem_a", GivenName: "Zoë", FamilyName: "Ng", EmploymentType: justworks.EmploymentContractor,
		Status: justworks.StatusActive, ManagerID: ptr("mem_B")}
	members := []justworks.Member{
		bare,
		member("mem_B", "Ada", "Lovelace", func(m *justworks.Member) { m.PreferredName = ptr("Countess") }),
		member("mem_10", "Grace", "Hopper", managedBy("mem_B"), func(m *justworks.Member) {
			m.WorkLocation = &justworks.Location{City: "Arlington", State: "VA", Country: "US"}
			m.Department = &justworks.Department{ID: "dep_navy"}
		}),
		member("mem_9", "Alan", "Turing", managedBy("mem_gone")),
	}
	// Staged head first (the helper's head), in any order.
	members[0], members[1] = members[1], members[0]
	syncRoster(t, s, "acme", "run-1", members, 0)

	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(exportJSON(t, s, "acme")), &doc); err != nil {
		t.Fatal(err)
	}
	if string(doc["org"]) != `"acme"` || string(doc["head_id"]) != `"mem_B"` {
		t.Errorf("org %s head_id %s", doc["org"], doc["head_id"])
	}
	var people []map[string]any
	if err := json.Unmarshal(doc["people"], &people); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range people {
		ids = append(ids, p["id"].(string))
		if len(p) != len(ExportColumns) {
			t.Errorf("%s has %d keys, want %d", p["id"], len(p), len(ExportColumns))
		}
		for _, k := range ExportColumns {
			if _, ok := p[k]; !ok {
				t.Errorf("%s has no key %q", p["id"], k)
			}
		}
	}
	// Byte order of ids, not a locale's.
	if !sort.StringsAreSorted(ids) || ids[0] != "mem_10" || ids[1] != "mem_9" || ids[2] != "mem_B" || ids[3] != "mem_a" {
		t.Errorf("people ids %v, want byte order", ids)
	}
	byID := map[string]map[string]any{}
	for _, p := range people {
		byID[p["id"].(string)] = p
	}
	tests := []struct {
		id, key string
		want    any
	}{
		{"mem_a", "display_name", "Zoë Ng"},
		{"mem_a", "preferred_name", nil},
		{"mem_a", "work_email", nil},
		{"mem_a", "job_title", nil},
		{"mem_a", "department", nil},
		{"mem_a", "manager_id", "mem_B"},
		{"mem_a", "start_date", nil},
		{"mem_a", "termination_date", nil},
		{"mem_a", "location", nil},
		{"mem_a", "employment_type", "contractor"},
		{"mem_B", "display_name", "Countess Lovelace"},
		{"mem_B", "preferred_name", "Countess"},
		{"mem_B", "manager_id", nil},
		{"mem_B", "department", "Engineering"},
		{"mem_B", "location", "New York HQ"},
		{"mem_B", "start_date", "2021-03-01"},
		{"mem_B", "status", "active"},
		{"mem_10", "location", "Arlington, VA, US"},
		{"mem_10", "department", "dep_navy"},
		{"mem_9", "manager_id", nil}, // unknown manager: not stored
	}
	for _, tt := range tests {
		if got := byID[tt.id][tt.key]; got != tt.want {
			t.Errorf("%s.%s = %#v, want %#v", tt.id, tt.key, got, tt.want)
		}
	}
	var problems []map[string]any
	if err := json.Unmarshal(doc["problems"], &problems); err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0]["member_id"] != "mem_9" || problems[0]["kind"] != "unknown_manager" || len(problems[0]) != 3 {
		t.Errorf("problems = %v", problems)
	}

	var buf bytes.Buffer
	if err := s.ExportCSV(ctx, "acme", &buf); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 5 || records[1][0] != "mem_10" || records[4][0] != "mem_a" || records[4][4] != "" || records[4][1] != "Zoë Ng" {
		t.Errorf("CSV records = %q", records)
	}
}

// A name or title planted in Justworks as a formula reaches the CSV as text:
// cells starting with =, +, -, @ (and tab, CR) get a leading apostrophe.
func TestExportCSVNeutralisesFormulas(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	members := []justworks.Member{
		member("mem_B", "Ada", "Lovelace", func(m *justworks.Member) { m.JobTitle = ptr("=HYPERLINK(\"http://evil.example\",\"x\")") }),
		member("mem_c", "+1", "@home", managedBy("mem_B"), func(m *justworks.Member) { m.JobTitle = ptr("-2+3") }),
		member("mem_d", "Tab", "Name", managedBy("mem_B"), func(m *justworks.Member) { m.JobTitle = ptr("\tcmd") }),
		member("mem_e", "Plain", "Name", managedBy("mem_B"), func(m *justworks.Member) { m.JobTitle = ptr("a=b") }),
	}
	syncRoster(t, s, "acme", "run-1", members, 0)
	var buf bytes.Buffer
	if err := s.ExportCSV(ctx, "acme", &buf); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]string{}
	for _, r := range records[1:] {
		byID[r[0]] = r
	}
	const given, family, title = 2, 3, 6
	tests := []struct {
		id   string
		col  int
		want string
	}{
		{"mem_B", title, `'=HYPERLINK("http://evil.example","x")`},
		{"mem_c", given, "'+1"},
		{"mem_c", family, "'@home"},
		{"mem_c", title, "'-2+3"},
		{"mem_d", title, "'\tcmd"},
		{"mem_e", title, "a=b"},
		{"mem_e", given, "Plain"},
	}
	for _, tt := range tests {
		if got := byID[tt.id][tt.col]; got != tt.want {
			t.Errorf("%s column %s = %q, want %q", tt.id, ExportColumns[tt.col], got, tt.want)
		}
	}
}
