package e2e

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
)

func name(m justworks.Member) string {
	return orgtree.DisplayName(m.GivenName, m.FamilyName, m.PreferredName)
}

func strp(s string) *string { return &s }

// pick finds members for the resync's changes: active non-head members that
// manage nobody, and one terminated member.
func pick(t *testing.T, members []justworks.Member, headID string) (active []justworks.Member, terminated justworks.Member) {
	managers := map[string]bool{}
	for _, m := range members {
		if m.ManagerID != nil {
			managers[*m.ManagerID] = true
		}
	}
	for _, m := range members {
		switch {
		case m.Status == justworks.StatusTerminated && terminated.ID == "":
			terminated = m
		case m.Status == justworks.StatusActive && m.ID != headID && !managers[m.ID] && m.TerminationDate == nil && m.ManagerID != nil && *m.ManagerID != headID:
			active = append(active, m)
		}
	}
	require.GreaterOrEqual(t, len(active), 3, "sandbox company too small for the test")
	require.NotEmpty(t, terminated.ID, "sandbox company has no terminated member")
	return active, terminated
}

func TestFirstSyncResyncAndNoChangeResync(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 250})
	s.setupOrg()

	// First sync: everyone is a hire.
	roster := s.sandbox.Members()
	first := s.sync(tech)
	require.Equal(t, 0, first.code, "%+v", first)
	require.Equal(t, "applied", first.Outcome)
	require.Equal(t, len(roster), first.Hires)
	require.Zero(t, first.Terminations+first.Rehires+first.Updates+first.Unchanged+first.Removed)
	require.Equal(t, "sync-roster:"+s.org, first.WorkflowID)

	x, _ := s.export()
	require.Len(t, x.People, len(roster))
	require.NotNil(t, x.HeadID)
	require.Equal(t, s.sandbox.Head().ID, *x.HeadID)
	msgs, err := s.smtp.WaitFor(2, 30*time.Second)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"people@acme.example", "cfo@acme.example"}, []string{msgs[0].To[0], msgs[1].To[0]})
	require.Contains(t, msgs[0].Subject, "250 hires")
	require.Contains(t, msgs[0].HTML, "Acme &lt;Test&gt; &amp; Co", "org name must be escaped in HTML")
	require.Contains(t, msgs[0].Text, "/namespaces/default/workflows/sync-roster:"+s.org+"/"+first.RunID)

	// Changes in Justworks: two hires, a termination, a rehire, a manager
	// move and a title change.
	active, gone := pick(t, roster, s.sandbox.Head().ID)
	leaver, mover, promoted := active[0], active[1], active[2]
	var hired []string
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		head := r.HeadID()
		for _, n := range []string{"Zoë", "Åsa"} {
			hired = append(hired, r.Hire(justworks.Member{GivenName: n, FamilyName: "Newhire", EmploymentType: justworks.EmploymentFullTime,
				Status: justworks.StatusActive, StartDate: "2026-11-02", ManagerID: strp(head), JobTitle: strp("Engineer")}))
		}
		require.True(t, r.Terminate(leaver.ID, "2026-11-20"))
		require.True(t, r.Rehire(gone.ID))
		require.True(t, r.SetManager(mover.ID, head))
		require.True(t, r.SetTitle(promoted.ID, "Principal <Engineer>"))
	})
	changeRows := s.count(`SELECT count(*) FROM change_log`)
	second := s.sync(tech)
	require.Equal(t, 0, second.code, "%+v", second)
	require.Equal(t, "applied", second.Outcome)
	require.Equal(t, 2, second.Hires)
	require.Equal(t, 1, second.Terminations)
	require.Equal(t, 1, second.Rehires)
	require.Equal(t, 2, second.Updates)
	require.Equal(t, 0, second.Removed)
	require.Equal(t, len(roster)+2, second.Hires+second.Terminations+second.Rehires+second.Updates+second.Unchanged+second.Removed)
	require.Equal(t, changeRows+6, s.count(`SELECT count(*) FROM change_log`))

	msgs, err = s.smtp.WaitFor(4, 30*time.Second)
	require.NoError(t, err)
	mail := msgs[2]
	require.Contains(t, mail.Subject, "2 hires")
	for _, want := range []string{"Zoë Newhire", "Åsa Newhire", name(leaver), name(gone), name(mover), name(promoted), "Principal <Engineer>"} {
		require.Contains(t, mail.Text, want)
	}
	require.Contains(t, mail.HTML, "Principal &lt;Engineer&gt;")
	require.NotContains(t, mail.HTML, "Principal <Engineer>")

	x, _ = s.export()
	byID := map[string]map[string]any{}
	for _, p := range x.People {
		byID[p["id"].(string)] = p
	}
	require.Equal(t, "terminated", byID[leaver.ID]["status"])
	require.Equal(t, "2026-11-20", byID[leaver.ID]["termination_date"])
	require.NotEqual(t, "terminated", byID[gone.ID]["status"])
	require.Equal(t, s.sandbox.Head().ID, byID[mover.ID]["manager_id"])
	require.Equal(t, "Principal <Engineer>", byID[promoted.ID]["job_title"])
	require.Equal(t, "active", byID[hired[0]]["status"])

	// Nothing changed in Justworks: nothing is written.
	rows := s.count(`SELECT count(*) FROM change_log`)
	var before string
	require.NoError(t, s.db.QueryRow(`SELECT string_agg(xmin::text, ',' ORDER BY id) FROM people`).Scan(&before))
	third := s.sync(tech)
	require.Equal(t, "no_changes", third.Outcome, "%+v", third)
	require.Equal(t, 0, third.code)
	require.Equal(t, len(roster)+2, third.Unchanged)
	require.Equal(t, rows, s.count(`SELECT count(*) FROM change_log`))
	var after string
	require.NoError(t, s.db.QueryRow(`SELECT string_agg(xmin::text, ',' ORDER BY id) FROM people`).Scan(&after))
	require.Equal(t, before, after, "a no-change resync rewrote people rows")
	msgs, err = s.smtp.WaitFor(6, 30*time.Second)
	require.NoError(t, err)
	require.Contains(t, strings.ToLower(msgs[4].Subject), "no changes")
}

