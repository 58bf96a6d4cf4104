// Package synccontrol starts or joins an org's sync and reads its live
// progress: the one way the starter CLI and the console do both.
package synccontrol

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/workflows"
)

// StartOrJoin starts the org's sync under its fixed workflow ID, or joins the
// one already running (conflict policy USE_EXISTING: the returned run is the
// running one). A dry run (in.DryRun) has its own fixed ID, beside the real
// sync. Callers check the requester's access first: a join never reaches the
// workflow's own gate. details says who started it and how.
func StartOrJoin(ctx context.Context, c client.Client, taskQueue string, in workflows.SyncInput, details string) (client.WorkflowRun, error) {
	id, summary, steps := workflows.WorkflowID(in.Org), fmt.Sprintf("Sync %s, requested by %s", in.Org, in.RequestedBy),
		" Steps: authorize → login → fetch → resolve → apply → notify."
	if in.DryRun {
		id, summary, steps = workflows.PreviewWorkflowID(in.Org), fmt.Sprintf("Preview (dry run) of %s, requested by %s", in.Org, in.RequestedBy),
			" Steps: authorize → login → fetch → resolve → preview; nothing is applied or emailed."
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            summary,
		StaticDetails:            details + steps,
	}, workflows.SyncRoster, in)
	if err != nil {
		return nil, fmt.Errorf("start sync: %w", err)
	}
	return run, nil
}

// Live is what is known of a sync right now.
type Live struct {
	Running bool                `json:"running"`
	Status  string              `json:"status"` // Temporal's execution status, e.g. "Running", "Completed"
	Step    domain.Step         `json:"step"`
	Pages   int                 `json:"pages"`    // pages fetched so far (the fetch's heartbeat, then the result)
	Members int                 `json:"members"`  // members received so far
	Staged  int                 `json:"staged"`   // members staged after the fetch
	Attempt int32               `json:"attempt"`  // attempt of the running step (1 = first try)
	Retry   string              `json:"retry"`    // why the last attempt of the running step failed
	Result  *workflows.Progress `json:"progress"` // the progress query's answer, nil when it did not answer
}

// Read describes the sync run: the progress query's answer, and for the
// running step its attempt and last failure, and during the fetch its last
// heartbeat (pages and members so far), which only the server knows.
// Failures in history are encrypted: dc and fc decode them.
func Read(ctx context.Context, c client.Client, dc converter.DataConverter, fc converter.FailureConverter, wfID, runID string) (Live, error) {
	desc, err := c.DescribeWorkflow(ctx, wfID, runID)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return Live{}, fmt.Errorf("sync %s run %s: %w", wfID, runID, ErrNoSuchRun)
		}
		return Live{}, fmt.Errorf("describe sync %s: %w", wfID, err)
	}
	d := desc.RawResponse
	st := d.GetWorkflowExecutionInfo().GetStatus()
	out := Live{Running: st == enums.WORKFLOW_EXECUTION_STATUS_RUNNING, Status: statusName(st)}
	if v, err := c.QueryWorkflow(ctx, wfID, runID, workflows.ProgressQuery); err == nil {
		var p workflows.Progress
		if v.Get(&p) == nil {
			out.Result, out.Step, out.Pages, out.Staged = &p, p.Step, p.Pages, p.Staged
		}
	}
	for _, pa := range d.GetPendingActivities() {
		out.Attempt = pa.GetAttempt()
		if pa.GetAttempt() > 1 && pa.GetLastFailure() != nil {
			out.Retry = workflows.FailureMessage(fc.FailureToError(pa.GetLastFailure()))
		}
		if pa.GetActivityType().GetName() == "FetchMembers" && pa.GetHeartbeatDetails() != nil {
			var fp domain.FetchProgress
			if dc.FromPayloads(pa.GetHeartbeatDetails(), &fp) == nil {
				out.Pages, out.Members = fp.Pages, fp.Received
			}
		}
	}
	return out, nil
}

// ErrNoSuchRun is a workflow run Temporal does not know (or no longer keeps).
var ErrNoSuchRun = errors.New("no such sync run")

func statusName(s enums.WorkflowExecutionStatus) string {
	switch s {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "Running"
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "Completed"
	case enums.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "Failed"
	case enums.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "Canceled"
	case enums.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "Terminated"
	case enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "TimedOut"
	case enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "ContinuedAsNew"
	}
	return "Unknown"
}
