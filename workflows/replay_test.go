package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/codec"
)

// replayKeys must match internal/e2e.ReplayCodecKeys, the test-only key the
// histories under testdata/histories were recorded with (docs/operations.md,
// "Recording a history").
const replayKeys = "replay-test:cm9zdGVyc3luYy1yZXBsYXktdGVzdC1rZXktMzJieXQ="

func histories(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 5, "recorded histories are missing")
	return files
}

func replayer(t *testing.T, register func(worker.WorkflowReplayer)) worker.WorkflowReplayer {
	keys, err := codec.ParseKeyring(replayKeys)
	require.NoError(t, err)
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: codec.DataConverter(keys)})
	require.NoError(t, err)
	register(r)
	return r
}

// replay replays one recorded history under its original workflow ID (kept
// beside it in a .id file).
func replay(t *testing.T, r worker.WorkflowReplayer, file string) error {
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	id, err := os.ReadFile(strings.TrimSuffix(file, ".json") + ".id")
	require.NoError(t, err)
	return r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: strings.TrimSpace(string(id)), RunID: "replay"},
	})
}

// Every recorded run replays against today's workflow code: a change that
// would break a running sync fails here. Guard such changes with
// workflow.GetVersion (versions.go) and record a new history.
func TestReplayRecordedHistories(t *testing.T) {
	r := replayer(t, func(r worker.WorkflowReplayer) {
		r.RegisterWorkflow(SyncRoster)
		r.RegisterWorkflow(DailySync)
	})
	for _, f := range histories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, replay(t, r, f))
		})
	}
}

// The replay test has teeth: a workflow that skips a step the recorded run
// took is reported as non-deterministic.
func TestReplayCatchesAnIncompatibleChange(t *testing.T) {
	skipsLogin := func(ctx workflow.Context, in SyncInput) (SyncSummary, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
		var auth activities.AuthorizeResult
		_ = workflow.ExecuteActivity(ctx, a.Authorize, activities.AuthorizeInput{}).Get(ctx, &auth)
		var fetched activities.FetchResult
		err := workflow.ExecuteActivity(ctx, a.FetchMembers, activities.RunRef{}).Get(ctx, &fetched)
		return SyncSummary{}, err
	}
	r := replayer(t, func(r worker.WorkflowReplayer) {
		r.RegisterWorkflowWithOptions(skipsLogin, workflow.RegisterOptions{Name: "SyncRoster"})
	})
	err := replay(t, r, filepath.Join("..", "testdata", "histories", "first_sync.json"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "TMPRL1100") // the SDK's non-determinism error code
}
