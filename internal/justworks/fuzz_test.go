package justworks

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeMembers: the member decoder never panics on what a vendor might
// send; a page it accepts returns every member of the list (odd ones marked
// for the caller to skip and report, carrying only what identifies them),
// and the members that fit survive a round trip through JSON unchanged
// (nothing is half-read).
func FuzzDecodeMembers(f *testing.F) {
	for _, seed := range []string{
		`[]`,
		`[{"id":"mem_1","given_name":"Ada","family_name":"Lovelace","status":"active","employment_type":"full_time","start_date":"2021-03-01","updated_at":"2026-11-20T14:03:00Z"}]`,
		`[{"id":"mem_2","given_name":"Zoë","family_name":"Ng","status":"suspended","employment_type":"seasonal","pronouns":"they","custom":{"a":[1,2]}}]`,
		`[{"id":"mem_3","given_name":"A","family_name":"B","status":"active","department":null,"work_location":{},"manager_id":null}]`,
		`[{"id":"mem_4"}]`,
		`[{"id":""}]`,
		`[{"given_name":"no id"}]`,
		`[{"id":"mem_5","department":{"id":7}}]`,
		`{"not":"a list"}`,
		`[{"id":"mem_6","updated_at":"yesterday"}]`,
		`[null]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ms, err := decodeMembers("fuzz", raw)
		if err != nil {
			return
		}
		// Odd members (no id, JSON of the wrong types) pass through for the
		// caller to skip and report; one that did not fit carries only what
		// identifies it. Every member of the list comes back, in order.
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil || len(list) != len(ms) {
			t.Fatalf("decoded %d members from a list of %d (%v)", len(ms), len(list), err)
		}
		var fit []Member
		for i, m := range ms {
			if m.DecodeError != "" {
				if (m != Member{ID: m.ID, GivenName: m.GivenName, FamilyName: m.FamilyName, DecodeError: m.DecodeError}) {
					t.Fatalf("member %d did not fit but carries more than its names: %+v", i, m)
				}
				continue
			}
			fit = append(fit, m)
		}
		b, err := json.Marshal(fit)
		if err != nil {
			t.Fatalf("accepted members do not encode: %v", err)
		}
		again, err := decodeMembers("fuzz", b)
		if err != nil {
			t.Fatalf("accepted members do not decode again: %v", err)
		}
		if len(fit) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(fit, again) {
			t.Fatalf("round trip changed the members:\n%+v\n%+v", fit, again)
		}
	})
}
