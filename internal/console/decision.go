package console

import (
	"context"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/workflows"
)

// A sync held by a safety check: what it would apply (the staged change set
// that was emailed), until when it waits, and approve / reject for technical
// owners and owners. The decision is the workflow's approve or reject Update,
// sent with the signed-in user as decider (domain.ViaConsole); the workflow
// checks the user's level again before it takes it.

type decisionData struct {
	Held      *store.HeldRun
	Sections  []changeSection
	Refusal   string // why this user may not decide ("" = may)
	WebURL    string
	DueIn     string
	Deciding  bool
	Decisions []domain.Decision
}

func (s *Server) decisionPage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	ctx := r.Context()
	held, err := s.Store.PendingDecision(ctx, oc.org.ID)
	if err != nil {
		s.internalError(w, r, "read the pending decision", err)
		return
	}
	d := decisionData{Held: held, Decisions: []domain.Decision{domain.DecisionApprove, domain.DecisionReject}}
	if err := domain.Authorize(oc.email, oc.view.Level, oc.org.ID, domain.ActionDecide); err != nil {
		d.Refusal = err.Error()
	}
	if held != nil {
		changes, err := s.Store.StagedChanges(ctx, held.RunID, changesPerKind)
		if err != nil {
			s.internalError(w, r, "read the held change set", err)
			return
		}
		totals := map[domain.ChangeKind]int{domain.ChangeHire: held.Counts.Hires, domain.ChangeTermination: held.Counts.Terminations,
			domain.ChangeRehire: held.Counts.Rehires, domain.ChangeUpdate: held.Counts.Updates, domain.ChangeRemoved: held.Counts.Removed}
		d.Sections = groupChanges(changes, totals)
		d.WebURL = s.runURL(held.WorkflowID, held.RunID)
		d.DueIn = time.Until(held.Due).Round(time.Minute).String()
	}
	s.render(w, r, http.StatusOK, "decision", view{Title: "Decision", Nav: "decision", Org: oc.view, Data: d})
}

// decide sends the approve or reject Update for the signed-in user.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	if err := domain.Authorize(oc.email, oc.view.Level, oc.org.ID, domain.ActionDecide); err != nil {
		s.Log.Warn("console: decision refused", zap.String("org", oc.org.ID), zap.String("level", string(oc.view.Level)))
		s.refuse(w, r, err.Error())
		return
	}
	decision := domain.Decision(r.PostFormValue("decision"))
	if decision != domain.DecisionApprove && decision != domain.DecisionReject {
		s.renderError(w, r, http.StatusBadRequest, "Choose approve or reject.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	held, err := s.Store.PendingDecision(ctx, oc.org.ID)
	if err != nil {
		s.internalError(w, r, "read the pending decision", err)
		return
	}
	// The run shown is the run decided: a form from an older page must not
	// decide a newer hold.
	if held == nil || held.RunID != r.PostFormValue("run") {
		s.renderError(w, r, http.StatusConflict, "No sync of "+oc.org.ID+" is waiting for this decision any more. Nothing was changed.")
		return
	}
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: held.WorkflowID, RunID: held.RunID, UpdateName: string(decision),
		Args:         []any{workflows.DecisionInput{DecidedBy: oc.email, Via: domain.ViaConsole, Note: r.PostFormValue("note")}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var res workflows.DecisionResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		switch workflows.ErrorType(err) {
		case domain.ErrTypeAccessDenied:
			s.refuse(w, r, workflows.FailureMessage(err))
		case domain.ErrTypeNoDecisionPending, domain.ErrTypeBadInput:
			s.renderError(w, r, http.StatusConflict, workflows.FailureMessage(err)+" Nothing was changed.")
		default:
			s.internalError(w, r, "send the decision", err)
		}
		return
	}
	s.audit(r, oc, "sync."+string(decision), held.RunID, r.PostFormValue("note"))
	s.Log.Info("console: held sync decided", zap.String("org", oc.org.ID), zap.String("decision", string(decision)), zap.String("run_id", held.RunID))
	if decision == domain.DecisionApprove {
		s.flash(r, "Approved: the sync now applies the held change set.")
	} else {
		s.flash(r, "Rejected: nothing is applied; the notification list is emailed.")
	}
	seeOther(w, r, orgPath(oc.org.ID, "?run="+held.RunID))
}

// groupChanges puts changes into the run page's sections, with how many
// more each kind holds than it lists.
func groupChanges(changes []store.Change, totals map[domain.ChangeKind]int) []changeSection {
	var out []changeSection
	for _, st := range sectionTitles {
		sec := changeSection{Kind: st.kind, Title: st.title}
		for _, c := range changes {
			if c.Kind == st.kind {
				sec.Changes = append(sec.Changes, c)
			}
		}
		sec.More = max(0, totals[st.kind]-len(sec.Changes))
		if len(sec.Changes) > 0 || sec.More > 0 {
			out = append(out, sec)
		}
	}
	return out
}
