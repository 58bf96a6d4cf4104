package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/workflows"
)

// A worker killed after it staged more rows than its last heartbeat reports
// (the SDK holds heartbeats back) must not let those rows outrank the fresh
// copies its retry fetches. Between the crash and the retry, 120 members are
// removed from the pages the retry fetches again, so a member that changed
// comes back on an earlier page, under a lower staging seq than its stale
// copy: the fresh copy must still win, and the removed people must not be
// stored from their stale copies.
func TestCrashedFetchNeverLetsAStaleCopyWin(t *testing.T) {
	const people = 6000 // 60 pages of 100; a COPY every 2,000 rows
	s := newStack(t, sandbox.Config{People: people, Seed: 23})
	s.setupOrg()
	s.mustRun("sync", "--org", s.org, "--as", tech)

	// Kill the worker once two COPYs are staged: the first one's heartbeat
	// went out at once, the second one's is held back by the SDK.
	require.Eventually(t, func() bool {
		return s.count("SELECT count(*) FROM staging_members") >= 4000
	}, time.Minute, 20*time.Millisecond)
	require.NoError(t, s.workers[0].Process.Kill())
	_, _ = s.workers[0].Process.Wait()

	ctx := context.Background()
	keys, err := codec.FromEnv(s.getenv)
	require.NoError(t, err)
	desc, err := describeRaw(s.tc, ctx, workflows.WorkflowID(s.org), "")
	require.NoError(t, err)
	require.Len(t, desc.PendingActivities, 1)
	var beat domain.FetchProgress
	require.NoError(t, codec.DataConverter(keys).FromPayloads(desc.PendingActivities[0].HeartbeatDetails, &beat))
	staged := s.count("SELECT count(*) FROM staging_members")
	require.Greater(t, beat.NextSeq, int64(0), "the first COPY's heartbeat reached the server")
	require.Greater(t, int64(staged), beat.NextSeq, "more rows staged than heartbeated")

	// The member staged last (past the heartbeat) changes, and 120 members
	// between the resume point and it leave, so it moves to an earlier page.
	var changed string
	require.NoError(t, s.db.QueryRow("SELECT id FROM staging_members ORDER BY seq DESC LIMIT 1").Scan(&changed))
	var gone []string
	rows, err := s.db.Query("SELECT id FROM staging_members WHERE seq >= $1 AND id <> $2 ORDER BY seq LIMIT 120",
		beat.NextSeq+10, s.sandbox.Head().ID)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		gone = append(gone, id)
	}
	require.NoError(t, rows.Err())
	require.Len(t, gone, 120)
	const freshTitle = "Title set after the crash"
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		require.True(t, r.SetTitle(changed, freshTitle))
		for _, id := range gone {
			require.True(t, r.Remove(id))
		}
	})

	s.startWorker(s.workerBin)
	r := s.sync(tech) // joins the running sync and waits for it
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Equal(t, people-len(gone), r.Hires, "the removed members' stale copies were applied")

	x, _ := s.export()
	byID := map[string]map[string]any{}
	for _, p := range x.People {
		byID[p["id"].(string)] = p
	}
	require.Len(t, byID, people-len(gone))
	require.Equal(t, freshTitle, byID[changed]["job_title"], "the stale copy of %s won", changed)
	for _, id := range gone {
		require.NotContains(t, byID, id)
	}
}
