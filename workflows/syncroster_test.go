package workflows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
)

type syncSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
}

func TestSyncRoster(t *testing.T) { suite.Run(t, new(syncSuite)) }

func (s *syncSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterActivity(&activities.Activities{})
	s.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID(in.Org)})
}

func (s *syncSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

var (
	in       = SyncInput{Org: "acme", RequestedBy: "tech@acme.example"}
	okAuth   = activities.AuthorizeResult{OrgName: "Acme", HeadName: "Ada Lovelace", Level: domain.LevelTechnicalOwner}
	okFetch  = activities.FetchResult{Pages: 3, Received: 250, Staged: 250}
	okTree   = activities.ResolveResult{HeadID: "mem_1", People: 250, Problems: 2}
	okCounts = domain.Counts{Hires: 250, Problems: 2}
)

// happyUntil mocks every step before `step` as succeeding.
func (s *syncSuite) happyUntil(step domain.Step) {
	steps := []domain.Step{domain.StepAuthorize, domain.StepLogin, domain.StepFetch, domain.StepResolve, domain.StepApply}
	for _, st := range steps {
		if st == step {
			return
		}
		switch st {
		case domain.StepAuthorize:
			s.env.OnActivity(a.Authorize, mock.Anything, mock.Anything).Return(okAuth, nil).Once()
		case domain.StepLogin:
			s.env.OnActivity(a.Login, mock.Anything, mock.Anything).Return(nil).Once()
		case domain.StepFetch:
			s.env.OnActivity(a.FetchMembers, mock.Anything, mock.Anything).Return(okFetch, nil).Once()
		case domain.StepResolve:
			s.env.OnActivity(a.ResolveOrgTree, mock.Anything, mock.Anything).Return(okTree, nil).Once()
		case domain.StepApply:
			s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.Anything).Return(activities.ApplyResult{Outcome: domain.OutcomeApplied, Counts: okCounts}, nil).Once()
		}
	}
}

// expectEnd mocks notify (when wanted) and finish, checking the outcome they get.
func (s *syncSuite) expectEnd(outcome domain.Outcome, notify bool) {
	if notify {
		s.env.OnActivity(a.SendSyncSummary, mock.Anything, mock.MatchedBy(func(n activities.NotifyInput) bool {
			return n.Outcome == outcome && n.Org == "acme" && n.RequestedBy == in.RequestedBy
		})).Return(activities.NotifyResult{Sent: 1}, nil).Once()
	}
	s.env.OnActivity(a.FinishRun, mock.Anything, mock.MatchedBy(func(f activities.FinishInput) bool {
		return f.Outcome == outcome
	})).Return(nil).Once()
}

func (s *syncSuite) TestAppliedRunsEveryStepInOrder() {
	s.happyUntil("")
	s.expectEnd(domain.OutcomeApplied, true)
	var order []string
	s.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		order = append(order, info.ActivityType.Name)
	})
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.Equal([]string{"Authorize", "Login", "FetchMembers", "ResolveOrgTree", "ApplyRoster", "SendSyncSummary", "FinishRun"}, order)
	s.True(s.env.IsWorkflowCompleted())
	s.NoError(s.env.GetWorkflowError())
	var sum SyncSummary
	s.NoError(s.env.GetWorkflowResult(&sum))
	s.Equal(domain.OutcomeApplied, sum.Outcome)
	s.Equal(250, sum.Hires)
	s.Equal(2, sum.Problems)
	s.Equal("mem_1", sum.HeadID)
}

func (s *syncSuite) TestAccessRefusedBeforeJustworks() {
	s.env.OnActivity(a.Authorize, mock.Anything, mock.Anything).Return(activities.AuthorizeResult{},
		temporal.NewNonRetryableApplicationError("member@acme.example has access level \"admin\"", string(domain.ErrTypeAccessDenied), nil)).Once()
	s.expectEnd(domain.OutcomeRefused, false)
	s.env.ExecuteWorkflow(SyncRoster, in)
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var ae *temporal.ApplicationError
	s.Require().True(errors.As(err, &ae))
	s.Equal(string(domain.ErrTypeAccessDenied), ae.Type())
	s.Contains(ae.Message(), "access level")
	// Login, fetch and the rest were never mocked: calling them would fail the test.
}

