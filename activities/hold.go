package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// BeginHold records that the run waits for a decision and returns how long,
// with the org's deciders as of now.
func (a *Activities) BeginHold(ctx context.Context, run RunRef) (HoldResult, error) {
	h, err := a.Store.BeginHold(ctx, run.RunID)
	if err != nil {
		return HoldResult{}, fmt.Errorf("hold the run: %w", err)
	}
	users, err := a.Store.Users(ctx, run.Org)
	if err != nil {
		return HoldResult{}, err
	}
	res := HoldResult{TimeoutSeconds: int64(h.Timeout.Seconds()), DueUnix: h.Due.Unix(), Deciders: []Decider{}}
	for _, u := range users {
		if domain.Authorize(u.Email, u.Level, run.Org, domain.ActionDecide) == nil {
			res.Deciders = append(res.Deciders, Decider{Email: u.Email, Level: u.Level})
		}
	}
	activity.GetLogger(ctx).Info("Sync held for a decision", "org", run.Org, "timeout", h.Timeout.String(), "deciders", len(res.Deciders))
	return res, nil
}

// AuthorizeDecision checks, at the moment of the decision, that DecidedBy may
// approve or reject the org's held sync (technical_owner or owner).
func (a *Activities) AuthorizeDecision(ctx context.Context, in DecideInput) error {
	who := store.NormalizeEmail(in.DecidedBy)
	level, err := a.Store.UserLevel(ctx, in.Org, who)
	if err != nil {
		return fmt.Errorf("access level of %s in %s: %w", who, in.Org, err)
	}
	if err := domain.Authorize(who, level, in.Org, domain.ActionDecide); err != nil {
		activity.GetLogger(ctx).Warn("Decision refused: access level too low", "org", in.Org, "level", level.Label())
		return nonRetryable(domain.ErrTypeAccessDenied, err.Error())
	}
	return nil
}

// RecordDecision records how the held run's wait ended, for `starter status`
// and the console.
func (a *Activities) RecordDecision(ctx context.Context, in RecordDecisionInput) error {
	err := a.Store.RecordDecision(ctx, in.RunID, in.Decision, in.DecidedBy, in.Via)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the run was never recorded; nothing to add to
	}
	return err
}
