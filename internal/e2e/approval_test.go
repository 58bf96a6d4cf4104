package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/workflows"
)

// removeActive takes n active people other than the head out of the roster
// and returns their display names.
func (s *stack) removeActive(n int) []string {
	var names []string
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		for _, id := range r.IDs() {
			if m, _ := r.Get(id); id != r.HeadID() && m.Status == justworks.StatusActive && len(names) < n {
				r.Remove(id)
				names = append(names, orgtree.DisplayName(m.GivenName, m.FamilyName, m.PreferredName))
			}
		}
	})
	return names
}

type heldOut struct {
	syncOut
	Pending *workflows.PendingDecision `json:"pending"`
}

// syncHeld runs `starter sync --wait --json`, which returns (exit 5) once the
// sync is held for a decision.
func (s *stack) syncHeld() heldOut {
	s.t.Helper()
	out, errOut, code := s.run("sync", "--org", s.org, "--as", tech, "--wait", "--json")
	var r heldOut
	require.NoError(s.t, json.Unmarshal([]byte(out), &r), "stdout: %s\nstderr: %s", out, errOut)
	require.Equal(s.t, 5, code, "stdout: %s\nstderr: %s", out, errOut)
	require.Equal(s.t, "held", r.Outcome)
	require.NotNil(s.t, r.Pending)
	require.Contains(s.t, r.Pending.Hint, "starter sync approve --org "+s.org)
	require.Contains(s.t, errOut, "held for approval until")
	return r
}

// The approval flow end to end through the real worker, starter, dev server
// and SMTP peer: a sync above the safety limit is held and emailed; an admin
// cannot decide; a rejection applies nothing; an approval applies exactly the
// held change set; with a short per-org time-out, nobody deciding applies
// nothing. Each ending is emailed.
func TestHeldSyncApproveRejectAndTimeOut(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 100})
	s.setupOrg()
	require.Equal(t, "applied", s.sync(tech).Outcome)
	mails := 2 // two recipients per email
	_, before := s.export()
	changes := s.count(`SELECT count(*) FROM change_log`)
	gone := s.removeActive(40)

	// 1. Held, then rejected.
	held := s.syncHeld()
	require.Equal(t, 40, held.Removed)
	msgs, err := s.smtp.WaitFor(mails+2, 30*time.Second)
	require.NoError(t, err)
	heldMail := msgs[mails]
	require.Contains(t, heldMail.Subject, "held for approval")
	require.Contains(t, heldMail.Text, "Decide by:")
	require.Contains(t, heldMail.Text, "starter sync approve --org "+s.org)
	require.Contains(t, heldMail.Text, gone[0], "the held email names the people concerned")
	mails += 2
	status := s.mustRun("status", "--org", s.org)
	require.Contains(t, status, "DECISION PENDING: run "+held.RunID)
	require.Contains(t, status, "held       by "+tech, "the held run is listed as held")
	require.Contains(t, status, "starter sync reject --org "+s.org)

	_, errOut, code := s.run("sync", "approve", "--org", s.org, "--as", admin)
	require.Equal(t, 3, code, "an admin may not approve: %s", errOut)
	require.Contains(t, errOut, "approving or rejecting a held sync")

	out, errOut, code := s.run("sync", "reject", "--org", s.org, "--as", tech, "--note", "Justworks export glitch", "--json")
	require.Equal(t, 3, code, "stdout %s stderr %s", out, errOut)
	var rejected syncOut
	require.NoError(t, json.Unmarshal([]byte(out), &rejected))
	require.Equal(t, "refused", rejected.Outcome)
	require.Contains(t, rejected.Error, "rejected by tech@acme.example (operator action: starter --as)")
	_, after := s.export()
	require.Equal(t, before, after, "a rejection applies nothing")
	require.Equal(t, changes, s.count(`SELECT count(*) FROM change_log`))
	msgs, err = s.smtp.WaitFor(mails+2, 30*time.Second)
	require.NoError(t, err)
	require.Contains(t, msgs[mails].Subject, "refused")
	require.Contains(t, msgs[mails].Text, "rejected by tech@acme.example")
	require.Contains(t, msgs[mails].Text, "Justworks export glitch")
	mails += 2
	require.Equal(t, 1, s.count(`SELECT count(*) FROM sync_runs WHERE run_id = $1 AND decision = 'reject' AND decided_by = $2 AND decided_via = 'cli'`, held.RunID, tech))
	require.NotContains(t, s.mustRun("status", "--org", s.org), "DECISION PENDING")

	// 2. Held again, then approved by the owner: exactly the held change set.
	held = s.syncHeld()
	_, err = s.smtp.WaitFor(mails+2, 30*time.Second)
	require.NoError(t, err)
	mails += 2
	var staged []string
	rows, err := s.db.Query(`SELECT member_id || kind || fields::text FROM staging_changes WHERE run_id = $1 ORDER BY member_id`, held.RunID)
	require.NoError(t, err)
	for rows.Next() {
		var r string
		require.NoError(t, rows.Scan(&r))
		staged = append(staged, r)
	}
	require.NoError(t, rows.Err())
	require.Len(t, staged, held.Removed+held.Updates+held.Terminations+held.Hires+held.Rehires)
	t.Logf("starter status (held):\n%s", s.mustRun("status", "--org", s.org))
	out, errOut, code = s.run("sync", "approve", "--org", s.org, "--as", owner, "--json")
	t.Logf("starter sync approve --json:\n%s\nstderr: %s", out, errOut)
	require.Equal(t, 0, code, "stdout %s stderr %s", out, errOut)
	var approved syncOut
	require.NoError(t, json.Unmarshal([]byte(out), &approved))
	require.Equal(t, "applied", approved.Outcome)
	require.Equal(t, 40, approved.Removed)
	var written []string
	rows, err = s.db.Query(`SELECT member_id || kind || fields::text FROM change_log WHERE run_id = $1 ORDER BY member_id`, held.RunID)
	require.NoError(t, err)
	for rows.Next() {
		var r string
		require.NoError(t, rows.Scan(&r))
		written = append(written, r)
	}
	require.Equal(t, staged, written, "the approval wrote exactly the held change set")
	x, _ := s.export()
	removed := 0
	for _, p := range x.People {
		if p["status"] == "removed" {
			removed++
		}
	}
	require.Equal(t, 40, removed)
	msgs, err = s.smtp.WaitFor(mails+2, 30*time.Second)
	require.NoError(t, err)
	require.Contains(t, msgs[mails].Text, "Decision:      approved by owner@acme.example (operator action: starter --as)")
	require.Contains(t, msgs[mails].Text, gone[0])
	mails += 2
	require.Zero(t, s.count(`SELECT count(*) FROM staging_changes WHERE run_id = $1`, held.RunID), "the finished run's staging is dropped")

	// 3. Held with a 3 s time-out: nobody decides, nothing is applied.
	s.mustRun("org", "set", "--org", s.org, "--approval-timeout", "3s", "--as", tech)
	require.Contains(t, s.mustRun("status", "--org", s.org), "waits 3s for approval")
	_, before = s.export()
	s.removeActive(30)
	held = s.syncHeld()
	var sum workflows.SyncSummary
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, s.tc.GetWorkflow(ctx, held.WorkflowID, held.RunID).Get(ctx, &sum))
	require.Equal(t, "refused", string(sum.Outcome))
	require.Contains(t, sum.Reason, "no decision within 3s")
	_, after = s.export()
	require.Equal(t, before, after, "a time-out applies nothing")
	msgs, err = s.smtp.WaitFor(mails+4, 30*time.Second)
	require.NoError(t, err)
	require.Contains(t, msgs[mails].Subject, "held for approval")
	require.True(t, strings.Contains(msgs[mails+2].Text, "no decision within 3s"), msgs[mails+2].Text)
	_, errOut, code = s.run("sync", "approve", "--org", s.org, "--as", tech)
	require.Equal(t, 2, code, "nothing is pending any more: %s", errOut)
}

