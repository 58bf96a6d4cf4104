package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/sandbox"
)

// A worker killed in the middle of a fetch (SIGKILL: no goodbye) costs a
// heartbeat timeout, not the sync: another worker resumes the fetch at the
// last staged page, and the sync ends with everyone exactly once.
func TestWorkerCrashMidFetchResumes(t *testing.T) {
	const people, pageSize = 6000, 100 // 60 pages at the contract's 10 req/s: ~6 s of fetching
	s := newStack(t, sandbox.Config{People: people, Seed: 21})
	s.setupOrg()
	s.mustRun("sync", "--org", s.org, "--as", tech)

	// Let about half the pages arrive, then kill the worker.
	require.Eventually(t, func() bool { return s.sandbox.Stats().MemberRequests >= 30 }, time.Minute, 50*time.Millisecond)
	require.NoError(t, s.workers[0].Process.Kill())
	before := s.sandbox.Stats().MemberRequests
	s.startWorker(s.workerBin)

	start := time.Now()
	r := s.sync(tech) // joins the running sync and waits for it
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Equal(t, people, r.Hires, "every member exactly once")
	t.Logf("killed after %d page requests; the sync finished %s later", before, time.Since(start).Round(time.Second))

	// Resumed, not restarted: at most one staging batch (2,000 rows = 20
	// pages) is fetched again; a restart would fetch all 60 pages again.
	total := s.sandbox.Stats().MemberRequests
	require.Less(t, total, people/pageSize+before, "the fetch started over instead of resuming")
	require.LessOrEqual(t, total, people/pageSize+20+1)
	x, _ := s.export()
	require.Len(t, x.People, people)
}
