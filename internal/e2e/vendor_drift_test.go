package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/sandbox"
)

// Vendor drift through the real worker, email and starter: absent keys are
// empty, unknown fields are ignored, new enum values are stored as received
// and reported, members missing a required value are skipped and reported
// (email, `starter status`, run record) without failing the sync or removing
// anyone, people missing from a short roster who come back are "returned"
// (not rehires), and a roster that would blank a field for most people is
// held like a mass termination, with the field and the count in the email
// and the run record.
func TestVendorDriftIsReportedNeverSilent(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 80, Seed: 31})
	s.setupOrg("--notify", "people@acme.example")
	first := s.sync(tech)
	require.Equal(t, "applied", first.Outcome, "%+v", first)

	active, _ := pick(t, s.sandbox.Members(), s.sandbox.Head().ID)
	require.GreaterOrEqual(t, len(active), 10)
	titleless, sabbatical, seasonal, nameless, wrongType := active[0], active[1], active[2], active[3], active[4]
	short := active[5:8] // missing from the next roster, back in the one after
	var noID string
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		require.True(t, r.SetMemberDrift(titleless.ID, sandbox.MemberDrift{Omit: []string{"job_title"}}))
		require.True(t, r.SetMemberDrift(sabbatical.ID, sandbox.MemberDrift{Set: map[string]any{"status": "sabbatical"}}))
		require.True(t, r.SetMemberDrift(seasonal.ID, sandbox.MemberDrift{Set: map[string]any{"employment_type": "seasonal",
			"shoe_size": 44, "badges": map[string]any{"gold": []int{1, 2}}}}))
		require.True(t, r.SetMemberDrift(nameless.ID, sandbox.MemberDrift{Set: map[string]any{"family_name": ""}}))
		require.True(t, r.SetMemberDrift(wrongType.ID, sandbox.MemberDrift{Set: map[string]any{"status": 7}}))
		noID = r.Hire(justworks.Member{GivenName: "Nemo", FamilyName: "Nobody", ManagerID: strp(r.HeadID())})
		require.True(t, r.SetMemberDrift(noID, sandbox.MemberDrift{Set: map[string]any{"id": ""}}))
		for _, m := range short {
			require.True(t, r.Remove(m.ID))
		}
	})
	second := s.sync(tech)
	require.Equal(t, "applied", second.Outcome, "%+v", second)
	require.Equal(t, 3, second.Updates, "title cleared, new status, new employment type: %+v", second)
	require.Equal(t, 3, second.Removed, "%+v", second)
	require.Zero(t, second.Hires, "the member without an id is not hired: %+v", second)
	require.Equal(t, 3, second.Skipped, "%+v", second)

	msgs, err := s.smtp.WaitFor(2, 30*time.Second)
	require.NoError(t, err)
	text := msgs[1].Text
	skipped := section(t, text, "Skipped: not stored and not removed (fix them in Justworks)")
	require.Len(t, skipped.items, 3, text)
	for _, want := range []string{"[no family name]", "[data of the wrong type]", "[no id]: the member has no id", "Nemo Nobody", nameless.ID, wrongType.ID} {
		require.Contains(t, strings.Join(skipped.items, "\n"), want)
	}
	unknown := section(t, text, "Values Rostersync does not know, stored as received")
	require.ElementsMatch(t, []string{`  - status "sabbatical": 1 person`, `  - employment_type "seasonal": 1 person`}, unknown.items)

	x, _ := s.export()
	byID := map[string]map[string]any{}
	for _, p := range x.People {
		byID[p["id"].(string)] = p
	}
	require.Nil(t, byID[titleless.ID]["job_title"], "an absent key is empty")
	require.Equal(t, "sabbatical", byID[sabbatical.ID]["status"])
	require.Equal(t, "seasonal", byID[seasonal.ID]["employment_type"])
	require.Equal(t, nameless.FamilyName, byID[nameless.ID]["family_name"], "a skipped member stays as stored")
	require.Equal(t, "active", byID[wrongType.ID]["status"])

	status := s.mustRun("status", "--org", s.org)
	require.Contains(t, status, "skipped 3 (not stored, not removed; fix them in Justworks)")
	require.Contains(t, status, "no family name")
	require.Contains(t, status, `stored as received: status "sabbatical" for 1 people`)
	var st struct {
		Runs []struct {
			RunID   string `json:"run_id"`
			Outcome string `json:"outcome"`
			Error   string `json:"error"`
			Counts  struct {
				Returned, Rehires, Skipped int
			} `json:"counts"`
			Skipped []struct {
				MemberID, Reason string
			} `json:"skipped"`
		} `json:"last_runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(s.mustRun("status", "--org", s.org, "--json")), &st))
	require.Equal(t, second.RunID, st.Runs[0].RunID)
	require.Equal(t, 3, st.Runs[0].Counts.Skipped)
	require.Len(t, st.Runs[0].Skipped, 3)
	require.Equal(t, 3, s.count("SELECT count(*) FROM run_skipped WHERE run_id = $1", second.RunID), "the run record keeps them")

	// The short roster's people come back: returned, not rehired.
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		for _, m := range short {
			r.Put(m)
		}
	})
	third := s.sync(tech)
	require.Equal(t, "applied", third.Outcome, "%+v", third)
	require.Zero(t, third.Rehires, "%+v", third)
	msgs, err = s.smtp.WaitFor(3, 30*time.Second)
	require.NoError(t, err)
	back := section(t, msgs[2].Text, "Back on the roster (missing from an earlier one; not rehires)")
	require.Len(t, back.items, 3, msgs[2].Text)
	require.NotContains(t, msgs[2].Text, "\nRehires\n")
	require.NoError(t, json.Unmarshal([]byte(s.mustRun("status", "--org", s.org, "--json")), &st))
	require.Equal(t, 3, st.Runs[0].Counts.Returned)

	// Justworks stops sending job_title (a permission change): refused.
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		for _, id := range r.IDs() {
			if id == sabbatical.ID || id == seasonal.ID || id == nameless.ID || id == wrongType.ID || id == noID {
				continue
			}
			require.True(t, r.SetMemberDrift(id, sandbox.MemberDrift{Omit: []string{"job_title"}}))
		}
	})
	// Held for a decision, like a mass termination; rejected, it ends refused.
	held := s.syncHeld()
	require.Contains(t, held.Error, "would clear job_title for ")
	msgs, err = s.smtp.WaitFor(4, 30*time.Second)
	require.NoError(t, err)
	require.Contains(t, strings.ToLower(msgs[3].Subject), "held for approval")
	require.Contains(t, strings.Join(strings.Fields(msgs[3].Text), " "), "would clear job_title for ")
	_, errOut, code := s.run("sync", "reject", "--org", s.org, "--as", tech)
	require.Equal(t, 3, code, errOut)
	msgs, err = s.smtp.WaitFor(5, 30*time.Second)
	require.NoError(t, err)
	require.Contains(t, strings.ToLower(msgs[4].Subject), "refused")
	require.NoError(t, json.Unmarshal([]byte(s.mustRun("status", "--org", s.org, "--json")), &st))
	require.Equal(t, "refused", st.Runs[0].Outcome)
	require.Contains(t, st.Runs[0].Error, "rejected")
	require.Equal(t, 1, s.count(`SELECT count(*) FROM sync_runs WHERE run_id = $1 AND result->>'reason' LIKE '%would clear job_title for %'`, st.Runs[0].RunID),
		"the run record keeps the check's reason")
	x, _ = s.export()
	for _, p := range x.People {
		if p["id"] == active[9].ID {
			require.NotNil(t, p["job_title"], "nothing was applied")
		}
	}
}
