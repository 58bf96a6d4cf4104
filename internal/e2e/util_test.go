package e2e

import (
	"context"
	"os"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

func clientTrigger() client.ScheduleTriggerOptions { return client.ScheduleTriggerOptions{} }

var osReadFile = os.ReadFile

func clientPause() client.SchedulePauseOptions {
	return client.SchedulePauseOptions{Note: "paused by an operator in Temporal Web"}
}

// describeRaw is the server's description of a run (DescribeWorkflowExecution
// is deprecated since SDK v1.51 in favour of DescribeWorkflow).
func describeRaw(c client.Client, ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	d, err := c.DescribeWorkflow(ctx, workflowID, runID)
	if err != nil {
		return nil, err
	}
	return d.RawResponse, nil
}
