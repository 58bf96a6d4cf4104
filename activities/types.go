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

// ApplyResult is the outcome of applying the staged roster.
type ApplyResult struct {
	Outcome domain.Outcome `json:"outcome"`
	Reason  string         `json:"reason,omitempty"`
	Counts  domain.Counts  `json:"counts"`
}

// NotifyInput is everything the summary email needs beyond the store.
type NotifyInput struct {
	RunRef
	RequestedBy string         `json:"requested_by"`
	Outcome     domain.Outcome `json:"outcome"`
	Reason      string         `json:"reason,omitempty"`
	Counts      domain.Counts  `json:"counts"`
	StartedUnix int64          `json:"started_unix"`
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
