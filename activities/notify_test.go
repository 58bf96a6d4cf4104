package activities_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/mail"
)

// silentSMTP accepts connections and never says a word: a send to it waits
// until its deadline.
func silentSMTP(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A send cut off by the activity's own deadline (not the SMTP timeout) must
// give its claim back: the retry then sends. Today's regression: releasing
// with the expired context failed, the claim stayed, and every retry skipped
// the recipient, so nobody got the email.
func TestNotifyDeadlineReleasesClaim(t *testing.T) {
	f := newFixture(t, 10)
	in := activities.NotifyInput{RunRef: f.run, RequestedBy: tech, Outcome: domain.OutcomeRefused, Reason: "test refusal"}

	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	cut := *f.a
	cut.Mail = mail.Sender{Addr: silentSMTP(t), From: "rostersync@acme.example", Timeout: time.Minute}
	env.RegisterActivity(&cut)
	_, err := env.ExecuteActivity(cut.SendSyncSummary, in)
	require.Error(t, err, "the cut-off send must fail the attempt")

	// The retry (a healthy SMTP server now) delivers to both recipients.
	v, err := f.env.ExecuteActivity(f.a.SendSyncSummary, in)
	require.NoError(t, err)
	var res activities.NotifyResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, 2, res.Sent, "the retry must be able to send: %+v", res)
	_, err = f.smtp.WaitFor(2, 10*time.Second)
	require.NoError(t, err)
}
