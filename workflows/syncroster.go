package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
)

// a is the typed nil through which the workflow names activities: the compiler
// checks each call, and no activity name is a string.
var a *activities.Activities

// SyncRoster brings one org's primary org chart in step with Justworks:
// authorize → login → fetch → resolve → apply → notify. Member data never
// passes through here: it is staged in PostgreSQL under the run's ID.
//
// It must run under the org's fixed ID (WorkflowID) for "one sync per org" to
// hold. Started under any other ID (Temporal Web's start form suggests a
// random one), it starts or joins the fixed-ID sync instead, as DailySync does.
// Under another org's fixed ID it refuses (BadInput): whoever joins that ID
// expects that org's result.
func SyncRoster(ctx workflow.Context, in SyncInput) (SyncSummary, error) {
	in.Org, in.RequestedBy = strings.TrimSpace(in.Org), strings.TrimSpace(in.RequestedBy)
	if id := workflow.GetInfo(ctx).WorkflowExecution.ID; in.Org != "" && id != syncID(in) {
		if owner, fixed := fixedIDOrg(id); fixed && owner != in.Org &&
			workflow.GetVersion(ctx, changeOrgMismatchRefused, workflow.DefaultVersion, 1) >= 1 {
			return SyncSummary{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"workflow %s belongs to org %q, but its input names org %q; start it with {\"org\": %q, ...}, or under the ID %s",
				id, owner, in.Org, owner, syncID(in)), string(domain.ErrTypeBadInput), nil)
		}
		return startOrJoin(ctx, in)
	}
	s, err := newSync(ctx, in)
	if err != nil {
		return SyncSummary{}, err
	}
	return s.run()
}

// fixedIDOrg is the org whose fixed ID (a sync's or a dry run's) id is.
func fixedIDOrg(id string) (org string, ok bool) {
	for _, prefix := range []string{WorkflowID(""), PreviewWorkflowID("")} {
		if org, ok := strings.CutPrefix(id, prefix); ok {
			return org, true
		}
	}
	return "", false
}

type syncState struct {
	ctx      workflow.Context
	in       SyncInput
	ref      activities.RunRef
	started  time.Time
	progress Progress
	auth     activities.AuthorizeResult

	// While held (hold.go): who may decide, and the decision once taken.
	deciders map[string]domain.Level
	waiting  bool
	decided  *decided
}

func newSync(ctx workflow.Context, in SyncInput) (*syncState, error) {
	if in.Org == "" || in.RequestedBy == "" {
		return nil, temporal.NewNonRetryableApplicationError(
			`input must name the org and who asks, e.g. {"org": "acme", "requested_by": "you@acme.example"}`, string(domain.ErrTypeBadInput), nil)
	}
	info := workflow.GetInfo(ctx)
	s := &syncState{
		ctx:     ctx,
		in:      in,
		ref:     activities.RunRef{Org: in.Org, RunID: info.WorkflowExecution.RunID, WorkflowID: info.WorkflowExecution.ID},
		started: workflow.Now(ctx),
	}
	s.progress = Progress{Step: domain.StepAuthorize, Org: in.Org}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (Progress, error) { return s.progress, nil }); err != nil {
		return nil, err
	}
	if err := s.setDecisionHandlers(); err != nil {
		return nil, err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, OrgAttribute.ValueSet(in.Org)); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *syncState) step(name domain.Step, details string) {
	s.progress.Step = name
	workflow.SetCurrentDetails(s.ctx, details)
}

