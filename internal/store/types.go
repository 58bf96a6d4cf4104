package store

import (
	"errors"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
)

// ErrNotFound is returned when an org (or run) does not exist.
var ErrNotFound = errors.New("not found")

// ErrBadInput marks data that can never be stored as sent (an empty id, an
// invalid date); errors wrapping it name the member and field. Retrying the
// same data cannot help.
var ErrBadInput = errors.New("bad input")

// Org is one connected Justworks account and its sync settings. Credentials are
// stored sealed (internal/secrets); the store never sees them in clear.
type Org struct {
	ID               string
	Name             string
	JustworksURL     string
	Username         string
	SealedPassword   []byte
	SealedTOTPSecret []byte
	HeadName         string
	Notify           []string
	Daily            bool
	DailyTime        string // "HH:MM"
	TimeZone         string // IANA name
	ScheduleAs       string // principal the daily schedule runs as
	SafetyThreshold  float64
	LoginBlocked     string        // non-empty: Justworks rejected the credentials; no login until they change
	ApprovalTimeout  time.Duration // how long a held sync waits for a decision (0: domain.DefaultApprovalTimeout)
	Options          SyncOptions   // scope, ignored fields, fields Rostersync owns
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Run is one sync run, keyed by its Temporal run ID.
type Run struct {
	RunID       string
	OrgID       string
	WorkflowID  string
	RequestedBy string
	StartedVia  string // domain.StartedVia; "" for runs recorded before it existed
	StartedAt   time.Time
	FinishedAt  *time.Time
	Outcome     domain.Outcome
	Counts      domain.Counts
	Error       string
}

// ApplyParams says what to apply and with which safety limit.
type ApplyParams struct {
	OrgID           string
	RunID           string
	SafetyThreshold float64 // refuse when more than this fraction of stored active people would leave
	// Approved: a decider approved the run's held change set; write it if
	// it is still exactly the staged one, whatever the safety checks say.
	Approved bool
	// Preview: diff, count and stage the change set, write nothing (a dry run).
	Preview bool
}

// ApplyResult is what ApplyRoster did. Reason explains a refusal. Held says a
// safety check refused it and the change set is staged for a decision.
type ApplyResult struct {
	Outcome domain.Outcome
	Reason  string
	Counts  domain.Counts
	Held    bool
	// Repeated: the run had been applied before and this is that first
	// answer, read back (a retried activity); nothing was written now.
	Repeated bool
}

// Change is one change-log row of a run, with the person's display name.
type Change struct {
	MemberID    string
	Kind        domain.ChangeKind
	DisplayName string
	Fields      []FieldChange
}

// FieldChange is one field that changed. For manager_id, OldLabel/NewLabel hold
// the managers' display names.
type FieldChange struct {
	Field    string
	Old, New *string
	OldLabel *string
	NewLabel *string
}

// Export is the stored org chart in the `starter roster export` JSON shape.
type Export struct {
	Org      string          `json:"org"`
	HeadID   *string         `json:"head_id"`
	People   []ExportPerson  `json:"people"`
	Problems []ExportProblem `json:"problems"`
}

// ExportPerson is one stored person; every key is always present.
type ExportPerson struct {
	ID              string  `json:"id"`
	DisplayName     string  `json:"display_name"`
	GivenName       string  `json:"given_name"`
	FamilyName      string  `json:"family_name"`
	PreferredName   *string `json:"preferred_name"`
	WorkEmail       *string `json:"work_email"`
	JobTitle        *string `json:"job_title"`
	Department      *string `json:"department"`
	ManagerID       *string `json:"manager_id"`
	EmploymentType  string  `json:"employment_type"`
	Status          string  `json:"status"`
	StartDate       *string `json:"start_date"`
	TerminationDate *string `json:"termination_date"`
	Location        *string `json:"location"`
}

// ExportProblem is one tree problem of the last applied sync.
type ExportProblem struct {
	MemberID string `json:"member_id"`
	Kind     string `json:"kind"`
	Detail   string `json:"detail"`
}
