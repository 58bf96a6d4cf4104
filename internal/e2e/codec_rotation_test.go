package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/tclient"
	"github.com/rostersync/rostersync/workflows"

	"github.com/rostersync/rostersync/internal/sandbox"
)

func codecKey(id string) string {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return id + ":" + base64.StdEncoding.EncodeToString(k)
}

// Rotating the payload codec keys never breaks the daily schedule: the old
// key is dropped outright (the harshest rotation), the worker re-encrypts the
// schedule from the database at start-up, and a triggered run syncs.
func TestCodecKeyRotationKeepsTheSchedule(t *testing.T) {
	oldKey, newKey := codecKey("old"), codecKey("new")
	s := newStack(t, sandbox.Config{People: 30}, withEnv("ROSTERSYNC_CODEC_KEYS="+oldKey))
	s.setupOrg() // creates the daily schedule, encrypted with "old"
	stopWorker(t, s.workers[0])

	s.env = append(s.env, "ROSTERSYNC_CODEC_KEYS="+newKey)
	s.startWorker(s.workerBin)
	s.waitWorkerReady(len(s.workers) - 1)
	s.redial()
	ctx := context.Background()
	// The worker rewrote the schedule before it started polling.
	d, err := s.tc.WorkflowService().DescribeSchedule(ctx, &workflowservice.DescribeScheduleRequest{Namespace: "default", ScheduleId: workflows.ScheduleID(s.org)})
	require.NoError(t, err)
	require.Equal(t, "new", codec.KeyID(d.GetSchedule().GetAction().GetStartWorkflow().GetInput().GetPayloads()[0]))
	wfID, runID := s.triggerDaily(ctx)
	dw, err := describeRaw(s.tc, ctx, wfID, runID)
	require.NoError(t, err)
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, dw.GetWorkflowExecutionInfo().GetStatus())
	require.Equal(t, 30, s.count("SELECT count(*) FROM people WHERE org_id = $1", s.org), "the scheduled sync applied the roster")
	require.Contains(t, s.workerLogs(), "schedule re-encrypted with the primary codec key")

	// The starter, with only the new key too, can still update the schedule.
	s.mustRun("org", "set", "--org", s.org, "--daily", "07:00", "--tz", "Europe/Berlin", "--as", owner)
}

// redial connects the stack's Temporal client again with today's
// environment (a rotated ROSTERSYNC_CODEC_KEYS).
func (s *stack) redial() {
	s.t.Helper()
	keys, err := codec.FromEnv(s.getenv)
	require.NoError(s.t, err)
	tc, err := tclient.Dial(context.Background(), config.Load(s.getenv), zap.NewNop(), tclient.Options{Keys: keys})
	require.NoError(s.t, err)
	s.t.Cleanup(tc.Close)
	s.tc = tc
}

// waitWorkerReady waits until worker i has logged that it polls.
func (s *stack) waitWorkerReady(i int) {
	s.t.Helper()
	path := filepath.Join(s.dir, fmt.Sprintf("worker-%d.log", i))
	require.Eventually(s.t, func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), `"worker started"`)
	}, time.Minute, 100*time.Millisecond, "worker %d never started", i)
}
