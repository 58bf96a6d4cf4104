package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/store"
)

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
	res, err := a.Store.ApplyRoster(ctx, store.ApplyParams{OrgID: run.Org, RunID: run.RunID, SafetyThreshold: org.SafetyThreshold,
		Approved: in.Approved, Preview: in.Preview})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply roster: %w", err)
	}
	activity.GetLogger(ctx).Info("Applied roster", "org", run.Org, "outcome", res.Outcome, "repeated", res.Repeated,
		"hires", res.Counts.Hires, "terminations", res.Counts.Terminations, "rehires", res.Counts.Rehires,
		"updates", res.Counts.Updates, "unchanged", res.Counts.Unchanged, "removed", res.Counts.Removed)
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