func (s *syncSuite) TestAmbiguousHeadFailsAndNotifies() {
	s.happyUntil(domain.StepResolve)
	s.env.OnActivity(a.ResolveOrgTree, mock.Anything, mock.Anything).Return(activities.ResolveResult{},
		temporal.NewNonRetryableApplicationError(`2 active members are named "Ada Lovelace" (ids [mem_1 mem_2])`, string(domain.ErrTypeHeadAmbiguous), nil)).Once()
	s.expectEnd(domain.OutcomeFailed, true)
	s.env.ExecuteWorkflow(SyncRoster, in)
	var ae *temporal.ApplicationError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &ae))
	s.Equal(string(domain.ErrTypeHeadAmbiguous), ae.Type())
	s.Contains(ae.Message(), "mem_1 mem_2")
}

func (s *syncSuite) TestSafetyRefusalCompletesAsRefused() {
	s.happyUntil(domain.StepApply)
	reason := "would terminate or remove 45 of 120 active people"
	s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.Anything).Return(activities.ApplyResult{Outcome: domain.OutcomeRefused, Reason: reason}, nil).Once()
	// The email must say why nothing was applied.
	s.env.OnActivity(a.SendSyncSummary, mock.Anything, mock.MatchedBy(func(n activities.NotifyInput) bool {
		return n.Outcome == domain.OutcomeRefused && n.Reason == reason
	})).Return(activities.NotifyResult{Sent: 1}, nil).Once()
	s.env.OnActivity(a.FinishRun, mock.Anything, mock.MatchedBy(func(f activities.FinishInput) bool {
		return f.Outcome == domain.OutcomeRefused && f.Error == reason
	})).Return(nil).Once()
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.NoError(s.env.GetWorkflowError())
	var sum SyncSummary
	s.NoError(s.env.GetWorkflowResult(&sum))
	s.Equal(domain.OutcomeRefused, sum.Outcome)
	s.Equal(reason, sum.Reason)
}

func (s *syncSuite) TestOutageIsRetriedUntilFetchSucceeds() {
	s.happyUntil(domain.StepFetch)
	outage := temporal.NewApplicationErrorWithOptions("justworks list members: 503 unavailable", string(domain.ErrTypeJustworksRetryable),
		temporal.ApplicationErrorOptions{NextRetryDelay: 30 * time.Second})
	s.env.OnActivity(a.FetchMembers, mock.Anything, mock.Anything).Return(activities.FetchResult{}, outage).Times(3)
	s.env.OnActivity(a.FetchMembers, mock.Anything, mock.Anything).Return(okFetch, nil).Once()
	s.env.OnActivity(a.ResolveOrgTree, mock.Anything, mock.Anything).Return(okTree, nil).Once()
	s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.Anything).Return(activities.ApplyResult{Outcome: domain.OutcomeNoChanges, Counts: domain.Counts{Unchanged: 250}}, nil).Once()
	s.expectEnd(domain.OutcomeNoChanges, true)
	start := s.env.Now()
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.NoError(s.env.GetWorkflowError())
	// Three Retry-After waits of 30 s were honoured.
	s.GreaterOrEqual(s.env.Now().Sub(start), 90*time.Second)
}

func (s *syncSuite) TestBadCredentialsAreNotRetried() {
	s.happyUntil(domain.StepLogin)
	s.env.OnActivity(a.Login, mock.Anything, mock.Anything).Return(
		temporal.NewNonRetryableApplicationError("Justworks rejected the username or password", string(domain.ErrTypeBadCredentials), nil)).Once()
	s.expectEnd(domain.OutcomeFailed, true)
	s.env.ExecuteWorkflow(SyncRoster, in)
	var ae *temporal.ApplicationError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &ae))
	s.Equal(string(domain.ErrTypeBadCredentials), ae.Type())
}