func TestAccessRefusedBeforeJustworks(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30})
	s.setupOrg()
	s.sandbox.ResetStats()
	for _, who := range []string{admin, "stranger@elsewhere.example"} {
		r := s.sync(who)
		require.Equal(t, 3, r.code, "%+v", r)
		require.Equal(t, "refused", r.Outcome)
		require.Contains(t, r.Error, who)
		require.Contains(t, r.Error, "technical_owner")
	}
	require.Zero(t, s.sandbox.Stats().Requests, "a refused sync must not touch Justworks")
	x, _ := s.export()
	require.Empty(t, x.People)
	require.Nil(t, x.HeadID)
	require.Empty(t, s.smtp.Messages())
}

func TestSafetyRefusalLeavesOrgChartUnchanged(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 100})
	s.setupOrg()
	require.Equal(t, "applied", s.sync(tech).Outcome)
	_, before := s.export()
	changes := s.count(`SELECT count(*) FROM change_log`)

	// A truncated roster never reaches the org chart: here it lost the head
	// too, so the sync fails before apply.
	s.sandbox.SetFaults(sandbox.Faults{TruncateTo: 40})
	r := s.sync(tech)
	require.NotEqual(t, 0, r.code, "%+v", r)
	_, after := s.export()
	require.Equal(t, before, after)
	s.sandbox.SetFaults(sandbox.Faults{})

	s.sandbox.Mutate(func(r *sandbox.Roster) {
		removed := 0
		for _, id := range r.IDs() {
			if m, _ := r.Get(id); id != r.HeadID() && m.Status == justworks.StatusActive && removed < 40 {
				r.Remove(id)
				removed++
			}
		}
	})
	// A roster that lost 40 % of the people (head still there) is held for a
	// decision (TestHeldSyncApproveRejectAndTimeOut has the rest); rejected,
	// nothing is applied.
	held := s.syncHeld()
	require.Contains(t, held.Error, "nothing was applied")
	_, after = s.export()
	require.Equal(t, before, after)
	_, errOut, code := s.run("sync", "reject", "--org", s.org, "--as", tech)
	require.Equal(t, 3, code, errOut)
	_, after = s.export()
	require.Equal(t, before, after)
	require.Equal(t, changes, s.count(`SELECT count(*) FROM change_log`))
	msgs, err := s.smtp.WaitFor(8, 30*time.Second)
	require.NoError(t, err)
	require.Contains(t, strings.ToLower(msgs[4].Subject), "held for approval")
	require.Contains(t, strings.ToLower(msgs[6].Subject), "refused")
	require.Contains(t, msgs[6].Text, "nothing was applied")
}

