package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/store"
)

// applyHeartbeatEvery is how often the apply heartbeats while its transaction
// runs (the workflow's heartbeat timeout for it is 30 s).
const applyHeartbeatEvery = 5 * time.Second

// heartbeatEvery heartbeats now and then every d until the returned stop is
// called.
func heartbeatEvery(ctx context.Context, d time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			activity.RecordHeartbeat(ctx)
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// ApplyRoster writes the staged roster into the primary org chart in one
// transaction, or refuses when the safety limit says the roster looks wrong.
// Re-running it for the same run returns the first result (idempotent).
//
// Approved writes the run's held change set (exactly the one staged and
// shown); Preview stages the change set and writes nothing.
func (a *Activities) ApplyRoster(ctx context.Context, in ApplyInput) (ApplyResult, error) {
	run := in.RunRef
	org, err := a.Store.GetOrg(ctx, run.Org)
	if err != nil {
		return ApplyResult{}, fmt.Errorf("load org %s: %w", run.Org, err)
	}
	// The apply is one transaction that can take minutes (100,000 people).
	// Heartbeats carry a terminated or timed-out run's cancellation back to
	// this context; the store then rolls back instead of committing for a
	// run that no longer exists. They also let a killed worker's apply be
	// retried after the heartbeat timeout, not after StartToClose.
	stop := heartbeatEvery(ctx, applyHeartbeatEvery)
	res, err := a.Store.ApplyRoster(ctx, store.ApplyParams{OrgID: run.Org, RunID: run.RunID, SafetyThreshold: org.SafetyThreshold,
		Approved: in.Approved, Preview: in.Preview})
	stop()
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply roster: %w", err)
	}
	activity.GetLogger(ctx).Info("Applied roster", "org", run.Org, "outcome", res.Outcome, "repeated", res.Repeated,
		"hires", res.Counts.Hires, "terminations", res.Counts.Terminations, "rehires", res.Counts.Rehires,
		"returned", res.Counts.Returned, "updates", res.Counts.Updates, "unchanged", res.Counts.Unchanged,
		"removed", res.Counts.Removed, "skipped", res.Counts.Skipped)
	if !in.Preview && !res.Repeated {
		// A retried apply (the first attempt committed, its answer was lost)
		// reads back the first result: its changes were counted then.
		recordChanges(ctx, run.Org, res.Outcome, res.Counts)
	}
	return ApplyResult{Outcome: res.Outcome, Reason: res.Reason, Counts: res.Counts, Held: res.Held}, nil
}

// FinishRun records the run's outcome and drops its staging and session.
func (a *Activities) FinishRun(ctx context.Context, in FinishInput) error {
	err := a.Store.FinishRun(ctx, in.RunID, in.Outcome, in.Counts, in.Error)
	if errors.Is(err, store.ErrNotFound) {
		// The run was never recorded (its org does not exist): nothing to
		// finish, and retrying cannot change that.
		return nil
	}
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	return nil
}
