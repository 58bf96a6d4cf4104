package e2e

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

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

// stopWorker stops a worker process the way an orchestrator does (SIGTERM)
// and waits for it to exit.
func stopWorker(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _, _ = cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("worker %d did not stop within 15s of SIGTERM", cmd.Process.Pid)
	}
}
