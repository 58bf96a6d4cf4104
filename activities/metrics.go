package activities

import (
	"context"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"

	"go.temporal.io/sdk/activity"
)

// Sync metrics go through the SDK's metrics handler, so they reach the same
// Prometheus endpoint as the SDK's own (worker/metrics.go).
func recordChanges(ctx context.Context, org string, outcome domain.Outcome, c domain.Counts) {
	m := activity.GetMetricsHandler(ctx).WithTags(map[string]string{"org": org})
	m.WithTags(map[string]string{"outcome": string(outcome)}).Counter("rostersync_sync_applies").Inc(1)
	if outcome == domain.OutcomeRefused {
		return
	}
	people := c.Hires + c.Terminations + c.Rehires + c.Returned + c.Updates + c.Unchanged
	m.Counter("rostersync_people_synced").Inc(int64(people))
	for kind, n := range map[domain.ChangeKind]int{
		domain.ChangeHire: c.Hires, domain.ChangeTermination: c.Terminations, domain.ChangeRehire: c.Rehires,
		domain.ChangeReturned: c.Returned, domain.ChangeUpdate: c.Updates, domain.ChangeRemoved: c.Removed,
	} {
		m.WithTags(map[string]string{"kind": string(kind)}).Counter("rostersync_changes").Inc(int64(n))
	}
	m.Gauge("rostersync_problems").Update(float64(c.Problems))
	m.Gauge("rostersync_skipped_members").Update(float64(c.Skipped))
}

func recordMail(ctx context.Context, org string, sent int) {
	activity.GetMetricsHandler(ctx).WithTags(map[string]string{"org": org}).Counter("rostersync_emails_sent").Inc(int64(sent))
}

// recordJustworksError counts Justworks failures by the contract's error code
// (transport for no answer), so an outage or a rate-limit storm shows on a graph.
func recordJustworksError(ctx context.Context, org string, err error) {
	code := justworks.ErrorCode(err)
	if code == "" || !activity.IsActivity(ctx) { // TestLogin runs outside an activity
		return
	}
	activity.GetMetricsHandler(ctx).WithTags(map[string]string{"org": org, "code": code}).Counter("rostersync_justworks_errors").Inc(1)
}
