package sandbox

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rostersync/rostersync/internal/justworks"
)

func TestDriftOmitsEmptyKeysAndAddsFields(t *testing.T) {
	m := justworks.Member{ID: "mem_1", GivenName: "Ada", FamilyName: "L", Status: "active", EmploymentType: "full_time", StartDate: "2021-03-01"}
	plain := string(appendDrifted(nil, &m, Drift{}))
	if !strings.Contains(plain, `"job_title":null`) {
		t.Fatalf("undrifted member lost its null keys: %s", plain)
	}
	var obj map[string]any
	if err := json.Unmarshal(appendDrifted(nil, &m, Drift{OmitEmpty: true, ExtraFields: true}), &obj); err != nil {
		t.Fatal(err)
	}
	if _, ok := obj["job_title"]; ok {
		t.Errorf("OmitEmpty kept job_title: %v", obj)
	}
	if obj["pronouns"] != "they/them" || obj["id"] != "mem_1" {
		t.Errorf("drifted member: %v", obj)
	}
}