func (s *syncSuite) TestEmailFailureDoesNotFailAppliedSync() {
	s.happyUntil("")
	s.env.OnActivity(a.SendSyncSummary, mock.Anything, mock.Anything).Return(activities.NotifyResult{},
		temporal.NewNonRetryableApplicationError("smtp refused", "Mail", nil)).Once()
	s.env.OnActivity(a.FinishRun, mock.Anything, mock.Anything).Return(nil).Once()
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.NoError(s.env.GetWorkflowError())
}

func (s *syncSuite) TestProgressQueryReportsStep() {
	s.happyUntil(domain.StepApply)
	var during Progress
	s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.ApplyInput) (activities.ApplyResult, error) {
		// Ask while the apply step runs.
		v, err := s.env.QueryWorkflow(ProgressQuery)
		s.Require().NoError(err)
		s.Require().NoError(v.Get(&during))
		return activities.ApplyResult{Outcome: domain.OutcomeApplied, Counts: okCounts}, nil
	}).Once()
	s.expectEnd(domain.OutcomeApplied, true)
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.Equal(domain.StepApply, during.Step)
	s.Equal(250, during.Staged)
	var end Progress
	v, err := s.env.QueryWorkflow(ProgressQuery)
	s.Require().NoError(err)
	s.Require().NoError(v.Get(&end))
	s.Equal(domain.StepDone, end.Step)
	s.Equal(domain.OutcomeApplied, end.Outcome)
}

func TestBadInputIsRefused(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.ExecuteWorkflow(SyncRoster, SyncInput{Org: " ", RequestedBy: ""})
	var ae *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &ae))
	require.Equal(t, "BadInput", ae.Type())
}

func (s *syncSuite) TestEmptyRosterIsRefusedWithoutResolve() {
	s.happyUntil(domain.StepFetch)
	s.env.OnActivity(a.FetchMembers, mock.Anything, mock.Anything).Return(activities.FetchResult{Pages: 1}, nil).Once()
	s.env.OnActivity(a.SendSyncSummary, mock.Anything, mock.MatchedBy(func(n activities.NotifyInput) bool {
		return n.Outcome == domain.OutcomeRefused && strings.Contains(n.Reason, "empty roster")
	})).Return(activities.NotifyResult{Sent: 1}, nil).Once()
	s.env.OnActivity(a.FinishRun, mock.Anything, mock.Anything).Return(nil).Once()
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.NoError(s.env.GetWorkflowError())
	var sum SyncSummary
	s.NoError(s.env.GetWorkflowResult(&sum))
	s.Equal(domain.OutcomeRefused, sum.Outcome)
	s.Contains(sum.Reason, "empty roster", "the starter prints the reason from the summary")
}

// A cancellation that arrives while the roster is being applied waits for
// the apply, so the run records (and emails) what the database holds.
func (s *syncSuite) TestCancelDuringApplyRecordsTheApply() {
	s.happyUntil(domain.StepApply)
	s.env.OnActivity(a.ApplyRoster, mock.Anything, mock.Anything).After(time.Minute).
		Return(activities.ApplyResult{Outcome: domain.OutcomeApplied, Counts: okCounts}, nil).Once()
	s.expectEnd(domain.OutcomeApplied, true)
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, 30*time.Second)
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.NoError(s.env.GetWorkflowError())
}

// A cancellation before the apply ends the run Canceled, recorded as failed.
func (s *syncSuite) TestCancelDuringFetchEndsCanceled() {
	s.happyUntil(domain.StepFetch)
	s.env.OnActivity(a.FetchMembers, mock.Anything, mock.Anything).After(time.Hour).Return(okFetch, nil).Maybe()
	s.expectEnd(domain.OutcomeFailed, true)
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, time.Minute)
	s.env.ExecuteWorkflow(SyncRoster, in)
	s.True(temporal.IsCanceledError(s.env.GetWorkflowError()), "%v", s.env.GetWorkflowError())
}