func (s *syncState) run() (SyncSummary, error) {
	ctx, org := s.ctx, s.in.Org

	s.step(domain.StepAuthorize, fmt.Sprintf("Checking that %s may sync %s", s.in.RequestedBy, org))
	actx := workflow.WithActivityOptions(ctx, localOptions(fmt.Sprintf("Authorize %s for %s", s.in.RequestedBy, org), 30*time.Second))
	err := workflow.ExecuteActivity(actx, a.Authorize, activities.AuthorizeInput{RunRef: s.ref, RequestedBy: s.in.RequestedBy, StartedVia: s.in.StartedVia}).Get(ctx, &s.auth)
	if err != nil {
		if ErrorType(err) == domain.ErrTypeAccessDenied {
			// Refused before Justworks is touched. Someone who asked by hand
			// sees the refusal; a scheduled run has nobody watching, so its
			// refusal (the schedule's owner lost the right to sync) is
			// emailed to the org's list, or the daily sync would stop
			// silently.
			notify := s.in.Scheduled && workflow.GetVersion(ctx, changeScheduledRefusalEmailed, workflow.DefaultVersion, 1) >= 1
			return s.end(ending{outcome: domain.OutcomeRefused, cause: err, notify: notify})
		}
		return s.end(ending{outcome: domain.OutcomeFailed, cause: err})
	}

	s.step(domain.StepLogin, "Logging in to Justworks (password + 2FA)")
	actx = workflow.WithActivityOptions(ctx, loginOptions(fmt.Sprintf("Log in to Justworks for %s (password + 2FA)", org)))
	if err := workflow.ExecuteActivity(actx, a.Login, s.ref).Get(ctx, nil); err != nil {
		return s.end(ending{outcome: domain.OutcomeFailed, cause: err, notify: true})
	}

	s.step(domain.StepFetch, "Fetching every member from Justworks into staging")
	actx = workflow.WithActivityOptions(ctx, justworksOptions(fmt.Sprintf("Fetch all members of %s into staging", org), 3*time.Hour, fetchHeartbeat))
	var fetched activities.FetchResult
	if err := workflow.ExecuteActivity(actx, a.FetchMembers, s.ref).Get(ctx, &fetched); err != nil {
		return s.end(ending{outcome: domain.OutcomeFailed, cause: err, notify: true})
	}
	s.progress.Pages, s.progress.Staged = fetched.Pages, fetched.Staged
	if workflow.GetVersion(ctx, changeEmptyRosterRefused, workflow.DefaultVersion, 1) >= 1 && fetched.Staged == 0 {
		// Without anyone there is no head to find; say what happened instead
		// of "head not found", and apply nothing.
		return s.end(ending{outcome: domain.OutcomeRefused, notify: true,
			reason: "Justworks returned an empty roster; nothing was applied — check that the Justworks user can see the company's members"})
	}

	s.step(domain.StepResolve, fmt.Sprintf("Resolving the reporting tree of %d people from %q", fetched.Staged, s.auth.HeadName))
	actx = workflow.WithActivityOptions(ctx, localOptions(fmt.Sprintf("Resolve the org tree of %s from %q", org, s.auth.HeadName), 10*time.Minute))
	var tree activities.ResolveResult
	err = workflow.ExecuteActivity(actx, a.ResolveOrgTree, activities.ResolveInput{RunRef: s.ref, HeadName: s.auth.HeadName}).Get(ctx, &tree)
	if err != nil {
		return s.end(ending{outcome: domain.OutcomeFailed, cause: err, notify: true})
	}

	if s.in.DryRun {
		return s.preview(tree)
	}

	s.step(domain.StepApply, fmt.Sprintf("Applying %d people to the org chart", tree.People))
	// Apply is the commit point: once it starts, a cancellation waits for it,
	// so the run records what the database really holds. (A termination
	// cannot wait: the apply learns of it through its heartbeat and rolls
	// back; docs/operations.md.)
	applyCtx, _ := workflow.NewDisconnectedContext(ctx)
	applyOpts := localOptions(fmt.Sprintf("Apply the roster of %s to the org chart", org), 15*time.Minute)
	applyOpts.HeartbeatTimeout = applyHeartbeat
	actx = workflow.WithActivityOptions(applyCtx, applyOpts)
	var applied activities.ApplyResult
	if err := workflow.ExecuteActivity(actx, a.ApplyRoster, activities.ApplyInput{RunRef: s.ref}).Get(applyCtx, &applied); err != nil {
		return s.end(ending{outcome: domain.OutcomeFailed, cause: err, notify: true})
	}
	if applied.Held && workflow.GetVersion(ctx, changeApprovalHold, workflow.DefaultVersion, 1) >= 1 {
		return s.hold(tree, applied)
	}
	summary, _ := s.end(ending{outcome: applied.Outcome, counts: applied.Counts, notify: true, reason: applied.Reason})
	summary.People, summary.HeadID = tree.People, tree.HeadID
	return summary, nil
}

