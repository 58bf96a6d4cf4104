package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/testenv"
)

// An operator starts a sync the way Temporal Web's "Start Workflow" form
// does: workflow type SyncRoster, the task queue, any workflow ID, and a
// plain-JSON input. It runs as the org's one fixed-ID sync, and the access
// gate still applies.
func TestStartLikeTemporalWeb(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 25})
	s.setupOrg()
	ctx := context.Background()
	start := func(who string) {
		t.Helper()
		cmd := exec.Command(testenv.Bin(t, "temporal"), "workflow", "start",
			"--address", s.getenv("TEMPORAL_ADDRESS"), "--namespace", "default",
			"--type", "SyncRoster", "--task-queue", s.getenv("ROSTERSYNC_TASK_QUEUE"),
			"--workflow-id", "from-the-ui-"+randHex(4),
			"--input", fmt.Sprintf(`{"org": %q, "requested_by": %q}`, s.org, who))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	waitFixed := func() enums.WorkflowExecutionStatus {
		t.Helper()
		var status enums.WorkflowExecutionStatus
		require.Eventually(t, func() bool {
			d, err := describeRaw(s.tc, ctx, "sync-roster:"+s.org, "")
			if err != nil {
				return false
			}
			status = d.WorkflowExecutionInfo.GetStatus()
			return status != enums.WORKFLOW_EXECUTION_STATUS_RUNNING
		}, time.Minute, 200*time.Millisecond)
		return status
	}

	start(tech)
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, waitFixed())
	x, _ := s.export()
	require.Len(t, x.People, 25)

	s.sandbox.ResetStats()
	start(admin)
	require.Eventually(t, func() bool { return waitFixed() == enums.WORKFLOW_EXECUTION_STATUS_FAILED }, time.Minute, time.Second)
	require.ErrorContains(t, s.tc.GetWorkflow(ctx, "sync-roster:"+s.org, "").Get(ctx, nil), "technical_owner")
	require.Zero(t, s.sandbox.Stats().Requests)
}
