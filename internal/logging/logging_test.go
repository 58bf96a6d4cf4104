package logging

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/sdk/activity"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// thisFile is where the log calls below are, the caller every line must name.
func thisFile() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Base(f)
}

func loggedActivity(ctx context.Context) error {
	activity.GetLogger(ctx).Info("from the activity", "k", "v")
	return nil
}

func loggedWorkflow(ctx workflow.Context) error {
	workflow.GetLogger(ctx).Info("from the workflow", "k", "v")
	return nil
}

// completedHistory is the history of loggedWorkflow: replaying it, a replayer
// runs the workflow code once, through the same logger wrapping a
// worker uses (log.With, then the replay-aware logger).
func completedHistory() *historypb.History {
	ev := func(id int64, t enumspb.EventType, attrs func(*historypb.HistoryEvent)) *historypb.HistoryEvent {
		e := &historypb.HistoryEvent{EventId: id, EventType: t}
		attrs(e)
		return e
	}
	tq := &taskqueuepb.TaskQueue{Name: "logging-test"}
	return &historypb.History{Events: []*historypb.HistoryEvent{
		ev(1, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
				WorkflowType: &commonpb.WorkflowType{Name: "loggedWorkflow"}, TaskQueue: tq,
			}}
		}),
		ev(2, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{TaskQueue: tq}}
		}),
		ev(3, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: 2}}
		}),
		ev(4, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{ScheduledEventId: 2, StartedEventId: 3}}
		}),
		ev(5, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{WorkflowTaskCompletedEventId: 4}}
		}),
	}}
}

// The SDK wraps our logger before workflow and activity code sees it (the
// workflow's replay-aware logger is one more frame); without WithCallerSkip a
// workflow's lines would name the SDK's replay_logger.go as their caller.
func TestSDKLinesCarryTheirCaller(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	z := zap.New(core, zap.AddCaller())

	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{EnableLoggingInReplay: true})
	require.NoError(t, err)
	r.RegisterWorkflow(loggedWorkflow)
	require.NoError(t, r.ReplayWorkflowHistory(SDKLogger(z), completedHistory()))

	var s testsuite.WorkflowTestSuite
	s.SetLogger(SDKLogger(z))
	aenv := s.NewTestActivityEnvironment()
	aenv.RegisterActivity(loggedActivity)
	_, err = aenv.ExecuteActivity(loggedActivity)
	require.NoError(t, err)

	sdklog.With(SDKLogger(z), "k", "v").Info("direct")

	want := map[string]bool{"from the workflow": false, "from the activity": false, "direct": false}
	for _, e := range logs.All() {
		if _, ok := want[e.Message]; !ok {
			continue
		}
		want[e.Message] = true
		require.True(t, e.Caller.Defined, e.Message)
		require.Equal(t, thisFile(), filepath.Base(e.Caller.File), "caller of %q: %s", e.Message, e.Caller.String())
		require.Equal(t, "v", e.ContextMap()["k"], "keyvals of %q", e.Message)
	}
	for msg, seen := range want {
		require.True(t, seen, "no line %q", msg)
	}
}