// ending is how a run ends: its outcome and counts, the failure that ended it
// (nil for a sync that ran to its outcome), whether the run became a sync
// whose summary is emailed, and the reason shown for a refusal.
type ending struct {
	outcome domain.Outcome
	counts  domain.Counts
	cause   error
	notify  bool
	reason  string
	// decision says how a held run was decided.
	decision string
}

// end notifies (when the run became a sync), records the outcome, and returns
// the summary, or the failure that ended the run.
func (s *syncState) end(e ending) (SyncSummary, error) {
	outcome, counts, cause, reason := e.outcome, e.counts, e.cause, e.reason
	// A cancelled sync still records how it ended.
	ctx, _ := workflow.NewDisconnectedContext(s.ctx)
	if cause != nil {
		reason = FailureMessage(cause)
	}
	s.progress.Outcome, s.progress.Counts = outcome, counts
	if e.notify && !s.in.DryRun { // a dry run emails nobody
		s.step(domain.StepNotify, "Emailing the summary")
		actx := workflow.WithActivityOptions(ctx, notifyOptions(fmt.Sprintf("Email the %s summary of %s", outcome.Words(), s.in.Org)))
		in := activities.NotifyInput{RunRef: s.ref, RequestedBy: s.in.RequestedBy, Outcome: outcome, Reason: reason, Counts: counts,
			StartedUnix: s.started.Unix(), Decision: e.decision}
		if err := workflow.ExecuteActivity(actx, a.SendSyncSummary, in).Get(ctx, nil); err != nil {
			// The org chart is already right; a lost email must not undo that.
			workflow.GetLogger(ctx).Error("Summary email not sent", "error", err)
		}
	}
	actx := workflow.WithActivityOptions(ctx, localOptions(fmt.Sprintf("Record the %s outcome of %s", outcome.Words(), s.in.Org), 30*time.Second))
	if err := workflow.ExecuteActivity(actx, a.FinishRun, activities.FinishInput{RunRef: s.ref, Outcome: outcome, Counts: counts, Error: reason}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("Run outcome not recorded", "error", err)
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, OutcomeAttribute.ValueSet(string(outcome)))
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"org": s.in.Org, "outcome": string(outcome)}).
		Timer("rostersync_sync_duration").Record(workflow.Now(ctx).Sub(s.started))
	s.step(domain.StepDone, fmt.Sprintf("Finished: %s", outcome.Words()))
	if temporal.IsCanceledError(cause) {
		return SyncSummary{}, cause // the run ends Canceled, as asked
	}
	if cause != nil {
		// One clear message for Temporal Web and the starter, with the
		// activity's error type kept so callers can still tell a refusal.
		typ := ErrorType(cause)
		if typ == "" {
			typ = domain.ErrTypeSyncFailed
		}
		return SyncSummary{}, temporal.NewNonRetryableApplicationError(reason, string(typ), nil)
	}
	return SyncSummary{Org: s.in.Org, Outcome: outcome, Counts: counts, Reason: reason, Decision: e.decision}, nil
}

// ErrorType is the ApplicationError type behind a failure (an activity's, or a
// sync's as its caller sees it), "" when there is none.
func ErrorType(err error) domain.ErrorType {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return domain.ErrorType(ae.Type())
	}
	return ""
}

// FailureMessage is the operator-facing message of a failure, without the
// SDK's wrapping ("activity error (type: ..., scheduledEventID: ...)").
func FailureMessage(err error) string {
	if err == nil {
		return ""
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	if temporal.IsCanceledError(err) {
		return "the sync was cancelled before it finished; nothing more was applied"
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return "a step timed out: " + te.Error()
	}
	return err.Error()
}
