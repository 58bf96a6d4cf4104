package domain

// Outcome is how a sync ended.
type Outcome string

// Sync outcomes.
const (
	OutcomeApplied   Outcome = "applied"    // changes were written
	OutcomeNoChanges Outcome = "no_changes" // the org chart already matched Justworks
	OutcomeRefused   Outcome = "refused"    // a safety check or the access policy stopped it; nothing written
	OutcomeFailed    Outcome = "failed"     // an error ended it; nothing written
	// OutcomeJoined is a start (scheduled, or under another workflow ID) that
	// found the org's sync already running and left it to finish.
	OutcomeJoined Outcome = "joined"
)

// Words is the outcome as a reader says it ("no changes").
func (o Outcome) Words() string {
	if o == OutcomeNoChanges {
		return "no changes"
	}
	return string(o)
}

// Counts partition the people of a sync (Problems counts tree problems;
// Skipped counts members the sync could not take, outside the partition).
type Counts struct {
	Hires        int `json:"hires"`
	Terminations int `json:"terminations"`
	Rehires      int `json:"rehires"`
	Returned     int `json:"returned"` // stored as removed, on the roster again
	Updates      int `json:"updates"`
	Unchanged    int `json:"unchanged"`
	Removed      int `json:"removed"`
	Problems     int `json:"problems"`
	Skipped      int `json:"skipped"` // members not taken (a required value missing); see the run's skipped list
	// Excluded counts members the org's scope left out (not removed).
	Excluded int `json:"excluded,omitempty"`
}

// Changed is how many people the sync changed.
func (c Counts) Changed() int {
	return c.Hires + c.Terminations + c.Rehires + c.Returned + c.Updates + c.Removed
}
