package workflows

import (
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rostersync/rostersync/internal/domain"
)

// DailySync is the action of an org's daily schedule. A scheduled run gets a
// time-stamped workflow ID, so it cannot itself be "the" sync of the org;
// it starts the org's one fixed-ID SyncRoster as a child instead.
func DailySync(ctx workflow.Context, in SyncInput) (SyncSummary, error) {
	in.Scheduled = true
	// Only the child's input changes (no command does), so running
	// schedules replay unchanged.
	if in.StartedVia == "" {
		in.StartedVia = string(domain.StartedViaSchedule)
	}
	return startOrJoin(ctx, in)
}

// startOrJoin starts the org's fixed-ID sync as a child and returns its
// summary; when that sync is already running (someone started one by hand),
// it joins by leaving that one to finish, and says so.
func startOrJoin(ctx workflow.Context, in SyncInput) (SyncSummary, error) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            syncID(in),
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// The sync outlives this small parent if the schedule is deleted.
		ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:     "Sync " + in.Org + ", requested by " + in.RequestedBy,
	})
	child := workflow.ExecuteChildWorkflow(cctx, SyncRoster, in)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			workflow.GetLogger(ctx).Info("A sync of this org is already running; joining it", "org", in.Org)
			return SyncSummary{Org: in.Org, Outcome: domain.OutcomeJoined}, nil
		}
		return SyncSummary{}, err
	}
	var out SyncSummary
	err := child.Get(ctx, &out)
	return out, err
}
