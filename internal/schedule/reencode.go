package schedule

import (
	"context"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/workflows"
)

// Reencode rewrites the org's schedule action (the DailySync input and the
// summary) from the org's row in the database, encrypted with the current
// primary codec key, when any of its payloads was encrypted with another key.
// A schedule keeps its payloads as they were encrypted when it was created:
// once that key is dropped from ROSTERSYNC_CODEC_KEYS, every scheduled run
// would fail to decode its input. The raw API is used because the SDK's
// Describe and Update decode the summary and fail on an unknown key. Spec,
// state (a pause, its note) and history stay. It reports whether it rewrote
// anything; a missing schedule is not an error.
func Reencode(ctx context.Context, c client.Client, namespace string, keys *codec.Keyring, org store.Org) (bool, error) {
	id := workflows.ScheduleID(org.ID)
	d, err := c.WorkflowService().DescribeSchedule(ctx, &workflowservice.DescribeScheduleRequest{Namespace: namespace, ScheduleId: id})
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("describe schedule %s: %w", id, err)
	}
	sw := d.GetSchedule().GetAction().GetStartWorkflow()
	if sw == nil {
		return false, nil
	}
	primary := keys.PrimaryID()
	if !staleKey(sw, primary) {
		return false, nil
	}
	dc := codec.DataConverter(keys)
	a := action(org, sw.GetTaskQueue().GetName())
	input, err := dc.ToPayloads(a.Args...)
	if err != nil {
		return false, fmt.Errorf("encode the input of schedule %s: %w", id, err)
	}
	summary, err := dc.ToPayload(a.StaticSummary)
	if err != nil {
		return false, fmt.Errorf("encode the summary of schedule %s: %w", id, err)
	}
	sw.Input = input
	sw.UserMetadata = &sdkpb.UserMetadata{Summary: summary}
	_, err = c.WorkflowService().UpdateSchedule(ctx, &workflowservice.UpdateScheduleRequest{
		Namespace:     namespace,
		ScheduleId:    id,
		Schedule:      d.GetSchedule(),
		ConflictToken: d.GetConflictToken(),
		Identity:      "rostersync-worker",
		RequestId:     fmt.Sprintf("reencode-%s-%s-%x", org.ID, primary, d.GetConflictToken()),
	})
	if err != nil {
		return false, fmt.Errorf("update schedule %s: %w", id, err)
	}
	// The server applies an update asynchronously; a run triggered right
	// after it could still start with the old payloads. Wait until it shows.
	for deadline := time.Now().Add(reencodeWait); ; {
		d, err := c.WorkflowService().DescribeSchedule(ctx, &workflowservice.DescribeScheduleRequest{Namespace: namespace, ScheduleId: id})
		if err == nil && !staleKey(d.GetSchedule().GetAction().GetStartWorkflow(), primary) {
			return true, nil
		}
		if time.Now().After(deadline) {
			return true, fmt.Errorf("schedule %s: updated, but the server still shows the old encryption after %s", id, reencodeWait)
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// reencodeWait bounds how long Reencode waits for the server to apply its update.
const reencodeWait = 15 * time.Second

// staleKey says whether any payload of the action was encrypted with a key
// other than primary.
func staleKey(sw *workflowpb.NewWorkflowExecutionInfo, primary string) bool {
	for _, p := range payloadsOf(sw) {
		if id := codec.KeyID(p); id != "" && id != primary {
			return true
		}
	}
	return false
}

// payloadsOf lists every payload of a start-workflow action that the codec
// may have encrypted.
func payloadsOf(sw *workflowpb.NewWorkflowExecutionInfo) []*commonpb.Payload {
	var ps []*commonpb.Payload
	ps = append(ps, sw.GetInput().GetPayloads()...)
	if md := sw.GetUserMetadata(); md != nil {
		ps = append(ps, md.GetSummary(), md.GetDetails())
	}
	for _, p := range sw.GetMemo().GetFields() {
		ps = append(ps, p)
	}
	return ps
}
