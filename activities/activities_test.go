package activities_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/mail"
	"github.com/rostersync/rostersync/internal/mail/mailtest"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/internal/testenv"
)

// fixture runs activities against real PostgreSQL, the sandbox over HTTP and
// a real SMTP peer, inside the SDK's activity test environment.
type fixture struct {
	a     *activities.Activities
	st    *store.Store
	sb    *sandbox.Server
	smtp  *mailtest.Server
	creds justworks.Credentials
	url   string
	env   *testsuite.TestActivityEnvironment
	run   activities.RunRef
}

const tech = "tech@acme.example"

func newFixture(t *testing.T, people int) *fixture {
	ctx := context.Background()
	st, err := store.Open(ctx, testenv.NewDatabase(t), zap.NewNop())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(ctx))
	sealer, err := secrets.ParseKey(secrets.GenerateKey())
	require.NoError(t, err)
	totp, err := sandbox.GenerateTOTPSecret()
	require.NoError(t, err)
	creds := justworks.Credentials{Username: sandbox.DefaultUsername, Password: "pw-for-tests-only", TOTPSecret: totp}
	sb, err := sandbox.New(sandbox.Config{People: people, Seed: 3, Password: creds.Password, TOTPSecret: totp, RateLimit: -1})
	require.NoError(t, err)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)

	seal := func(v, aad string) []byte {
		b, err := sealer.Seal([]byte(v), aad)
		require.NoError(t, err)
		return b
	}
	h := sb.Head()
	_, err = st.UpsertOrg(ctx, store.Org{ID: "acme", Name: "Acme", JustworksURL: srv.URL, Username: creds.Username,
		SealedPassword: seal(creds.Password, secrets.PasswordAAD("acme")), SealedTOTPSecret: seal(totp, secrets.TOTPSecretAAD("acme")),
		HeadName: orgtree.DisplayName(h.GivenName, h.FamilyName, h.PreferredName), Notify: []string{"a@acme.example", "b@acme.example"},
		TimeZone: "UTC", SafetyThreshold: 0.2})
	require.NoError(t, err)
	require.NoError(t, st.SetUser(ctx, "acme", tech, domain.LevelTechnicalOwner))

	smtp := mailtest.Start(t)
	f := &fixture{st: st, sb: sb, smtp: smtp, creds: creds, url: srv.URL,
		run: activities.RunRef{Org: "acme", RunID: "run-1", WorkflowID: "sync-roster:acme"}}
	f.a = &activities.Activities{Store: st, Secrets: sealer, Mail: mail.Sender{Addr: smtp.Addr(), From: "rostersync@acme.example"},
		Log: zap.NewNop(), JustworksRateLimit: -1, WebURL: "http://web.example", Namespace: "default"}
	var ts testsuite.WorkflowTestSuite
	f.env = ts.NewTestActivityEnvironment()
	f.env.RegisterActivity(f.a)
	_, err = f.env.ExecuteActivity(f.a.Authorize, activities.AuthorizeInput{RunRef: f.run, RequestedBy: tech})
	require.NoError(t, err)
	return f
}

// A retried fetch resumes at the heartbeated cursor: it asks Justworks only
// for the pages not yet staged, and the staged roster ends complete.
func TestFetchResumesFromHeartbeatCursor(t *testing.T) {
	f := newFixture(t, 1000)
	ctx := context.Background()

	// The first attempt staged three pages, then died.
	c, err := justworks.New(justworks.Config{BaseURL: f.url, RateLimit: -1}, f.creds)
	require.NoError(t, err)
	var staged []justworks.Member
	var cursor string
	pages := 0
	err = c.ListMembers(ctx, "", func(p justworks.Page) error {
		if pages == 3 {
			return errStop
		}
		staged = append(staged, p.Members...)
		cursor = p.NextCursor
		pages++
		return nil
	})
	require.ErrorIs(t, err, errStop)
	require.NoError(t, f.st.StageMembers(ctx, f.run.RunID, 0, staged))
	sealed, err := f.a.Secrets.Seal([]byte(c.Token()), secrets.SessionAAD(f.run.RunID))
	require.NoError(t, err)
	require.NoError(t, f.st.SaveSession(ctx, f.run.RunID, sealed))

	f.sb.ResetStats()
	f.env.SetHeartbeatDetails(activities.FetchProgress{Cursor: cursor, NextSeq: int64(len(staged)), Pages: 3, Received: len(staged)})
	v, err := f.env.ExecuteActivity(f.a.FetchMembers, f.run)
	require.NoError(t, err)
	var res activities.FetchResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, 1000, res.Staged)
	require.Equal(t, 10, res.Pages)
	require.Equal(t, 7, f.sb.Stats().MemberRequests, "only the pages after the cursor are fetched again")
	require.Zero(t, f.sb.Stats().LoginAttempts, "the run's session is continued")
}

type stopErr struct{}

func (stopErr) Error() string { return "stop" }

