package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/store"
)

// levelRank orders access levels; syncing needs technical_owner or above.
var levelRank = map[string]int{
	store.LevelMember:         1,
	store.LevelAdmin:          2,
	store.LevelTechnicalOwner: 3,
	store.LevelOwner:          4,
}

// CanSync says whether an access level may start a sync.
func CanSync(level string) bool { return levelRank[level] >= levelRank[store.LevelTechnicalOwner] }

// Authorize checks that the requester may sync the org, before anything talks
// to Justworks, and records the run. Scheduled runs pass through here too, as
// the principal who set the schedule up, so a demoted owner's schedule stops.
func (a *Activities) Authorize(ctx context.Context, in AuthorizeInput) (AuthorizeResult, error) {
	org, err := a.Store.GetOrg(ctx, in.Org)
	if errors.Is(err, store.ErrNotFound) {
		return AuthorizeResult{}, nonRetryable(ErrOrgNotFound, fmt.Sprintf(
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
	if err := a.Store.BeginRun(ctx, store.Run{RunID: in.RunID, OrgID: in.Org, WorkflowID: in.WorkflowID, RequestedBy: who}); err != nil {
		return AuthorizeResult{}, fmt.Errorf("record run: %w", err)
	}
	if !CanSync(level) {
		shown := level
		if shown == "" {
			shown = "no access"
		}
		activity.GetLogger(ctx).Warn("Sync refused: access level too low", "org", in.Org, "requested_by", who, "level", shown)
		return AuthorizeResult{}, nonRetryable(ErrAccessDenied, fmt.Sprintf(
			"%s has access level %q in org %s; starting a sync needs technical_owner or owner (an owner can grant it with `starter user set --org %s --email %s --level technical_owner --as OWNER`)",
			who, shown, in.Org, in.Org, who))
	}
	return AuthorizeResult{OrgName: org.Name, HeadName: org.HeadName, Level: level}, nil
}
