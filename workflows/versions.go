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

	// changeOrgMismatchRefused: under another org's fixed ID
	// ("sync-roster:acme" with {"org": "other"}), the sync refuses with
	// BadInput instead of starting the other org's sync as a child and
	// handing its result to whoever joins "sync-roster:acme". Asked only on
	// that branch.
	changeOrgMismatchRefused = "org-mismatch-refused"

	// changeScheduledRefusalEmailed: a scheduled run refused at authorize
	// emails the org's notification list. Asked only on that branch.
	changeScheduledRefusalEmailed = "scheduled-refusal-emailed"
)