var errStop = stopErr{}

// However often the notify step is retried, each recipient gets the run's
// summary once; a temporary SMTP failure is retried, and delivers once.
func TestSummaryEmailAtMostOncePerRun(t *testing.T) {
	f := newFixture(t, 50)
	for _, step := range []any{f.a.Login, f.a.FetchMembers} {
		_, err := f.env.ExecuteActivity(step, f.run)
		require.NoError(t, err)
	}
	h := f.sb.Head()
	_, err := f.env.ExecuteActivity(f.a.ResolveOrgTree, activities.ResolveInput{RunRef: f.run, HeadName: orgtree.DisplayName(h.GivenName, h.FamilyName, h.PreferredName)})
	require.NoError(t, err)
	v, err := f.env.ExecuteActivity(f.a.ApplyRoster, activities.ApplyInput{RunRef: f.run})
	require.NoError(t, err)
	var applied activities.ApplyResult
	require.NoError(t, v.Get(&applied))
	require.Equal(t, domain.OutcomeApplied, applied.Outcome)
	in := activities.NotifyInput{RunRef: f.run, RequestedBy: tech, Outcome: applied.Outcome, Counts: applied.Counts}

	// The SMTP server is briefly unwell: nothing is delivered, the step fails for a retry.
	f.smtp.SetFault(mailtest.CmdRcpt, 451)
	_, err = f.env.ExecuteActivity(f.a.SendSyncSummary, in)
	require.Error(t, err)
	require.Empty(t, f.smtp.Messages())

	f.smtp.SetFault(mailtest.CmdRcpt, 0)
	for attempt := 1; attempt <= 3; attempt++ {
		v, err = f.env.ExecuteActivity(f.a.SendSyncSummary, in)
		require.NoError(t, err)
		var res activities.NotifyResult
		require.NoError(t, v.Get(&res))
		if attempt == 1 {
			require.Equal(t, 2, res.Sent)
		} else {
			require.Equal(t, 0, res.Sent)
			require.Equal(t, 2, res.Skipped)
		}
	}
	msgs := f.smtp.Messages()
	require.Len(t, msgs, 2)
	require.Contains(t, msgs[0].Subject, "50 hires")
	require.Contains(t, msgs[0].Text, "http://web.example/namespaces/default/workflows/sync-roster:acme/run-1/history")
}

// A heartbeat that counts on staged rows which are gone (a restored
// database) restarts the fetch: resuming would leave holes in the roster.
func TestFetchRestartsWhenStagedRowsAreMissing(t *testing.T) {
	f := newFixture(t, 500)
	f.env.SetHeartbeatDetails(activities.FetchProgress{Cursor: "stale-cursor", NextSeq: 300, Pages: 3, Received: 300})
	v, err := f.env.ExecuteActivity(f.a.FetchMembers, f.run)
	require.NoError(t, err)
	var res activities.FetchResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, 500, res.Staged)
	require.Equal(t, 5, res.Pages)
	require.Equal(t, 5, f.sb.Stats().MemberRequests, "every page is fetched again")
}

// A session that expires during the fetch is replaced through the login
// guard (probe first), and the new one is stored: the fetch's next attempt
// and the org's next sync continue it instead of sending the password again.
func TestFetchStoresTheRefreshedSession(t *testing.T) {
	f := newFixture(t, 500)
	_, err := f.env.ExecuteActivity(f.a.Login, f.run)
	require.NoError(t, err)
	ctx := context.Background()
	before, err := f.st.LoadSession(ctx, f.run.RunID)
	require.NoError(t, err)

	f.sb.SetFaults(sandbox.Faults{TokenExpiryAfter: 3})
	f.sb.ResetStats()
	_, err = f.env.ExecuteActivity(f.a.FetchMembers, f.run)
	require.NoError(t, err)
	st := f.sb.Stats()
	require.Positive(t, st.LoginAttempts, "the session expired during the fetch")
	require.Equal(t, st.LoginAttempts, st.LoginProbes, "every re-login probed the login endpoint first")

	after, err := f.st.LoadSession(ctx, f.run.RunID)
	require.NoError(t, err)
	require.NotEqual(t, before, after, "the refreshed session is stored")
	tok, err := f.a.Secrets.Open(after, secrets.SessionAAD(f.run.RunID))
	require.NoError(t, err)

	// It is the live one: a client given it needs no login.
	f.sb.SetFaults(sandbox.Faults{})
	f.sb.ResetStats()
	c, err := justworks.New(justworks.Config{BaseURL: f.url, RateLimit: -1}, justworks.Credentials{})
	require.NoError(t, err)
	c.SetToken(string(tok))
	_, err = c.Company(ctx)
	require.NoError(t, err)
	require.Zero(t, f.sb.Stats().LoginAttempts)
	g, err := f.st.LoginGuard(ctx, "acme")
	require.NoError(t, err)
	require.Zero(t, g.Unheard, "every step was heard")
}
