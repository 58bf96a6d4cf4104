package workflows

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
)

// Under another org's fixed ID the sync refuses (BadInput) and starts
// nothing: whoever joins "sync-roster:acme" must get acme's result.
func TestSyncUnderAnotherOrgsIDIsRefused(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SyncRoster)
	env.RegisterActivity(&activities.Activities{})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID("acme")})
	var children []string
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		children = append(children, info.WorkflowExecution.ID)
	})
	env.ExecuteWorkflow(SyncRoster, SyncInput{Org: "other", RequestedBy: "tech@other.example"})
	err := env.GetWorkflowError()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, string(domain.ErrTypeBadInput), ae.Type())
	require.Contains(t, ae.Message(), `"acme"`)
	require.Contains(t, ae.Message(), `"other"`)
	require.Empty(t, children, "no other org's sync is started")
}

// A scheduled run refused at authorize (the schedule's owner was demoted)
// emails the org's list; a refusal of a sync asked for by hand does not.
func TestScheduledRefusalIsEmailed(t *testing.T) {
	for _, scheduled := range []bool{true, false} {
		var ts testsuite.WorkflowTestSuite
		env := ts.NewTestWorkflowEnvironment()
		env.RegisterActivity(&activities.Activities{})
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID("acme")})
		const reason = `tech@acme.example has access level "admin"`
		refusal := temporal.NewNonRetryableApplicationError(reason, string(domain.ErrTypeAccessDenied), nil)
		env.OnActivity(a.Authorize, mock.Anything, mock.Anything).Return(activities.AuthorizeResult{}, refusal).Once()
		emailed := 0
		env.OnActivity(a.SendSyncSummary, mock.Anything, mock.MatchedBy(func(n activities.NotifyInput) bool {
			return n.Outcome == domain.OutcomeRefused && n.Reason == reason
		})).Return(activities.NotifyResult{Sent: 1}, nil).Run(func(mock.Arguments) { emailed++ }).Maybe()
		env.OnActivity(a.FinishRun, mock.Anything, mock.Anything).Return(nil).Once()
		env.ExecuteWorkflow(SyncRoster, SyncInput{Org: "acme", RequestedBy: "tech@acme.example", Scheduled: scheduled})
		require.Error(t, env.GetWorkflowError())
		require.Equal(t, map[bool]int{true: 1, false: 0}[scheduled], emailed, "scheduled=%v", scheduled)
	}
}

// DailySync marks its child's input as scheduled.
func TestDailySyncMarksTheRunScheduled(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(SyncRoster)
	var got SyncInput
	env.OnWorkflow(SyncRoster, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in SyncInput) (SyncSummary, error) {
		got = in
		return SyncSummary{Org: in.Org, Outcome: domain.OutcomeNoChanges}, nil
	})
	env.ExecuteWorkflow(DailySync, in)
	require.NoError(t, env.GetWorkflowError())
	require.True(t, got.Scheduled)
}
