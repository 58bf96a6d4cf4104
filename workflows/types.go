package workflows

import (
	"time"

	"github.com/rostersync/rostersync/internal/domain"
)

// TaskQueue is where workers poll for Rostersync workflows and activities.
// (The worker may override it with ROSTERSYNC_TASK_QUEUE.)
const TaskQueue = "rostersync"

// SyncInput starts a sync. It is what an operator types into Temporal Web's
// "Start Workflow" form: {"org": "acme", "requested_by": "you@acme.example"}.
type SyncInput struct {
	Org         string `json:"org"`
	RequestedBy string `json:"requested_by"`
	// DryRun: fetch, resolve and diff, apply nothing, email nobody; the
	// summary the real run would send is kept for the run (store.RunPreview).
	// A dry run runs under PreviewWorkflowID, beside the org's real sync.
	DryRun bool `json:"dry_run,omitempty"`
	// Scheduled is set by DailySync: nobody watches a scheduled run, so
	// even its refusal at authorize is emailed.
	Scheduled bool `json:"scheduled,omitempty"`
	// StartedVia is how the sync was started (domain.StartedVia: console,
	// schedule, cli); empty for a start typed in Temporal Web, recorded as an
	// operator's. Optional, so inputs of older runs decode unchanged.
	StartedVia string `json:"started_via,omitempty"`
}

// SyncSummary is a sync's result: the outcome and the counts, nothing else.
type SyncSummary struct {
	Org     string         `json:"org"`
	Outcome domain.Outcome `json:"outcome"`
	domain.Counts
	People int    `json:"people"`
	HeadID string `json:"head_id,omitempty"`
	Reason string `json:"reason,omitempty"`
	// WouldBe is a dry run's verdict: what the real run would have ended
	// as (applied, no_changes, or held for a decision).
	WouldBe domain.Outcome `json:"would_be,omitempty"`
	// Decision says how a held run was decided.
	Decision string `json:"decision,omitempty"`
}

// Progress answers the "progress" query: the current step and what is known so far.
type Progress struct {
	Step    domain.Step    `json:"step"`
	Org     string         `json:"org"`
	Pages   int            `json:"pages"`
	Staged  int            `json:"staged"`
	Outcome domain.Outcome `json:"outcome,omitempty"`
	domain.Counts
	// Decision is set while the sync waits for approve or reject.
	Decision *PendingDecision `json:"decision,omitempty"`
}

// PendingDecision is a held sync's wait: until when, why, and how to decide.
type PendingDecision struct {
	Due    time.Time `json:"due"`
	Reason string    `json:"reason"`
	Hint   string    `json:"hint"`
}

// The Updates that decide a held sync; both take a DecisionInput and return
// a DecisionResult.
const (
	UpdateApprove = string(domain.DecisionApprove)
	UpdateReject  = string(domain.DecisionReject)
)

// DecisionInput is the argument of the approve and reject Updates:
// {"decided_by": "you@acme.example"} in Temporal Web's update form.
type DecisionInput struct {
	DecidedBy string `json:"decided_by"`
	// Via is the channel (domain.ViaCLI, domain.ViaConsole); empty or
	// unknown is an operator's Update (Temporal Web, an API client).
	Via  string `json:"via,omitempty"`
	Note string `json:"note,omitempty"`
}

// DecisionResult is the Updates' answer: the decision was taken (the sync
// then applies or ends on its own).
type DecisionResult struct {
	Org       string          `json:"org"`
	Decision  domain.Decision `json:"decision"`
	DecidedBy string          `json:"decided_by"`
}

// ProgressQuery is the name of the query that returns Progress.
const ProgressQuery = "progress"

// WorkflowID is the one fixed ID of an org's sync: at most one runs at a time.
func WorkflowID(org string) string { return "sync-roster:" + org }

// PreviewWorkflowID is the fixed ID of an org's dry run, which runs beside
// (never joins or blocks) its real sync.
func PreviewWorkflowID(org string) string { return "sync-roster-preview:" + org }

// syncID is the fixed ID a sync with this input runs under.
func syncID(in SyncInput) string {
	if in.DryRun {
		return PreviewWorkflowID(in.Org)
	}
	return WorkflowID(in.Org)
}

// ScheduleID is the ID of an org's daily schedule.
func ScheduleID(org string) string { return "sync-roster-daily:" + org }
