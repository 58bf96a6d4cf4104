package workflows

import "github.com/rostersync/rostersync/internal/domain"

// TaskQueue is where workers poll for Rostersync workflows and activities.
// (The worker may override it with ROSTERSYNC_TASK_QUEUE.)
const TaskQueue = "rostersync"

// SyncInput starts a sync. It is what an operator types into Temporal Web's
// "Start Workflow" form: {"org": "acme", "requested_by": "you@acme.example"}.
type SyncInput struct {
	Org         string `json:"org"`
	RequestedBy string `json:"requested_by"`
}

// SyncSummary is a sync's result: the outcome and the counts, nothing else.
type SyncSummary struct {
	Org     string         `json:"org"`
	Outcome domain.Outcome `json:"outcome"`
	domain.Counts
	People int    `json:"people"`
	HeadID string `json:"head_id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Progress answers the "progress" query: the current step and what is known so far.
type Progress struct {
	Step    domain.Step    `json:"step"`
	Org     string         `json:"org"`
	Pages   int            `json:"pages"`
	Staged  int            `json:"staged"`
	Outcome domain.Outcome `json:"outcome,omitempty"`
	domain.Counts
}

// ProgressQuery is the name of the query that returns Progress.
const ProgressQuery = "progress"

// WorkflowID is the one fixed ID of an org's sync: at most one runs at a time.
func WorkflowID(org string) string { return "sync-roster:" + org }

// ScheduleID is the ID of an org's daily schedule.
func ScheduleID(org string) string { return "sync-roster-daily:" + org }
