package console

import (
	"fmt"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// runView is one run as the history, run and overview pages show it.
type runView struct {
	RunID, WorkflowID string
	Outcome           domain.Outcome
	OutcomeLabel      string
	Tone              string // good, warn, bad: the colour of the outcome
	Message           string // the completion message
	Counts            domain.Counts
	Reason            string
	RequestedBy       string
	StartedVia        string
	StartedAt         time.Time
	Duration          string
	Finished          bool
	WebURL            string
}

func (s *Server) runView(r store.Run) *runView {
	v := &runView{RunID: r.RunID, WorkflowID: r.WorkflowID, Outcome: r.Outcome, Counts: r.Counts, Reason: r.Error,
		RequestedBy: r.RequestedBy, StartedVia: domain.StartedViaOf(r.StartedVia).Label(), StartedAt: r.StartedAt,
		Finished: r.FinishedAt != nil, WebURL: s.runURL(r.WorkflowID, r.RunID)}
	if r.FinishedAt != nil {
		v.Duration = r.FinishedAt.Sub(r.StartedAt).Round(time.Second).String()
	}
	v.label()
	return v
}

// label sets the outcome's words, tone and the completion message.
func (v *runView) label() {
	c := v.Counts
	counts := fmt.Sprintf("%d hires, %d terminations, %d rehires, %d updates, %d unchanged, %d removed, %d tree problems",
		c.Hires, c.Terminations, c.Rehires, c.Updates, c.Unchanged, c.Removed, c.Problems)
	switch v.Outcome {
	case domain.OutcomeApplied:
		v.OutcomeLabel, v.Tone, v.Message = "Applied", "good", "Sync complete: the org chart was updated — "+counts+"."
	case domain.OutcomeNoChanges:
		v.OutcomeLabel, v.Tone, v.Message = "No changes", "good", "Sync complete: the org chart was already up to date — "+counts+"."
	case domain.OutcomeRefused:
		v.OutcomeLabel, v.Tone, v.Message = "Refused", "warn", "Sync refused; nothing was changed. "+v.Reason
	case domain.OutcomeFailed:
		v.OutcomeLabel, v.Tone, v.Message = "Failed", "bad", "Sync failed; nothing more was changed. "+v.Reason
	case domain.OutcomePreviewed:
		v.OutcomeLabel, v.Tone, v.Message = "Previewed", "", "A preview (dry run): nothing was applied and nobody was emailed — "+counts+"."
	case "":
		v.OutcomeLabel, v.Tone, v.Message = "Running", "", "This sync has not finished."
		if v.Finished {
			v.OutcomeLabel = "Unknown"
		}
	default:
		v.OutcomeLabel, v.Tone, v.Message = v.Outcome.Words(), "", "Sync ended: "+v.Outcome.Words()+"."
	}
}
