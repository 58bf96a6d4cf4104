package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/synccontrol"
	"github.com/rostersync/rostersync/internal/testenv"
	"github.com/rostersync/rostersync/workflows"
)

// ReplayCodecKeys is the fixed, test-only codec keyring the recorded histories
// are encrypted with; workflows/replay_test.go decodes them with the same.
const ReplayCodecKeys = "replay-test:cm9zdGVyc3luYy1yZXBsYXktdGVzdC1rZXktMzJieXQ="

// TestRecordHistories records the histories that workflows/replay_test.go
// replays: real runs through the real server, one per path a sync can take.
// It runs only on request:
//
//	ROSTERSYNC_RECORD_HISTORIES=1 make test ARGS='-run TestRecordHistories ./internal/e2e'
func TestRecordHistories(t *testing.T) {
	if os.Getenv("ROSTERSYNC_RECORD_HISTORIES") == "" {
		t.Skip("records testdata/histories only when ROSTERSYNC_RECORD_HISTORIES=1")
	}
	dir := filepath.Join(testenv.RepoRoot(), "testdata", "histories")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	s := newStack(t, sandbox.Config{People: 120}, withEnv("ROSTERSYNC_CODEC_KEYS="+ReplayCodecKeys))
	s.setupOrg()

	r := s.sync(tech)
	require.Equal(t, "applied", r.Outcome)
	s.saveHistory(dir, "first_sync.json", r.WorkflowID, r.RunID)

	s.sandbox.Mutate(func(r *sandbox.Roster) {
		r.Hire(justworks.Member{GivenName: "Ada", FamilyName: "Newhire", EmploymentType: justworks.EmploymentFullTime,
			Status: justworks.StatusActive, StartDate: "2026-11-02", ManagerID: strp(r.HeadID())})
	})
	r = s.sync(tech)
	require.Equal(t, "applied", r.Outcome)
	s.saveHistory(dir, "resync.json", r.WorkflowID, r.RunID)

	// Started the way the console starts it: the verified user and
	// started_via "console" in the input.
	ctx := context.Background()
	crun, err := synccontrol.StartOrJoin(ctx, s.tc, s.getenv("ROSTERSYNC_TASK_QUEUE"),
		workflows.SyncInput{Org: s.org, RequestedBy: tech, StartedVia: string(domain.StartedViaConsole)}, "Started from the console by "+tech+".")
	require.NoError(t, err)
	var csum workflows.SyncSummary
	require.NoError(t, crun.Get(ctx, &csum))
	require.Equal(t, domain.OutcomeNoChanges, csum.Outcome)
	s.saveHistory(dir, "console_sync.json", crun.GetID(), crun.GetRunID())

	// Refused by the workflow's own gate (the starter would refuse before
	// starting anything): started as Temporal Web or a schedule would.
	run, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "sync-roster:" + s.org, TaskQueue: s.getenv("ROSTERSYNC_TASK_QUEUE")},
		workflows.SyncRoster, workflows.SyncInput{Org: s.org, RequestedBy: admin})
	require.NoError(t, err)
	require.ErrorContains(t, run.Get(ctx, nil), "technical_owner")
	s.saveHistory(dir, "access_refused.json", run.GetID(), run.GetRunID())

	// An outage during the sync: activities fail, retry, and the sync ends by itself.
	s.sandbox.SetFaults(sandbox.Faults{UnavailableFrom: 0, UnavailableFor: 8 * time.Second})
	r = s.sync(tech)
	require.Equal(t, "no_changes", r.Outcome, "%+v", r)
	s.saveHistory(dir, "outage_then_retry.json", r.WorkflowID, r.RunID)
	s.sandbox.SetFaults(sandbox.Faults{})

	// A scheduled run: DailySync starting the org's sync as a child.
	h := s.tc.ScheduleClient().GetHandle(ctx, "sync-roster-daily:"+s.org)
	require.NoError(t, h.Trigger(ctx, clientTrigger()))
	var parentID, parentRun string
	require.Eventually(t, func() bool {
		d, err := h.Describe(ctx)
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		act := d.Info.RecentActions[0].StartWorkflowResult
		parentID, parentRun = act.WorkflowID, act.FirstExecutionRunID
		desc, err := describeRaw(s.tc, ctx, parentID, parentRun)
		return err == nil && desc.WorkflowExecutionInfo.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, 2*time.Minute, time.Second)
	s.saveHistory(dir, "daily_parent.json", parentID, parentRun)
}

