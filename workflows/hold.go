package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
)

// decided is how a held run's wait ended.
type decided struct {
	decision domain.Decision
	by, via  string
	note     string
	at       time.Time
}

// words is the decision as the summary and the result say it.
func (d decided) words(timeout time.Duration) string {
	switch d.decision {
	case domain.DecisionTimedOut:
		return fmt.Sprintf("no decision within %s", timeout)
	}
	verb := "approved"
	if d.decision == domain.DecisionReject {
		verb = "rejected"
	}
	w := fmt.Sprintf("%s by %s (%s) at %s", verb, d.by, domain.ViaLabel(d.via), d.at.UTC().Format("2006-01-02 15:04:05 UTC"))
	if d.note != "" {
		w += ": " + d.note
	}
	return w
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// setDecisionHandlers registers the approve and reject Updates. They are
// registered for every run (registering writes nothing to history); the
// validator turns them away unless the run is held and undecided.
func (s *syncState) setDecisionHandlers() error {
	for _, d := range []domain.Decision{domain.DecisionApprove, domain.DecisionReject} {
		d := d
		err := workflow.SetUpdateHandlerWithOptions(s.ctx, string(d),
			func(ctx workflow.Context, in DecisionInput) (DecisionResult, error) { return s.decide(ctx, d, in) },
			workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, in DecisionInput) error { return s.validateDecision(in) }})
		if err != nil {
			return err
		}
	}
	return nil
}

// validateDecision rejects, before anything is written to history, an Update
// that cannot decide: the run is not waiting, the decider is not named, or
// not a technical owner or owner as of the start of the wait.
func (s *syncState) validateDecision(in DecisionInput) error {
	switch {
	case s.decided != nil:
		return temporal.NewApplicationError(fmt.Sprintf("the held sync of %s was already decided: %s", s.in.Org, s.decided.decision), string(domain.ErrTypeNoDecisionPending))
	case !s.waiting:
		return temporal.NewApplicationError(fmt.Sprintf("no decision is pending for org %s: its sync is not held (step %s)", s.in.Org, s.progress.Step), string(domain.ErrTypeNoDecisionPending))
	}
	who := normalizeEmail(in.DecidedBy)
	if who == "" {
		return temporal.NewApplicationError(`name who decides: {"decided_by": "you@acme.example"}`, string(domain.ErrTypeBadInput))
	}
	if err := domain.Authorize(who, s.deciders[who], s.in.Org, domain.ActionDecide); err != nil {
		return temporal.NewApplicationError(err.Error(), string(domain.ErrTypeAccessDenied))
	}
	return nil
}

// decide checks the decider's level again in the store (it may have changed
// during a wait of days) and takes the first decision.
func (s *syncState) decide(ctx workflow.Context, d domain.Decision, in DecisionInput) (DecisionResult, error) {
	who := normalizeEmail(in.DecidedBy)
	actx := workflow.WithActivityOptions(ctx, localOptions(fmt.Sprintf("Check that %s may %s the held sync of %s", who, d, s.in.Org), 30*time.Second))
	if err := workflow.ExecuteActivity(actx, a.AuthorizeDecision, activities.DecideInput{RunRef: s.ref, DecidedBy: who}).Get(ctx, nil); err != nil {
		typ := ErrorType(err)
		if typ == "" {
			typ = domain.ErrTypeSyncFailed
		}
		return DecisionResult{}, temporal.NewApplicationError(FailureMessage(err), string(typ))
	}
	if s.decided != nil {
		return DecisionResult{}, temporal.NewApplicationError(fmt.Sprintf("the held sync of %s was already decided: %s", s.in.Org, s.decided.decision), string(domain.ErrTypeNoDecisionPending))
	}
	via := in.Via
	if via != domain.ViaCLI && via != domain.ViaConsole {
		via = domain.ViaOperator
	}
	s.decided = &decided{decision: d, by: who, via: via, note: strings.TrimSpace(in.Note), at: workflow.Now(ctx)}
	return DecisionResult{Org: s.in.Org, Decision: d, DecidedBy: who}, nil
}

