package workflows

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
)

var (
	heldCounts = domain.Counts{Terminations: 30, Removed: 15, Unchanged: 75}
	heldReason = "the roster from Justworks would terminate or remove 45 of 120 active people (38 %), above the 20 % safety limit"
	deciders   = activities.HoldResult{TimeoutSeconds: 72 * 3600, DueUnix: 1, Deciders: []activities.Decider{
		{Email: "tech@acme.example", Level: domain.LevelTechnicalOwner}, {Email: "owner@acme.example", Level: domain.LevelOwner}}}
)

// heldUntilDecision mocks a run whose apply a safety check holds, the hold,
// and its email.
func (s *syncSuite) heldUntilDecision() {
	s.happyUntil(domain.StepApply)
	s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.MatchedBy(func(i activities.ApplyInput) bool { return !i.Approved && !i.Preview })).
		Return(activities.ApplyResult{Outcome: domain.OutcomeRefused, Reason: heldReason, Counts: heldCounts, Held: true}, nil).Once()
	s.env.OnActivity(a.BeginHold, mock.Anything, mock.Anything).Return(deciders, nil).Once()
	s.env.OnActivity(a.SendSyncSummary, mock.Anything, mock.MatchedBy(func(n activities.NotifyInput) bool {
		return n.Outcome == domain.OutcomeHeld && n.Reason == heldReason && n.Counts == heldCounts && n.DecisionDueUnix == 1
	})).Return(activities.NotifyResult{Sent: 2}, nil).Once()
}

// expectDecision mocks the decision's record, and the final email and record.
func (s *syncSuite) expectDecision(d domain.Decision, final domain.Outcome, reasonHas string, notifyTakes ...time.Duration) {
	s.env.OnActivity(a.RecordDecision, mock.Anything, mock.MatchedBy(func(r activities.RecordDecisionInput) bool {
		return r.Decision == d
	})).Return(nil).Once()
	s.env.OnActivity(a.SendSyncSummary, mock.Anything, mock.MatchedBy(func(n activities.NotifyInput) bool {
		return n.Outcome == final && n.Decision != "" && strings.Contains(n.Reason, reasonHas)
	})).After(append(notifyTakes, 0)[0]).Return(activities.NotifyResult{Sent: 2}, nil).Once()
	s.env.OnActivity(a.FinishRun, mock.Anything, mock.MatchedBy(func(f activities.FinishInput) bool {
		return f.Outcome == final
	})).Return(nil).Once()
}

// update sends a decision after delay and records how it went.
type updateOutcome struct {
	rejected, failed error
	result           DecisionResult
	done             bool
}

func (s *syncSuite) decideAfter(delay time.Duration, name, who string) *updateOutcome {
	out := &updateOutcome{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(name, name+"-"+who, &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { out.rejected, out.done = err, true },
			OnComplete: func(v interface{}, err error) {
				out.done, out.failed = true, err
				if r, ok := v.(DecisionResult); ok {
					out.result = r
				}
			},
		}, DecisionInput{DecidedBy: who, Via: domain.ViaCLI})
	}, delay)
	return out
}

// Approved: the run waits, the decider's level is checked again, the held
// change set is applied (Approved), and the final email says who approved.
func (s *syncSuite) TestHeldSyncApprovedAppliesTheHeldChangeSet() {
	s.heldUntilDecision()
	var during Progress
	s.env.RegisterDelayedCallback(func() {
		v, err := s.env.QueryWorkflow(ProgressQuery)
		s.Require().NoError(err)
		s.Require().NoError(v.Get(&during))
	}, time.Hour)
	s.env.OnActivity(a.AuthorizeDecision, mock.Anything, mock.MatchedBy(func(d activities.DecideInput) bool { return d.DecidedBy == "tech@acme.example" && d.Org == "acme" })).Return(nil).Once()
	s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.MatchedBy(func(i activities.ApplyInput) bool { return i.Approved && i.Org == "acme" })).
		Return(activities.ApplyResult{Outcome: domain.OutcomeApplied, Counts: heldCounts}, nil).Once()
	s.expectDecision(domain.DecisionApprove, domain.OutcomeApplied, "")
	upd := s.decideAfter(2*time.Hour, UpdateApprove, "Tech@Acme.example")
	start := s.env.Now()
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.NoError(s.env.GetWorkflowError())
	var sum SyncSummary
	s.NoError(s.env.GetWorkflowResult(&sum))
	s.Equal(domain.OutcomeApplied, sum.Outcome)
	s.Contains(sum.Decision, "approved by tech@acme.example (operator action: starter --as)")
	s.True(upd.done)
	s.NoError(upd.failed)
	s.Equal(domain.DecisionApprove, upd.result.Decision)
	s.Less(s.env.Now().Sub(start), 3*time.Hour, "the run went on when the decision came, not at the time-out")
	s.Equal(domain.StepDecide, during.Step)
	s.Require().NotNil(during.Decision)
	s.Contains(during.Decision.Hint, "starter sync approve --org acme")
	s.Equal(heldCounts, during.Counts)
}

// Rejected: nothing is applied (no second ApplyRoster is mocked), and the
// run ends refused with who rejected it.
func (s *syncSuite) TestHeldSyncRejectedAppliesNothing() {
	s.heldUntilDecision()
	s.env.OnActivity(a.AuthorizeDecision, mock.Anything, mock.Anything).Return(nil).Once()
	s.expectDecision(domain.DecisionReject, domain.OutcomeRefused, "rejected by owner@acme.example")
	s.decideAfter(time.Hour, UpdateReject, "owner@acme.example")
	s.env.ExecuteWorkflow(SyncRoster, in)
	var sum SyncSummary
	s.NoError(s.env.GetWorkflowResult(&sum))
	s.Equal(domain.OutcomeRefused, sum.Outcome)
	s.Equal(heldCounts, sum.Counts)
}

