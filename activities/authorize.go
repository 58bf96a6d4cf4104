package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// Authorize checks that the requester may sync the org, before anything talks
// to Justworks, and records the run. Scheduled runs pass through here too, as
// the principal who set the schedule up, so a demoted owner's schedule stops.
func (a *Activities) Authorize(ctx context.Context, in AuthorizeInput) (AuthorizeResult, error) {
	org, err := a.Store.GetOrg(ctx, in.Org)
	if errors.Is(err, store.ErrNotFound) {
		return AuthorizeResult{}, nonRetryable(domain.ErrTypeOrgNotFound, fmt.Sprintf(
			"org %q is not configured; create it with `starter org set --org %s ...`", in.Org, in.Org))
	}
	if err != nil {
		return AuthorizeResult{}, fmt.Errorf("load org %s: %w", in.Org, err)
	}
	who := store.NormalizeEmail(in.RequestedBy)
	level, err := a.Store.UserLevel(ctx, in.Org, who)
	if err != nil {
		return AuthorizeResult{}, fmt.Errorf("access level of %s in %s: %w", who, in.Org, err)
	}
	if err := a.Store.BeginRun(ctx, store.Run{RunID: in.RunID, OrgID: in.Org, WorkflowID: in.WorkflowID, RequestedBy: who, StartedVia: string(domain.StartedViaOf(in.StartedVia))}); err != nil {
		return AuthorizeResult{}, fmt.Errorf("record run: %w", err)
	}
	if err := domain.Authorize(who, level, in.Org, domain.ActionSync); err != nil {
		activity.GetLogger(ctx).Warn("Sync refused: access level too low", "org", in.Org, "level", level.Label())
		return AuthorizeResult{}, nonRetryable(domain.ErrTypeAccessDenied, err.Error())
	}
	return AuthorizeResult{OrgName: org.Name, HeadName: org.HeadName, Level: level}, nil
}
