package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/mail/mailtest"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/testenv"
	"github.com/rostersync/rostersync/workflows"
)

// The worker sends the summary through a relay that requires STARTTLS and a
// login (Mailpit), configured by environment; the messages arrive and are
// read back through Mailpit's API. With a wrong password the email step fails
// once, not retried, naming the settings to fix, and the password appears in
// no log.
func TestSummaryThroughSecuredRelay(t *testing.T) {
	const goodPW, badPW = "relay-pw-0f7c1d", "wrong-pw-9a2b44"
	pki := testenv.NewPKI(t)
	mp := mailtest.StartMailpit(t, testenv.Bin(t, "mailpit"), mailtest.MailpitOptions{
		TLSCert: pki.ServerCert, TLSKey: pki.ServerKey, RequireSTARTTLS: true,
		Users: map[string]string{"rostersync": goodPW},
	})
	dir := t.TempDir()
	goodFile, badFile := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(goodFile, []byte(goodPW+"\n"), 0o600))
	require.NoError(t, os.WriteFile(badFile, []byte(badPW+"\n"), 0o600))

	s := newStack(t, sandbox.Config{People: 30}, withEnv("SMTP_ADDR="+mp.SMTPAddr, "SMTP_TLS=starttls",
		"SMTP_TLS_CA_FILE="+pki.CAFile, "SMTP_USERNAME=rostersync", "SMTP_PASSWORD_FILE="+goodFile))
	s.setupOrg()
	r := s.sync(tech)
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	msgs, err := mp.WaitFor(2, 30*time.Second)
	require.NoError(t, err)
	var to []string
	for _, m := range msgs {
		require.Len(t, m.To, 1)
		to = append(to, m.To[0].Address)
		require.Contains(t, m.Subject, "30 hires")
		require.Contains(t, m.Text, r.RunID)
	}
	require.ElementsMatch(t, []string{"people@acme.example", "cfo@acme.example"}, to)
	require.Zero(t, len(s.smtp.Messages()), "mail went to the default catcher, not the relay")

	// The same worker with a wrong password.
	stopWorker(t, s.workers[0])
	s.env = append(s.env, "SMTP_PASSWORD_FILE="+badFile)
	s.startWorker(s.workerBin)
	r = s.sync(tech)
	require.Equal(t, "no_changes", r.Outcome, "a lost email must not fail the sync: %+v", r)

	keys, err := codec.FromEnv(s.getenv)
	require.NoError(t, err)
	fc := codec.FailureConverter(keys)
	ctx := context.Background()
	scheduled := map[int64]string{}
	var failures, attempts int
	it := s.tc.GetWorkflowHistory(ctx, r.WorkflowID, r.RunID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && scheduled[a.GetScheduledEventId()] == "SendSyncSummary" {
			attempts = int(a.GetAttempt())
		}
		if a := ev.GetActivityTaskFailedEventAttributes(); a != nil && scheduled[a.GetScheduledEventId()] == "SendSyncSummary" {
			failures++
			require.True(t, a.GetFailure().GetApplicationFailureInfo().GetNonRetryable(), "a wrong password must not be retried")
			msg := workflows.FailureMessage(fc.FailureToError(a.GetFailure()))
			t.Logf("SendSyncSummary failed: %s", msg)
			require.Contains(t, msg, "535")
			require.Contains(t, msg, "SMTP_USERNAME and SMTP_PASSWORD (or SMTP_PASSWORD_FILE)")
			require.NotContains(t, msg, badPW)
		}
	}
	require.Equal(t, 1, failures)
	require.Equal(t, 1, attempts, "the email step ran more than once")
	left, err := mp.Messages(ctx)
	require.NoError(t, err)
	require.Len(t, left, 2, "nothing more arrived")

	for i := range s.workers {
		b, err := os.ReadFile(filepath.Join(s.dir, fmt.Sprintf("worker-%d.log", i)))
		require.NoError(t, err)
		for _, pw := range []string{goodPW, badPW} {
			require.False(t, strings.Contains(string(b), pw), "worker-%d.log holds an SMTP password", i)
		}
	}
}
