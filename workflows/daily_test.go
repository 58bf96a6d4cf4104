package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
)

// The schedule's action runs the org's sync under its fixed ID as a child.
func TestDailySyncRunsTheFixedIDSync(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SyncRoster)
	env.RegisterActivity(&activities.Activities{})
	var childID string
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		childID = info.WorkflowExecution.ID
	})
	env.OnActivity(a.Authorize, mock.Anything, mock.Anything).Return(okAuth, nil)
	env.OnActivity(a.Login, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.FetchMembers, mock.Anything, mock.Anything).Return(okFetch, nil)
	env.OnActivity(a.ResolveOrgTree, mock.Anything, mock.Anything).Return(okTree, nil)
	env.OnActivity(a.ApplyRoster, mock.Anything, mock.Anything).Return(activities.ApplyResult{Outcome: domain.OutcomeApplied, Counts: okCounts}, nil)
	env.OnActivity(a.SendSyncSummary, mock.Anything, mock.Anything).Return(activities.NotifyResult{Sent: 1}, nil)
	env.OnActivity(a.FinishRun, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(DailySync, in)
	require.NoError(t, env.GetWorkflowError())
	var sum SyncSummary
	require.NoError(t, env.GetWorkflowResult(&sum))
	require.Equal(t, domain.OutcomeApplied, sum.Outcome)
	require.Equal(t, WorkflowID("acme"), childID)
}

// A sync started under another ID (Temporal Web's random default) delegates
// to the fixed-ID sync instead of running a second sync of the org.
func TestSyncUnderOtherIDDelegates(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SyncRoster)
	env.RegisterActivity(&activities.Activities{})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "some-random-id"})
	env.OnWorkflow(SyncRoster, mock.Anything, mock.Anything).Return(SyncSummary{Org: "acme", Outcome: domain.OutcomeNoChanges}, nil)
	env.ExecuteWorkflow(SyncRoster, in)
	require.NoError(t, env.GetWorkflowError())
	var sum SyncSummary
	require.NoError(t, env.GetWorkflowResult(&sum))
	require.Equal(t, domain.OutcomeNoChanges, sum.Outcome)
}
