package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/workflows"
)

// startMismatched starts a sync under the org's fixed ID with another org in
// its input, as a hand-written Temporal Web start could.
func (s *stack) startMismatched(ctx context.Context) (client.WorkflowRun, error) {
	return s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(s.org), TaskQueue: s.getenv("ROSTERSYNC_TASK_QUEUE")},
		workflows.SyncRoster, workflows.SyncInput{Org: s.org + "-other", RequestedBy: tech})
}

// A start under one org's fixed ID naming another org is refused (BadInput)
// and starts nothing for the other org.
func TestStartUnderAnotherOrgsIDIsRefused(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 20})
	s.setupOrg()
	ctx := context.Background()
	run, err := s.startMismatched(ctx)
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	require.Error(t, err)
	require.Equal(t, domain.ErrTypeBadInput, workflows.ErrorType(err), "%v", err)
	_, err = describeRaw(s.tc, ctx, workflows.WorkflowID(s.org+"-other"), "")
	require.Error(t, err, "the other org's sync was started")
}

// triggerDaily triggers the org's schedule and returns the fixed-ID run the
// scheduled DailySync started, once that run is closed.
func (s *stack) triggerDaily(ctx context.Context) (workflowID, runID string) {
	s.t.Helper()
	h := s.tc.ScheduleClient().GetHandle(ctx, workflows.ScheduleID(s.org))
	before := map[string]bool{}
	if d, err := h.Describe(ctx); err == nil {
		for _, a := range d.Info.RecentActions {
			before[a.StartWorkflowResult.WorkflowID] = true
		}
	}
	require.NoError(s.t, h.Trigger(ctx, clientTrigger()))
	var parentID string
	require.Eventually(s.t, func() bool {
		d, err := h.Describe(ctx)
		if err != nil {
			return false
		}
		for _, a := range d.Info.RecentActions {
			if !before[a.StartWorkflowResult.WorkflowID] {
				parentID = a.StartWorkflowResult.WorkflowID
				return true
			}
		}
		return false
	}, time.Minute, 200*time.Millisecond, "the schedule started nothing")
	require.Eventually(s.t, func() bool {
		d, err := describeRaw(s.tc, ctx, parentID, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING
	}, 3*time.Minute, 200*time.Millisecond, "the scheduled run %s never finished", parentID)
	d, err := describeRaw(s.tc, ctx, workflows.WorkflowID(s.org), "")
	if err != nil {
		perr := s.tc.GetWorkflow(ctx, parentID, "").Get(ctx, nil)
		s.t.Fatalf("scheduled run %s ended (%v) without starting the org's sync: %v", parentID, perr, err)
	}
	return workflows.WorkflowID(s.org), d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

// demoteScheduleOwner hands the schedule to tech, then demotes tech: the
// next scheduled run is refused at authorize.
func (s *stack) demoteScheduleOwner() {
	s.t.Helper()
	s.mustRun("user", "set", "--org", s.org, "--email", tech, "--level", "owner", "--as", owner)
	s.mustRun("org", "set", "--org", s.org, "--daily", "06:30", "--tz", "Europe/Berlin", "--as", tech)
	s.mustRun("user", "set", "--org", s.org, "--email", tech, "--level", "admin", "--as", owner)
}

// A scheduled run refused at authorize (its owner lost the right to sync)
// emails the org's notification list instead of stopping silently.
func TestScheduledRefusalEmailsTheList(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 20})
	s.setupOrg()
	s.demoteScheduleOwner()
	ctx := context.Background()
	wfID, runID := s.triggerDaily(ctx)
	msgs, err := s.smtp.WaitFor(2, 30*time.Second)
	require.NoError(t, err, "no refusal email")
	var to []string
	for _, m := range msgs {
		to = append(to, m.To[0])
		require.Contains(t, m.Text, tech, "the email says whose schedule was refused")
		require.True(t, strings.Contains(m.Text, runID), "the email links the run")
	}
	require.ElementsMatch(t, []string{"people@acme.example", "cfo@acme.example"}, to)
	require.Equal(t, 1, s.count("SELECT count(*) FROM sync_runs WHERE run_id = $1 AND outcome = 'refused'", runID), "run %s %s", wfID, runID)
	require.Zero(t, s.sandbox.Stats().LoginAttempts, "Justworks was not touched")
}
