package mail

import (
	"time"

	"github.com/rostersync/rostersync/internal/domain"
)

// Summary is everything the summary email says about one sync run.
type Summary struct {
	OrgID, OrgName    string
	WorkflowID, RunID string
	WebURL            string         // the run in Temporal Web
	Outcome           domain.Outcome // how the sync ended
	Reason            string         // why a sync was refused or failed
	RequestedBy       string
	Started, Finished time.Time
	Counts            domain.Counts
	// A held sync waits until DecisionDue; DecisionHint says how to decide.
	DecisionDue  time.Time
	DecisionHint string
	// Decision says how a held sync was decided ("approved by …").
	Decision string

	Hires, Terminations, Rehires, Returned, Removed []Person
	TitleChanges                                    []TitleChange
	ManagerMoves                                    []ManagerMove
	Problems                                        []Problem
	// Excluded are members the org's scope left out; KeptOut are Justworks
	// values kept out of fields Rostersync owns.
	Excluded []Excluded
	KeptOut  []KeptOut
	// Scheduled are terminations that take effect on a later day.
	Scheduled []Scheduled
	// Skipped lists members the sync could not take, with the reason;
	// UnknownValues the values outside the documented enums it stored.
	Skipped       []Skipped
	UnknownValues []UnknownValue

	// Truncated says, per section key (domain.SectionHires, ...), how many more
	// entries there are than the lists above hold.
	Truncated map[domain.Section]int
}

// Person is one hired, terminated, rehired, returned or removed member.
type Person struct {
	ID, Name, Title, Department string
	// Starts is a pre-hire's start date (YYYY-MM-DD) when it is still ahead.
	Starts string
}

// TitleChange is a member whose job title changed.
type TitleChange struct {
	ID, Name, Old, New string
}

// ManagerMove is a member whose manager changed; OldManager and NewManager are
// display names ("" = none).
type ManagerMove struct {
	ID, Name, OldManager, NewManager string
}

// Skipped is a member the sync skipped: neither stored nor removed.
type Skipped struct {
	ID, Name string
	Reason   domain.SkipReason
	Detail   string
}

// UnknownValue is a value outside the documented enums, stored as received.
type UnknownValue struct {
	Field, Value string
	People       int
}

// Problem is one tree problem (see orgtree.Problem).
type Problem struct {
	MemberID, Kind, Detail string
}

// Message is a rendered email. MessageID (optional, "<...@...>") makes
// repeated sends of the same message recognisable; see Sender.MessageID.
type Message struct {
	Subject, Text, HTML string
	MessageID           string
}

// Excluded is a member the org's scope left out, and why.
type Excluded struct {
	ID, Name, Reason string
}

// KeptOut is a Justworks value kept out of a field Rostersync owns.
type KeptOut struct {
	ID, Name, Field, Justworks, Local string
}

// Scheduled is a termination that takes effect on Date (YYYY-MM-DD).
type Scheduled struct {
	ID, Name, Date string
}