func TestWrongPasswordLogsInOnceAndStopsLogins(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30})
	s.setupOrg()
	wrong := s.dir + "/wrong"
	require.NoError(t, writeFile(wrong, "not-the-password"))
	s.mustRun("org", "set", "--org", s.org, "--password-file", wrong, "--as", tech)
	s.sandbox.ResetStats()

	r := s.sync(tech)
	require.Equal(t, 1, r.code, "%+v", r)
	require.Equal(t, "failed", r.Outcome)
	require.Contains(t, r.Error, "rejected the username or password")
	require.Contains(t, r.Error, "starter org set")
	require.NotContains(t, r.Error, "not-the-password")
	require.Equal(t, 1, s.sandbox.Stats().LoginAttempts)

	// The next sync does not try again: five tries would lock the account.
	r = s.sync(tech)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.Error, "stopped")
	require.Equal(t, 1, s.sandbox.Stats().LoginAttempts)

	// An org set that only adds whitespace to the username (or a slash to
	// the URL) is no new credential: the block stays.
	s.mustRun("org", "set", "--org", s.org, "--username", " "+s.username+" ", "--justworks-url", s.jwURL+"/", "--as", tech)
	require.Contains(t, s.mustRun("status", "--org", s.org), "LOGINS STOPPED")
	r = s.sync(tech)
	require.Contains(t, r.Error, "stopped")
	require.Equal(t, 1, s.sandbox.Stats().LoginAttempts)

	// Fixing the password resumes syncing.
	s.mustRun("org", "set", "--org", s.org, "--password-file", s.pwFile, "--as", tech)
	require.Equal(t, "applied", s.sync(tech).Outcome)
}

func TestUnknownHeadFailsWithClosestNames(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30})
	s.setupOrg()
	h := s.sandbox.Head()
	s.mustRun("org", "set", "--org", s.org, "--head", h.GivenName+" Nobody", "--as", tech)
	r := s.sync(tech)
	require.Equal(t, 1, r.code, "%+v", r)
	require.Contains(t, r.Error, s.head, "the error should name the closest match")
	x, _ := s.export()
	require.Empty(t, x.People, "nothing is stored when the head is unknown")
}

