package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
)

// Effective dates through the real binaries: a pre-hire is listed as
// upcoming and drawn so; a termination scheduled ahead is listed and waits;
// one due today whose status Justworks has not flipped is applied today;
// `roster export --as-of` reads the chart on a later day and an earlier one.
func TestEffectiveDates(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 40})
	s.setupOrg("--tz", "UTC")
	require.Equal(t, "applied", s.sync(tech).Outcome)
	mails := len(s.smtp.Messages())
	now := time.Now().UTC()
	day := func(n int) string { return now.AddDate(0, 0, n).Format(time.DateOnly) }
	var leaving, dueToday, prehire, leavingName string
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		for _, id := range r.IDs() {
			m, _ := r.Get(id)
			if id == r.HeadID() || m.Status != justworks.StatusActive {
				continue
			}
			switch {
			case leaving == "":
				leaving, leavingName = id, orgtree.DisplayName(m.GivenName, m.FamilyName, m.PreferredName)
				r.Terminate(id, day(10))
			case dueToday == "":
				dueToday = id
				r.Update(id, func(m *justworks.Member) { d := day(0); m.TerminationDate = &d })
			}
		}
		prehire = r.Hire(justworks.Member{GivenName: "Pia", FamilyName: "Prehire", EmploymentType: justworks.EmploymentFullTime,
			Status: justworks.StatusPending, StartDate: day(14), ManagerID: strp(r.HeadID())})
	})
	r := s.sync(tech)
	require.Equal(t, "applied", r.Outcome)
	require.Equal(t, 1, r.Terminations, "only the termination due today: %+v", r)
	msgs, err := s.smtp.WaitFor(mails+1, 30*time.Second)
	require.NoError(t, err)
	text := msgs[mails].Text
	require.Contains(t, text, "Pia Prehire: upcoming: starts "+day(14))
	require.Contains(t, text, "Scheduled terminations (take effect on their date; not applied yet)")
	require.Contains(t, text, leavingName+": on "+day(10))

	statusOn := func(args ...string) map[string]string {
		out := s.mustRun(append([]string{"roster", "export", "--org", s.org}, args...)...)
		var x exported
		require.NoError(t, json.Unmarshal([]byte(out), &x))
		st := map[string]string{}
		for _, p := range x.People {
			st[p["id"].(string)] = p["status"].(string)
		}
		return st
	}
	nowSt := statusOn()
	require.Equal(t, "active", nowSt[leaving])
	require.Equal(t, "terminated", nowSt[dueToday])
	require.Equal(t, "pending", nowSt[prehire])
	later := statusOn("--as-of", day(20))
	require.Equal(t, "terminated", later[leaving])
	require.Equal(t, "active", later[prehire])
	// Everyone was first synced today: yesterday's chart is empty (the store
	// test TestScheduledTerminationsAndExportAsOf undoes changes of past days).
	require.Empty(t, statusOn("--as-of", day(-1)))

	svg := s.mustRun("roster", "export", "--org", s.org, "--format", "svg")
	require.Contains(t, svg, `id="p-`+prehire+`" class="box upcoming"`)
	require.True(t, strings.Contains(svg, "as of "+day(0)))
	_, errOut, code := s.run("roster", "export", "--org", s.org, "--as-of", "tomorrow")
	require.Equal(t, 2, code, errOut)
}