func (s *stack) saveHistory(dir, name, workflowID, runID string) {
	s.t.Helper()
	ctx := context.Background()
	it := s.tc.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(s.t, err)
		h.Events = append(h.Events, e)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	require.NoError(s.t, err)
	require.NoError(s.t, os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644))
	// The replayer needs the workflow ID (history does not hold it), since
	// SyncRoster behaves differently under its org's fixed ID.
	require.NoError(s.t, os.WriteFile(filepath.Join(dir, strings.TrimSuffix(name, ".json")+".id"), []byte(workflowID+"\n"), 0o644))
	s.t.Logf("recorded %s: %d events", name, len(h.Events))
}

// TestRecordHoldHistories records the held branches (change ID
// approval-hold): approved, rejected, and timed out.
//
//	ROSTERSYNC_RECORD_HISTORIES=1 make test ARGS='-run TestRecordHoldHistories ./internal/e2e'
func TestRecordHoldHistories(t *testing.T) {
	if os.Getenv("ROSTERSYNC_RECORD_HISTORIES") == "" {
		t.Skip("records testdata/histories only when ROSTERSYNC_RECORD_HISTORIES=1")
	}
	dir := filepath.Join(testenv.RepoRoot(), "testdata", "histories")
	s := newStack(t, sandbox.Config{People: 120}, withEnv("ROSTERSYNC_CODEC_KEYS="+ReplayCodecKeys))
	s.setupOrg()
	require.Equal(t, "applied", s.sync(tech).Outcome)
	s.removeActive(40)
	ctx := context.Background()
	finish := func(name, wfID, runID string) {
		require.NoError(t, s.tc.GetWorkflow(ctx, wfID, runID).Get(ctx, nil))
		s.saveHistory(dir, name, wfID, runID)
	}

	held := s.syncHeld()
	_, errOut, code := s.run("sync", "reject", "--org", s.org, "--as", tech)
	require.Equal(t, 3, code, errOut)
	finish("held_rejected.json", held.WorkflowID, held.RunID)

	held = s.syncHeld()
	s.mustRun("sync", "approve", "--org", s.org, "--as", tech)
	finish("held_approved.json", held.WorkflowID, held.RunID)

	s.mustRun("org", "set", "--org", s.org, "--approval-timeout", "2s", "--as", tech)
	s.removeActive(30)
	held = s.syncHeld()
	finish("held_timed_out.json", held.WorkflowID, held.RunID)
}

// TestRecordFaultHistories records the histories of the branches added for
// issue 8 (a start under another org's fixed ID, a scheduled refusal that is
// emailed), without re-recording the others:
//
//	ROSTERSYNC_RECORD_HISTORIES=1 make test ARGS='-run TestRecordFaultHistories ./internal/e2e'
func TestRecordFaultHistories(t *testing.T) {
	if os.Getenv("ROSTERSYNC_RECORD_HISTORIES") == "" {
		t.Skip("records testdata/histories only when ROSTERSYNC_RECORD_HISTORIES=1")
	}
	dir := filepath.Join(testenv.RepoRoot(), "testdata", "histories")
	s := newStack(t, sandbox.Config{People: 20}, withEnv("ROSTERSYNC_CODEC_KEYS="+ReplayCodecKeys))
	s.setupOrg()
	ctx := context.Background()

	run, err := s.startMismatched(ctx)
	require.NoError(t, err)
	require.Error(t, run.Get(ctx, nil))
	s.saveHistory(dir, "org_mismatch_refused.json", run.GetID(), run.GetRunID())

	s.demoteScheduleOwner()
	wfID, runID := s.triggerDaily(ctx)
	_, err = s.smtp.WaitFor(2, 30*time.Second)
	require.NoError(t, err)
	s.saveHistory(dir, "scheduled_refusal_emailed.json", wfID, runID)
}