// A dry run shows the change set a real sync then applies, in the words of
// the summary email, and applies and emails nothing.
func TestDryRunShowsTheChangeSetOfTheRealSync(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 60})
	s.setupOrg()
	require.Equal(t, "applied", s.sync(tech).Outcome)
	mails := len(s.smtp.Messages())
	var titled string
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		r.Hire(justworks.Member{GivenName: "Dora", FamilyName: "Preview", EmploymentType: justworks.EmploymentFullTime,
			Status: justworks.StatusActive, StartDate: "2026-11-02", ManagerID: strp(r.HeadID())})
		for _, id := range r.IDs() {
			if id != r.HeadID() {
				r.SetTitle(id, "Chief Preview Officer")
				m, _ := r.Get(id)
				titled = orgtree.DisplayName(m.GivenName, m.FamilyName, m.PreferredName)
				break
			}
		}
	})
	_, before := s.export()
	out := s.mustRun("sync", "--org", s.org, "--as", tech, "--dry-run")
	t.Logf("starter sync --dry-run:\n%s", out)
	require.Contains(t, out, "preview (dry run): nothing was applied and nobody was emailed; a real sync now would end applied")
	require.Contains(t, out, "Dora Preview")
	require.Contains(t, out, titled)
	require.Contains(t, out, "→ Chief Preview Officer")
	_, after := s.export()
	require.Equal(t, before, after, "a dry run applies nothing")
	require.Len(t, s.smtp.Messages(), mails, "a dry run emails nobody")
	require.Contains(t, s.mustRun("status", "--org", s.org), "previewed")

	r := s.sync(tech)
	require.Equal(t, "applied", r.Outcome)
	require.Equal(t, 1, r.Hires)
	msgs, err := s.smtp.WaitFor(mails+1, 30*time.Second)
	require.NoError(t, err)
	// Everything from the counts to the run's link is the same text.
	body := func(text string) string {
		i := strings.Index(text, "\nCounts\n")
		j := strings.Index(text, "\nOpen this run in Temporal Web")
		require.True(t, i >= 0 && j > i, text)
		return text[i:j]
	}
	require.Equal(t, body(msgs[mails].Text), body(out))
}
