package domain

import (
	"fmt"
	"time"
)

// Outcomes and steps of a sync held for a decision, and of a preview.
const (
	// OutcomeHeld: a safety check tripped and the sync waits for a
	// technical owner to approve or reject the change set it staged. Never a
	// run's final outcome: approval ends applied (or no_changes), rejection
	// and time-out end refused.
	OutcomeHeld Outcome = "held"
	// OutcomePreviewed: a dry run fetched, resolved and diffed; nothing was
	// applied and nobody was emailed.
	OutcomePreviewed Outcome = "previewed"

	// StepDecide: the sync waits for approve or reject (a Temporal Update).
	StepDecide Step = "await_decision"
	// StepPreview: a dry run computes the change set without applying it.
	StepPreview Step = "preview"
)

// Decision is what became of a held sync.
type Decision string

// Decisions. Approve and reject arrive as Temporal Updates of the same names;
// a time-out is the workflow's own.
const (
	DecisionApprove  Decision = "approve"
	DecisionReject   Decision = "reject"
	DecisionTimedOut Decision = "timed_out"
)

// Channels a decision can come through: how much the decider's name is
// worth. Only the console's rests on a verified sign-in.
const (
	ViaCLI      = "cli"      // `starter sync approve|reject --as`: an operator's assertion
	ViaConsole  = "console"  // a signed-in console user
	ViaOperator = "operator" // Temporal Web's update form or any API client: as typed
)

// ViaLabel is how a channel is shown next to the decider.
func ViaLabel(via string) string {
	switch via {
	case ViaCLI:
		return "operator action: starter --as"
	case ViaConsole:
		return "console sign-in"
	}
	return "operator action: Temporal Web or API, identity as typed"
}

// DefaultApprovalTimeout is how long a held sync waits for a decision unless
// the org says otherwise.
const DefaultApprovalTimeout = 72 * time.Hour

// Approval timeouts an org may set.
const (
	MinApprovalTimeout = time.Second
	MaxApprovalTimeout = 30 * 24 * time.Hour
)

// CheckApprovalTimeout accepts a timeout within the bounds.
func CheckApprovalTimeout(d time.Duration) error {
	if d < MinApprovalTimeout || d > MaxApprovalTimeout {
		return fmt.Errorf("%s: use a duration from %s to %s (e.g. 72h)", d, MinApprovalTimeout, MaxApprovalTimeout)
	}
	return nil
}

// DecisionHint tells a reader how to give a pending decision.
func DecisionHint(org string) string {
	return fmt.Sprintf("approve with `starter sync approve --org %s --as EMAIL` or reject with `starter sync reject --org %s --as EMAIL` (technical_owner or owner), or in Temporal Web (Update approve/reject)", org, org)
}

// ErrTypeNoDecisionPending: an approve or reject reached a sync that is not
// waiting for one (not held, or already decided or timed out).
const ErrTypeNoDecisionPending ErrorType = "NoDecisionPending"
