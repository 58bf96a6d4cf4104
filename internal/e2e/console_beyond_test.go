package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/workflows"
)

// Issue 11 in the console, in real Chromium against the real stack: a held
// sync is approved by a signed-in technical owner (recorded as a console
// decision) after an admin was shown why they may not; a preview shows the
// summary a sync would send; the chart picture renders for a date; the
// scope is saved through the same settings path as the CLI.
func TestConsoleDecisionPreviewPictureOptions(t *testing.T) {
	c := newChrome(t)
	s := newStack(t, sandbox.Config{People: 100})
	s.setupOrg()
	pw := filepath.Join(s.dir, "console-pw")
	require.NoError(t, os.WriteFile(pw, []byte(ownerPW+"\n"), 0o600))
	s.mustRun("user", "set", "--org", s.org, "--email", tech, "--level", "technical_owner", "--password-file", pw, "--as", owner)
	s.mustRun("user", "set", "--org", s.org, "--email", admin, "--level", "admin", "--password-file", pw, "--as", owner)
	require.Equal(t, "applied", s.sync(tech).Outcome)
	s.removeActive(40)
	held := s.syncHeld()
	base := s.startConsole()
	org := base + "/orgs/" + s.org

	adminTab := c.person()
	c.signIn(adminTab, base, admin, ownerPW)
	c.do(adminTab, chromedp.Navigate(org+"/decision"), chromedp.WaitVisible(chromedp.CSS("#held")))
	require.Contains(t, c.text(adminTab, "#decide-refusal"), "approving or rejecting a held sync")
	require.Zero(t, c.count(adminTab, "#approve"))

	techTab := c.person()
	c.signIn(techTab, base, tech, ownerPW)
	require.Contains(t, c.text(techTab, "#held-banner"), "held for approval")
	c.do(techTab, chromedp.Navigate(org+"/decision"), chromedp.WaitVisible(chromedp.CSS("#approve")))
	require.Contains(t, c.text(techTab, "#held-removed"), "40")
	c.do(techTab, chromedp.SetValue(chromedp.CSS("#note"), "checked with HR"))
	c.clickAndLoad(techTab, "#approve")
	require.Contains(t, c.text(techTab, ".flash"), "Approved")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var sum workflows.SyncSummary
	require.NoError(t, s.tc.GetWorkflow(ctx, held.WorkflowID, held.RunID).Get(ctx, &sum))
	require.Equal(t, "applied", string(sum.Outcome))
	require.Contains(t, sum.Decision, "approved by "+tech+" (console sign-in)")
	require.Equal(t, 1, s.count(`SELECT count(*) FROM sync_runs WHERE run_id = $1 AND decision = 'approve' AND decided_via = 'console' AND decided_by = $2`, held.RunID, tech))

	// Preview: nothing is applied, the summary text is shown.
	changes := s.count(`SELECT count(*) FROM change_log`)
	c.do(techTab, chromedp.Navigate(org+"/preview"), chromedp.WaitVisible(chromedp.CSS("#start-preview")))
	c.clickAndLoad(techTab, "#start-preview")
	c.do(techTab, chromedp.WaitVisible(chromedp.CSS("#preview-text")))
	require.Contains(t, c.text(techTab, "#preview-verdict"), "A sync now would end no changes")
	require.Contains(t, c.text(techTab, "#preview-text"), "Rostersync · Acme <Test> & Co: no changes")
	require.Equal(t, changes, s.count(`SELECT count(*) FROM change_log`))

	// The picture, for a day ahead.
	day := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	c.do(techTab, chromedp.Navigate(org+"/picture?as_of="+day), chromedp.WaitVisible(chromedp.CSS("#picture")))
	loaded := false
	for i := 0; i < 50 && !loaded; i++ {
		w, err := chromedp.Run(techTab, chromedp.Evaluate[int](`document.getElementById("picture").naturalWidth`))
		loaded = err == nil && w > 200
		time.Sleep(100 * time.Millisecond)
	}
	require.True(t, loaded, "the chart picture did not load")

	// Options: exclude contractors, shown by `starter status`.
	c.do(techTab, chromedp.Navigate(org+"/options"), chromedp.WaitVisible(chromedp.CSS("#exclude-types")),
		chromedp.SetValue(chromedp.CSS("#exclude-types"), "contractor"))
	c.clickAndLoad(techTab, "#save-options")
	require.Contains(t, c.text(techTab, ".flash"), "Saved")
	require.True(t, strings.Contains(s.mustRun("status", "--org", s.org), "scope: not types contractor"))
	c.do(techTab, chromedp.SetValue(chromedp.CSS("#exclude-types"), "robots"))
	c.clickAndLoad(techTab, "#save-options")
	require.Contains(t, c.text(techTab, ".field-error"), "not an employment type")
}
