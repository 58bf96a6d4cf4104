package workflows

// Change IDs for workflow.GetVersion, in one place. When logic that running
// syncs have already passed through changes, add an ID here, branch on
// workflow.GetVersion(ctx, id, workflow.DefaultVersion, 1), and record a new
// history under testdata/ (docs/operations.md, "Recording a history").

const (
	// changeEmptyRosterRefused: an empty roster ends the sync "refused" right
	// after the fetch, instead of failing in resolve with "head not found".
	changeEmptyRosterRefused = "empty-roster-refused"

	// changeApprovalHold: a run refused by a safety check waits for an
	// approve or reject Update (or the org's time-out) instead of ending
	// refused at once.
	changeApprovalHold = "approval-hold"
)