func TestDailyScheduleSpecAndPause(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30})
	s.setupOrg()
	ctx := context.Background()
	h := s.tc.ScheduleClient().GetHandle(ctx, "sync-roster-daily:"+s.org)
	d, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, "Europe/Berlin", d.Schedule.Spec.TimeZoneName)
	require.Len(t, d.Schedule.Spec.Calendars, 1)
	cal := d.Schedule.Spec.Calendars[0]
	require.Equal(t, 6, cal.Hour[0].Start)
	require.Equal(t, 30, cal.Minute[0].Start)
	require.False(t, d.Schedule.State.Paused)
	require.NotEmpty(t, d.Info.NextActionTimes)
	loc, _ := time.LoadLocation("Europe/Berlin")
	next := d.Info.NextActionTimes[0].In(loc)
	require.Equal(t, 6, next.Hour())
	require.Equal(t, 30, next.Minute())

	// Setting the same config again is idempotent; a new time updates it.
	s.mustRun("org", "set", "--org", s.org, "--daily", "07:15", "--tz", "America/New_York", "--as", tech)
	d, err = h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, "America/New_York", d.Schedule.Spec.TimeZoneName)
	require.Equal(t, 7, d.Schedule.Spec.Calendars[0].Hour[0].Start)

	// A scheduled run starts (or joins) the org's one sync, as the schedule's principal.
	require.NoError(t, h.Trigger(ctx, clientTrigger()))
	require.Eventually(t, func() bool {
		d, err := describeRaw(s.tc, ctx, "sync-roster:"+s.org, "")
		return err == nil && d.WorkflowExecutionInfo.GetStatus().String() == "Completed"
	}, 2*time.Minute, time.Second)
	x, _ := s.export()
	require.Len(t, x.People, len(s.sandbox.Members()))

	// Scheduled runs run as whoever set the schedule up (now tech), checked
	// at every run: once tech is demoted, the next scheduled run is refused.
	s.mustRun("user", "set", "--org", s.org, "--email", tech, "--level", "admin", "--as", owner)
	s.sandbox.ResetStats()
	before, err := describeRaw(s.tc, ctx, "sync-roster:"+s.org, "")
	require.NoError(t, err)
	require.NoError(t, h.Trigger(ctx, clientTrigger()))
	require.Eventually(t, func() bool {
		d, err := describeRaw(s.tc, ctx, "sync-roster:"+s.org, "")
		return err == nil && d.WorkflowExecutionInfo.GetExecution().GetRunId() != before.WorkflowExecutionInfo.GetExecution().GetRunId() &&
			d.WorkflowExecutionInfo.GetStatus().String() == "Failed"
	}, 2*time.Minute, time.Second)
	err = s.tc.GetWorkflow(ctx, "sync-roster:"+s.org, "").Get(ctx, nil)
	require.ErrorContains(t, err, "technical_owner")
	require.Zero(t, s.sandbox.Stats().Requests)

	s.mustRun("org", "set", "--org", s.org, "--no-daily", "--as", owner)
	d, err = h.Describe(ctx)
	require.NoError(t, err)
	require.True(t, d.Schedule.State.Paused)

	// Setting the daily time again resumes it; other changes leave a pause
	// made in Temporal Web alone.
	s.mustRun("org", "set", "--org", s.org, "--daily", "05:45", "--as", owner)
	d, err = h.Describe(ctx)
	require.NoError(t, err)
	require.False(t, d.Schedule.State.Paused)
	require.Equal(t, 5, d.Schedule.Spec.Calendars[0].Hour[0].Start)
	require.NoError(t, h.Pause(ctx, clientPause()))
	s.mustRun("org", "set", "--org", s.org, "--notify", "ops@acme.example", "--as", owner)
	d, err = h.Describe(ctx)
	require.NoError(t, err)
	require.True(t, d.Schedule.State.Paused)
}

// A second start while a sync runs joins it instead of starting another.
func TestSecondStartJoinsRunningSync(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30, Faults: sandbox.Faults{Latency: time.Second}})
	s.setupOrg()
	runOf := func(out string) string {
		m := regexp.MustCompile(`run (\S+)`).FindStringSubmatch(out)
		require.Len(t, m, 2, out)
		return m[1]
	}
	first := runOf(s.mustRun("sync", "--org", s.org, "--as", tech))
	second := runOf(s.mustRun("sync", "--org", s.org, "--as", owner))
	require.Equal(t, first, second, "the second start must join the running sync")
	r := s.sync(tech) // waits for the one run (joined again) to finish
	require.Equal(t, first, r.RunID)
	require.Equal(t, "applied", r.Outcome)

	// Joining hands out a sync's result, so it is gated like starting one.
	out, errOut, code := s.run("sync", "--org", s.org, "--as", admin, "--wait", "--json")
	require.Equal(t, 3, code, errOut)
	var refused syncOut
	require.NoError(t, json.Unmarshal([]byte(out), &refused))
	require.Equal(t, "refused", refused.Outcome)
	require.Zero(t, refused.Unchanged)
}