// hold is a run that a safety check refused: it emails the change set it
// staged, waits for approve or reject (or the org's time-out), and then
// applies exactly that change set, or nothing.
func (s *syncState) hold(tree activities.ResolveResult, held activities.ApplyResult) (SyncSummary, error) {
	ctx, org := s.ctx, s.in.Org
	actx := workflow.WithActivityOptions(ctx, localOptions(fmt.Sprintf("Hold the sync of %s for a decision", org), 30*time.Second))
	var h activities.HoldResult
	if err := workflow.ExecuteActivity(actx, a.BeginHold, s.ref).Get(ctx, &h); err != nil {
		// Without a recorded hold, end as a plain refusal.
		return s.end(ending{outcome: domain.OutcomeRefused, counts: held.Counts, notify: true, reason: held.Reason})
	}
	timeout := time.Duration(h.TimeoutSeconds) * time.Second
	due := workflow.Now(ctx).Add(timeout)
	s.deciders = make(map[string]domain.Level, len(h.Deciders))
	for _, d := range h.Deciders {
		s.deciders[d.Email] = d.Level
	}
	s.waiting = true
	s.progress.Outcome, s.progress.Counts = domain.OutcomeHeld, held.Counts
	s.progress.Decision = &PendingDecision{Due: due, Reason: held.Reason, Hint: domain.DecisionHint(org)}
	s.step(domain.StepDecide, fmt.Sprintf("Held for approval until %s: %s", due.UTC().Format(time.RFC3339), domain.DecisionHint(org)))

	nctx := workflow.WithActivityOptions(ctx, notifyOptions(fmt.Sprintf("Email the held change set of %s", org)))
	err := workflow.ExecuteActivity(nctx, a.SendSyncSummary, activities.NotifyInput{RunRef: s.ref, RequestedBy: s.in.RequestedBy,
		Outcome: domain.OutcomeHeld, Reason: held.Reason, Counts: held.Counts, StartedUnix: s.started.Unix(), DecisionDueUnix: h.DueUnix}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("Held email not sent", "error", err)
	}

	if s.decided == nil {
		decidedInTime := false
		if left := due.Sub(workflow.Now(ctx)); left > 0 {
			decidedInTime, err = workflow.AwaitWithTimeout(ctx, left, func() bool { return s.decided != nil })
			if err != nil {
				s.waiting, s.progress.Decision = false, nil
				return s.end(ending{outcome: domain.OutcomeFailed, cause: err, notify: true})
			}
		}
		if !decidedInTime {
			s.decided = &decided{decision: domain.DecisionTimedOut, at: workflow.Now(ctx)}
		}
	}
	s.waiting, s.progress.Decision = false, nil
	d := *s.decided
	words := d.words(timeout)
	actx = workflow.WithActivityOptions(ctx, localOptions(fmt.Sprintf("Record the decision on the held sync of %s", org), 30*time.Second))
	if err := workflow.ExecuteActivity(actx, a.RecordDecision, activities.RecordDecisionInput{RunRef: s.ref, Decision: d.decision, DecidedBy: d.by, Via: d.via}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("Decision not recorded", "error", err)
	}
	// An Update still checking its decider gets its answer before the run ends.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })

	switch d.decision {
	case domain.DecisionApprove:
		s.step(domain.StepApply, fmt.Sprintf("Applying the approved change set (%s)", words))
		applyCtx, _ := workflow.NewDisconnectedContext(ctx)
		actx = workflow.WithActivityOptions(applyCtx, localOptions(fmt.Sprintf("Apply the approved change set of %s", org), 15*time.Minute))
		var applied activities.ApplyResult
		if err := workflow.ExecuteActivity(actx, a.ApplyRoster, activities.ApplyInput{RunRef: s.ref, Approved: true}).Get(applyCtx, &applied); err != nil {
			return s.end(ending{outcome: domain.OutcomeFailed, cause: err, notify: true, decision: words})
		}
		summary, _ := s.end(ending{outcome: applied.Outcome, counts: applied.Counts, notify: true, reason: applied.Reason, decision: words})
		summary.People, summary.HeadID = tree.People, tree.HeadID
		return summary, nil
	case domain.DecisionReject:
		return s.end(ending{outcome: domain.OutcomeRefused, counts: held.Counts, notify: true, decision: words,
			reason: "the held change set was " + words + "; nothing was applied"})
	default:
		return s.end(ending{outcome: domain.OutcomeRefused, counts: held.Counts, notify: true, decision: words,
			reason: fmt.Sprintf("%s: the held change set expired and nothing was applied — start a new sync to try again", words)})
	}
}

// preview is a dry run's end: compute and stage the change set, keep the
// summary the real run would email, apply nothing.
func (s *syncState) preview(tree activities.ResolveResult) (SyncSummary, error) {
	ctx, org := s.ctx, s.in.Org
	s.step(domain.StepPreview, fmt.Sprintf("Computing the change set of %d people (dry run: nothing is applied)", tree.People))
	actx := workflow.WithActivityOptions(ctx, localOptions(fmt.Sprintf("Preview the roster of %s (nothing is applied)", org), 15*time.Minute))
	var res activities.ApplyResult
	if err := workflow.ExecuteActivity(actx, a.ApplyRoster, activities.ApplyInput{RunRef: s.ref, Preview: true}).Get(ctx, &res); err != nil {
		return s.end(ending{outcome: domain.OutcomeFailed, cause: err})
	}
	would := res.Outcome
	if res.Held {
		would = domain.OutcomeHeld
	}
	nctx := workflow.WithActivityOptions(ctx, notifyOptions(fmt.Sprintf("Keep the preview of %s", org)))
	if err := workflow.ExecuteActivity(nctx, a.SendSyncSummary, activities.NotifyInput{RunRef: s.ref, RequestedBy: s.in.RequestedBy,
		Outcome: would, Reason: res.Reason, Counts: res.Counts, StartedUnix: s.started.Unix(), DryRun: true}).Get(ctx, nil); err != nil {
		return s.end(ending{outcome: domain.OutcomeFailed, cause: err})
	}
	summary, err := s.end(ending{outcome: domain.OutcomePreviewed, counts: res.Counts, reason: res.Reason})
	summary.WouldBe, summary.People, summary.HeadID = would, tree.People, tree.HeadID
	return summary, err
}
