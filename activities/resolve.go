package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/orgtree"
)

// ResolveOrgTree finds the configured head among the staged members and
// resolves every reporting line from it. An unknown or ambiguous head fails
// the sync before anything is stored; tree problems are staged, not fatal.
//
// Members out of the org's scope are set aside first (store.StageScope): they
// are neither in the tree nor in the diff.
func (a *Activities) ResolveOrgTree(ctx context.Context, in ResolveInput) (ResolveResult, error) {
	org, err := a.Store.GetOrg(ctx, in.Org)
	if err != nil {
		return ResolveResult{}, fmt.Errorf("load org %s: %w", in.Org, err)
	}
	excluded, err := a.Store.StageScope(ctx, in.RunID, org.Options.Scope)
	if err != nil {
		return ResolveResult{}, err
	}
	people, err := a.Store.StagedPeople(ctx, in.RunID)
	if err != nil {
		return ResolveResult{}, fmt.Errorf("read staged members: %w", err)
	}
	headID, err := orgtree.FindHead(people, in.HeadName)
	if err != nil {
		return ResolveResult{}, headError(err)
	}
	res := orgtree.Resolve(people, headID)
	if err := a.Store.StageTree(ctx, in.RunID, headID, res); err != nil {
		return ResolveResult{}, fmt.Errorf("stage org tree: %w", err)
	}
	activity.GetLogger(ctx).Info("Resolved org tree", "org", in.Org, "head", headID, "people", len(people), "problems", len(res.Problems), "excluded", excluded)
	return ResolveResult{HeadID: headID, People: len(people), Problems: len(res.Problems)}, nil
}
