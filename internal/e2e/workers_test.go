package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
)

// extraOrg is one more org on a stack, with its own Justworks sandbox.
type extraOrg struct {
	id     string
	people int
	sb     *sandbox.Server
}

func (s *stack) addOrg(t *testing.T, n, people int) extraOrg {
	t.Helper()
	secret, err := sandbox.GenerateTOTPSecret()
	require.NoError(t, err)
	o := extraOrg{id: fmt.Sprintf("%s-%d", s.org, n), people: people}
	user, pw := fmt.Sprintf("ops%d@org%d.example", n, n), "pw-"+randHex(8)
	o.sb, err = sandbox.New(sandbox.Config{People: people, Seed: int64(100 + n), Username: user, Password: pw, TOTPSecret: secret})
	require.NoError(t, err)
	srv := httptest.NewServer(o.sb)
	t.Cleanup(srv.Close)
	pwFile, totpFile := filepath.Join(s.dir, o.id+".pw"), filepath.Join(s.dir, o.id+".totp")
	require.NoError(t, os.WriteFile(pwFile, []byte(pw), 0o600))
	require.NoError(t, os.WriteFile(totpFile, []byte(secret), 0o600))
	h := o.sb.Head()
	s.mustRun("org", "set", "--org", o.id, "--name", fmt.Sprintf("Org %d", n), "--justworks-url", srv.URL,
		"--username", user, "--password-file", pwFile, "--totp-secret-file", totpFile,
		"--head", orgtree.DisplayName(h.GivenName, h.FamilyName, h.PreferredName),
		"--notify", fmt.Sprintf("people@org%d.example,cfo@org%d.example", n, n), "--as", owner)
	s.mustRun("user", "set", "--org", o.id, "--email", tech, "--level", "technical_owner", "--as", owner)
	return o
}

// Two worker processes share one task queue while four orgs sync at once;
// the worker running a fetch is SIGKILLed midway. Every sync is applied
// exactly once, every person stored once, and every recipient gets exactly
// one email per run.
func TestSeveralWorkersOneKilled(t *testing.T) {
	const orgs, people = 4, 2500 // 25 pages each at the contract's 10 req/s: ~2.5 s of fetching per org
	s := newStack(t, sandbox.Config{People: 10})
	s.startWorker(s.workerBin) // the second worker on the same task queue
	var all []extraOrg
	for i := 1; i <= orgs; i++ {
		all = append(all, s.addOrg(t, i, people))
	}

	type result struct {
		org string
		r   syncOut
		err string
	}
	results := make(chan result, orgs)
	var wg sync.WaitGroup
	for _, o := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errOut, code := s.run("sync", "--org", o.id, "--as", tech, "--json")
			r := result{org: o.id, err: errOut}
			if jerr := json.Unmarshal([]byte(out), &r.r); jerr != nil {
				r.err += "\nstdout: " + out
			}
			r.r.code = code
			results <- r
		}()
	}

	// Once the fetches are under way, kill the worker that runs one of them.
	ctx := context.Background()
	var victim int
	require.Eventually(t, func() bool {
		for _, o := range all {
			if o.sb.Stats().MemberRequests < people/100/2 { // half of this org's pages
				continue
			}
			d, err := describeRaw(s.tc, ctx, "sync-roster:"+o.id, "")
			if err != nil {
				continue
			}
			for _, pa := range d.GetPendingActivities() {
				if pa.GetActivityType().GetName() != "FetchMembers" || pa.GetState() != enums.PENDING_ACTIVITY_STATE_STARTED {
					continue
				}
				pid, _, _ := strings.Cut(pa.GetLastWorkerIdentity(), "@") // the SDK's default identity is pid@host@
				n, err := strconv.Atoi(pid)
				if err != nil {
					continue
				}
				for _, w := range s.workers {
					if w.Process.Pid == n {
						victim = n
						return true
					}
				}
			}
		}
		return false
	}, time.Minute, 20*time.Millisecond, "no fetch started")
	var pages int
	for _, o := range all {
		pages += o.sb.Stats().MemberRequests
	}
	for _, w := range s.workers {
		if w.Process.Pid == victim {
			require.NoError(t, w.Process.Kill())
		}
	}
	t.Logf("SIGKILLed worker pid %d after %d member pages of %d", victim, pages, orgs*people/100)
	start := time.Now()

	wg.Wait()
	close(results)
	t.Logf("all syncs finished %s after the kill", time.Since(start).Round(time.Second))
	for r := range results {
		require.Equal(t, 0, r.r.code, "%s: %+v\n%s", r.org, r.r, r.err)
		require.Equal(t, "applied", r.r.Outcome, "%s: %+v", r.org, r.r)
		require.Equal(t, people, r.r.Hires, "%s: every member exactly once", r.org)
	}

	// Exactly one applied run per org, each person stored once.
	for _, o := range all {
		require.Equal(t, 1, s.count("SELECT count(*) FROM sync_runs WHERE org_id = $1 AND outcome = 'applied'", o.id), o.id)
		require.Equal(t, people, s.count("SELECT count(*) FROM people WHERE org_id = $1", o.id), o.id)
		require.Equal(t, people, s.count("SELECT count(*) FROM change_log WHERE org_id = $1 AND kind = 'hire'", o.id), "%s: a change written twice", o.id)
	}
	// Exactly one email per run and recipient.
	_, err := s.smtp.WaitFor(2*orgs, time.Minute)
	require.NoError(t, err)
	time.Sleep(2 * time.Second) // a late duplicate would arrive now
	msgs := s.smtp.Messages()
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.Header.Get("Message-Id")+" "+strings.Join(m.To, ",")]++
	}
	require.Len(t, msgs, 2*orgs, "emails: %v", seen)
	for k, n := range seen {
		require.Equal(t, 1, n, "doubled email %s", k)
	}

	// The killed worker's fetch was retried elsewhere: some activity ran a
	// second attempt.
	retried := 0
	for _, o := range all {
		it := s.tc.GetWorkflowHistory(ctx, "sync-roster:"+o.id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetAttempt() > 1 {
				retried++
			}
		}
	}
	require.Positive(t, retried, "no activity was retried after the kill")
}
