package devserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rostersync/rostersync/internal/testenv"
)

func greet(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var greeting string
	err := workflow.ExecuteActivity(ctx, composeGreeting, name).Get(ctx, &greeting)
	return greeting, err
}

func composeGreeting(_ context.Context, name string) (string, error) {
	return "hello " + name, nil
}

func TestDevServerRunsAWorkflow(t *testing.T) {
	addr := testenv.TemporalAddress(t)
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: "default"})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	queue := "devserver-smoke-" + hex.EncodeToString(b)
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(greet)
	w.RegisterActivity(composeGreeting)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: queue, TaskQueue: queue}, greet, "rostersync")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	if got != "hello rostersync" {
		t.Fatalf("got %q, want %q", got, "hello rostersync")
	}
}
