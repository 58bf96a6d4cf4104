package sandbox

import (
	"encoding/json"
	"fmt"

	"github.com/rostersync/rostersync/internal/justworks"
)

// Drift makes the members endpoints answer the way a vendor's API drifts over
// time, within the contract (docs/contracts.md, "Member"): keys of empty
// optional values left out instead of null, and fields the contract does not
// list. New enum values need no knob: put a member with one (Mutate).
type Drift struct {
	OmitEmpty   bool // leave out every key whose value is null
	ExtraFields bool // add fields not in the contract (a string, a number, an object, an array)
}

// SetDrift sets how members are served from now on; the zero Drift serves
// them as the contract's example does.
func (s *Server) SetDrift(d Drift) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drift = d
}

// appendDrifted appends m's JSON, drifted as d says.
func appendDrifted(b []byte, m *justworks.Member, d Drift) []byte {
	if d == (Drift{}) {
		return appendMember(b, m)
	}
	plain := appendMember(nil, m)
	var obj map[string]any
	if err := json.Unmarshal(plain, &obj); err != nil {
		panic(fmt.Sprintf("sandbox: member %s does not round-trip: %v", m.ID, err))
	}
	if d.OmitEmpty {
		for k, v := range obj {
			if v == nil {
				delete(obj, k)
			}
		}
	}
	if d.ExtraFields {
		obj["pronouns"] = "they/them"
		obj["benefits_class"] = 3
		obj["custom_fields"] = map[string]any{"t_shirt": "M", "badge": map[string]any{"id": 7}}
		obj["groups"] = []any{"eng", 1, nil}
	}
	out, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("sandbox: member %s: %v", m.ID, err))
	}
	return append(b, out...)
}
