package activities

import "github.com/rostersync/rostersync/internal/domain"

// Every input and result here travels through Temporal history, so each one is
// small and carries no member data and no secret: orgs, ids and counts only.

// RunRef names one sync run: the org and the Temporal run that owns its staging.
type RunRef struct {
	Org        string `json:"org"`
	RunID      string `json:"run_id"`
	WorkflowID string `json:"workflow_id"`
}

// AuthorizeInput asks whether RequestedBy may sync Org.
type AuthorizeInput struct {
	RunRef
	RequestedBy string `json:"requested_by"`
	// StartedVia is recorded with the run (domain.StartedVia); "" = operator.
	StartedVia string `json:"started_via,omitempty"`
}

// AuthorizeResult is what the later steps need to know of the org's config.
type AuthorizeResult struct {
	OrgName  string       `json:"org_name"`
	HeadName string       `json:"head_name"`
	Level    domain.Level `json:"level"`
}

// FetchResult counts what was staged.
type FetchResult struct {
	Pages     int  `json:"pages"`
	Received  int  `json:"received"`  // member rows received, duplicates included
	Staged    int  `json:"staged"`    // distinct members staged
	Restarted bool `json:"restarted"` // paging restarted after an expired cursor
}

// FetchProgress is the heartbeat of FetchMembers (domain.FetchProgress).
type FetchProgress = domain.FetchProgress

// ResolveInput resolves the staged roster's tree from the configured head.
type ResolveInput struct {
	RunRef
	HeadName string `json:"head_name"`
}

// ResolveResult names the head and counts problems.
type ResolveResult struct {
	HeadID   string `json:"head_id"`
	People   int    `json:"people"`
	Problems int    `json:"problems"`
}

// ApplyInput applies the run's staged roster: as usual, as the approval of
// its held change set, or as a preview that writes nothing.
type ApplyInput struct {
	RunRef
	Approved bool `json:"approved,omitempty"`
	Preview  bool `json:"preview,omitempty"`
}

// ApplyResult is the outcome of applying the staged roster. Held: a safety
// check refused it and its change set waits for a decision.
type ApplyResult struct {
	Outcome domain.Outcome `json:"outcome"`
	Reason  string         `json:"reason,omitempty"`
	Counts  domain.Counts  `json:"counts"`
	Held    bool           `json:"held,omitempty"`
}

// HoldResult is how long a held run waits, and who may decide (emails and
// levels of the org's technical owners and owners when the wait began; the
// update validator's first check, re-checked in the store at decision time).
type HoldResult struct {
	TimeoutSeconds int64     `json:"timeout_seconds"`
	DueUnix        int64     `json:"due_unix"`
	Deciders       []Decider `json:"deciders"`
}

// Decider is one person who may approve or reject.
type Decider struct {
	Email string       `json:"email"`
	Level domain.Level `json:"level"`
}

// DecideInput asks whether DecidedBy may decide the held run now.
type DecideInput struct {
	RunRef
	DecidedBy string `json:"decided_by"`
}

// RecordDecisionInput records how a held run's wait ended.
type RecordDecisionInput struct {
	RunRef
	Decision  domain.Decision `json:"decision"`
	DecidedBy string          `json:"decided_by,omitempty"`
	Via       string          `json:"via,omitempty"`
}

// NotifyInput is everything the summary email needs beyond the store.
type NotifyInput struct {
	RunRef
	RequestedBy string         `json:"requested_by"`
	Outcome     domain.Outcome `json:"outcome"`
	Reason      string         `json:"reason,omitempty"`
	Counts      domain.Counts  `json:"counts"`
	StartedUnix int64          `json:"started_unix"`
	// A held run's email says until when it waits; a decided one, how it
	// was decided.
	DecisionDueUnix int64  `json:"decision_due_unix,omitempty"`
	Decision        string `json:"decision,omitempty"`
	// DryRun: keep the rendered summary for the run instead of emailing it.
	DryRun bool `json:"dry_run,omitempty"`
}

// NotifyResult counts delivered emails.
type NotifyResult struct {
	Sent    int `json:"sent"`
	Skipped int `json:"skipped"` // already sent by an earlier attempt
}

// FinishInput records the end of a run.
type FinishInput struct {
	RunRef
	Outcome domain.Outcome `json:"outcome"`
	Counts  domain.Counts  `json:"counts"`
	Error   string         `json:"error,omitempty"`
}
