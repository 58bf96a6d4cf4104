package e2e

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/workflows"
)

// holdApplyLock takes the org's apply lock in a session of its own, so the
// next apply waits inside its transaction, before anything is written; the
// returned func releases it.
func (s *stack) holdApplyLock() (release func()) {
	s.t.Helper()
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	require.NoError(s.t, err)
	_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtextextended('rostersync.apply:' || $1, 0))", s.org)
	require.NoError(s.t, err)
	return func() {
		_, _ = conn.ExecContext(ctx, "SELECT pg_advisory_unlock_all()")
		conn.Close()
	}
}

// applyWaiters counts sessions of the stack's database waiting for the apply
// lock (an apply blocked by holdApplyLock).
func (s *stack) applyWaiters() int {
	return s.count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND wait_event_type = 'Lock' AND query LIKE '%rostersync.apply:%' AND pid <> pg_backend_pid()`)
}

func (s *stack) pendingActivity(wfID string) string {
	d, err := describeRaw(s.tc, context.Background(), wfID, "")
	if err != nil {
		return ""
	}
	for _, pa := range d.GetPendingActivities() {
		return pa.GetActivityType().GetName()
	}
	return ""
}

// Terminate and cancel during the apply do what docs/operations.md says:
//   - terminate: the apply hears of it through its heartbeat and rolls back;
//     nothing is written and the run stays unfinished (its staging is
//     pruned later);
//   - cancel: the apply is the commit point and is not interrupted; the run
//     finishes, records "applied", and the chart holds the roster.
func TestTerminateAndCancelDuringApply(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 150})
	s.setupOrg()
	ctx := context.Background()
	wfID := workflows.WorkflowID(s.org)

	release := s.holdApplyLock()
	s.mustRun("sync", "--org", s.org, "--as", tech)
	require.Eventually(t, func() bool { return s.applyWaiters() == 1 }, 2*time.Minute, 200*time.Millisecond, "the apply never started")
	require.Equal(t, "ApplyRoster", s.pendingActivity(wfID))
	d, err := describeRaw(s.tc, ctx, wfID, "")
	require.NoError(t, err)
	runID := d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	require.NoError(t, s.tc.TerminateWorkflow(ctx, wfID, "", "operator terminates mid-apply"))
	// The apply gives up waiting: its heartbeat heard of the termination.
	require.Eventually(t, func() bool { return s.applyWaiters() == 0 }, 30*time.Second, 200*time.Millisecond,
		"the terminated run's apply is still waiting to write")
	release()
	time.Sleep(3 * time.Second) // a commit, had one been coming, lands in well under this
	require.Zero(t, s.count("SELECT count(*) FROM people WHERE org_id = $1", s.org), "a terminated run wrote the chart")
	require.Zero(t, s.count("SELECT count(*) FROM change_log WHERE org_id = $1", s.org))
	var result sql.NullString
	require.NoError(t, s.db.QueryRow("SELECT result::text FROM sync_runs WHERE run_id = $1", runID).Scan(&result))
	require.False(t, result.Valid, "a terminated run recorded an apply result")

	// Cancel: the apply finishes and the run records it.
	release = s.holdApplyLock()
	s.mustRun("sync", "--org", s.org, "--as", tech)
	require.Eventually(t, func() bool { return s.applyWaiters() == 1 }, 2*time.Minute, 200*time.Millisecond)
	require.NoError(t, s.tc.CancelWorkflow(ctx, wfID, ""))
	time.Sleep(2 * time.Second)
	require.Equal(t, 1, s.applyWaiters(), "a cancellation interrupted the apply")
	release()
	r := s.sync(tech) // joins the cancelled-but-finishing run
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Equal(t, 150, s.count("SELECT count(*) FROM people WHERE org_id = $1", s.org))
	d, err = describeRaw(s.tc, ctx, wfID, r.RunID)
	require.NoError(t, err)
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, d.GetWorkflowExecutionInfo().GetStatus())
	require.Equal(t, 1, s.count("SELECT count(*) FROM sync_runs WHERE run_id = $1 AND outcome = 'applied' AND finished_at IS NOT NULL", r.RunID))
}