// Nobody decides: after the org's time-out the run ends refused, nothing applied.
func (s *syncSuite) TestHeldSyncTimesOut() {
	s.heldUntilDecision()
	s.expectDecision(domain.DecisionTimedOut, domain.OutcomeRefused, "no decision within 72h0m0s")
	start := s.env.Now()
	s.env.ExecuteWorkflow(SyncRoster, in)
	var sum SyncSummary
	s.NoError(s.env.GetWorkflowResult(&sum))
	s.Equal(domain.OutcomeRefused, sum.Outcome)
	s.GreaterOrEqual(s.env.Now().Sub(start), 72*time.Hour)
}

// The validator turns away a decider below technical_owner before anything
// reaches history; a second decision after the first is refused too.
func (s *syncSuite) TestDecisionValidatorRefusesWhoMayNotDecide() {
	s.heldUntilDecision()
	s.env.OnActivity(a.AuthorizeDecision, mock.Anything, mock.Anything).Return(nil).Once()
	s.expectDecision(domain.DecisionReject, domain.OutcomeRefused, "", 2*time.Hour) // the run is still there at 3 h
	admin := s.decideAfter(time.Hour, UpdateApprove, "admin@acme.example")
	first := s.decideAfter(2*time.Hour, UpdateReject, "tech@acme.example")
	late := s.decideAfter(3*time.Hour, UpdateApprove, "owner@acme.example")
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.NoError(s.env.GetWorkflowError())
	var ae *temporal.ApplicationError
	s.Require().True(errors.As(admin.rejected, &ae), "%v", admin.rejected)
	s.Equal(string(domain.ErrTypeAccessDenied), ae.Type())
	s.NoError(first.failed)
	s.Nil(first.rejected)
	s.True(late.done)
	lateErr := late.rejected
	if lateErr == nil {
		lateErr = late.failed
	}
	s.Require().True(errors.As(lateErr, &ae), "%v", lateErr)
	s.Equal(string(domain.ErrTypeNoDecisionPending), ae.Type())
}

// An Update to a run that is not held is rejected, and the run goes on.
func (s *syncSuite) TestDecisionRefusedWhenNothingIsHeld() {
	s.happyUntil(domain.StepLogin)
	s.env.OnActivity(a.FetchMembers, mock.Anything, mock.Anything).Return(okFetch, nil).Once()
	s.env.OnActivity(a.ResolveOrgTree, mock.Anything, mock.Anything).Return(okTree, nil).Once()
	s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.Anything).Return(activities.ApplyResult{Outcome: domain.OutcomeApplied, Counts: okCounts}, nil).Once()
	s.expectEnd(domain.OutcomeApplied, true)
	upd := &updateOutcome{}
	s.env.OnActivity(a.Login, mock.Anything, mock.Anything).Return(func(context.Context, activities.RunRef) error {
		s.env.UpdateWorkflow(UpdateApprove, "early", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { upd.rejected = err }, OnComplete: func(interface{}, error) {},
		}, DecisionInput{DecidedBy: "tech@acme.example"})
		return nil
	}).Once()
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.NoError(s.env.GetWorkflowError())
	var ae *temporal.ApplicationError
	s.Require().True(errors.As(upd.rejected, &ae), "%v", upd.rejected)
	s.Equal(string(domain.ErrTypeNoDecisionPending), ae.Type())
}

// A dry run previews (ApplyRoster with Preview), keeps the email instead of
// sending it, and records "previewed"; nothing else is applied.
func (s *syncSuite) TestDryRunPreviewsAndAppliesNothing() {
	dry := SyncInput{Org: "acme", RequestedBy: in.RequestedBy, DryRun: true}
	s.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: PreviewWorkflowID("acme")})
	s.happyUntil(domain.StepApply)
	s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.MatchedBy(func(i activities.ApplyInput) bool { return i.Preview && !i.Approved })).
		Return(activities.ApplyResult{Outcome: domain.OutcomeRefused, Reason: heldReason, Counts: heldCounts, Held: true}, nil).Once()
	s.env.OnActivity(a.SendSyncSummary, mock.Anything, mock.MatchedBy(func(n activities.NotifyInput) bool {
		return n.DryRun && n.Outcome == domain.OutcomeHeld
	})).Return(activities.NotifyResult{}, nil).Once()
	s.env.OnActivity(a.FinishRun, mock.Anything, mock.MatchedBy(func(f activities.FinishInput) bool {
		return f.Outcome == domain.OutcomePreviewed
	})).Return(nil).Once()
	var order []string
	s.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		order = append(order, info.ActivityType.Name)
	})
	s.env.ExecuteWorkflow(SyncRoster, dry)
	s.NoError(s.env.GetWorkflowError())
	var sum SyncSummary
	s.NoError(s.env.GetWorkflowResult(&sum))
	s.Equal(domain.OutcomePreviewed, sum.Outcome)
	s.Equal(domain.OutcomeHeld, sum.WouldBe)
	s.Equal(heldCounts, sum.Counts)
	s.Equal([]string{"Authorize", "Login", "FetchMembers", "ResolveOrgTree", "ApplyRoster", "SendSyncSummary", "FinishRun"}, order)
}
