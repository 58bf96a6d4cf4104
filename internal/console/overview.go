package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/internal/synccontrol"
	"github.com/rostersync/rostersync/workflows"
)

// The overview is the org's home: its connection at a glance, "Sync now"
// (or why not), and the live progress or the outcome of the sync in view.

type overviewData struct {
	Connected   bool
	Blocked     string
	SyncRefusal string // why this user has no Sync now button
	Run         *runView
	Live        *liveView
	LastRun     *runView
	Held        *store.HeldRun // a sync waiting for approve or reject
}

// liveView is a running sync's progress, as the page and the poll show it.
type liveView struct {
	RunID   string      `json:"run_id"`
	Running bool        `json:"running"`
	Step    domain.Step `json:"step"`
	Steps   []stepUI    `json:"steps"`
	Pages   int         `json:"pages"`
	Members int         `json:"members"`
	Staged  int         `json:"staged"`
	Attempt int32       `json:"attempt"`
	Retry   string      `json:"retry"`
}

type stepUI struct {
	Name  domain.Step `json:"name"`
	State string      `json:"state"` // done, current, todo
}

var stepOrder = []domain.Step{domain.StepAuthorize, domain.StepLogin, domain.StepFetch,
	domain.StepResolve, domain.StepApply, domain.StepNotify}

func steps(current domain.Step, running bool) []stepUI {
	out := make([]stepUI, len(stepOrder))
	reached := false
	for i, n := range stepOrder {
		st := "todo"
		switch {
		case !running:
			st = "done"
		case n == current:
			st, reached = "current", true
		case !reached:
			st = "done"
		}
		out[i] = stepUI{Name: n, State: st}
	}
	return out
}

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	ctx := r.Context()
	d := overviewData{
		Connected: connected(oc.org),
		Blocked:   oc.org.LoginBlocked,
	}
	if !oc.view.MaySync {
		d.SyncRefusal = syncRefusal(oc.email, oc.view.Level, oc.org.ID)
	}
	held, err := s.Store.PendingDecision(ctx, oc.org.ID)
	if err != nil {
		s.internalError(w, r, "read the pending decision", err)
		return
	}
	d.Held = held
	runID := r.URL.Query().Get("run")
	if runID == "" {
		// A sync under way (started anywhere) is shown live.
		if desc, err := s.Temporal.DescribeWorkflow(ctx, workflows.WorkflowID(oc.org.ID), ""); err == nil &&
			desc.RawResponse.GetWorkflowExecutionInfo().GetCloseTime() == nil {
			runID = desc.RawResponse.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		}
	}
	refresh := 0
	if runID != "" {
		live, err := s.live(ctx, oc.org.ID, runID)
		if err != nil && !errors.Is(err, synccontrol.ErrNoSuchRun) {
			s.internalError(w, r, "read the sync's progress", err)
			return
		}
		if err == nil && live.Running {
			d.Live, refresh = &live, 3
		}
		if err == nil && !live.Running || errors.Is(err, synccontrol.ErrNoSuchRun) {
			rv, err := s.finishedRun(ctx, oc.org.ID, runID)
			if err != nil {
				s.internalError(w, r, "read the sync's outcome", err)
				return
			}
			d.Run = rv
		}
	}
	if d.Live == nil && d.Run == nil {
		runs, err := s.Store.LastRuns(ctx, oc.org.ID, 1)
		if err != nil {
			s.internalError(w, r, "read the last run", err)
			return
		}
		if len(runs) == 1 {
			d.LastRun = s.runView(runs[0])
		}
	}
	s.render(w, r, http.StatusOK, "overview", view{Title: oc.view.Name, Nav: "overview", Org: oc.view, Refresh: refresh, Data: d})
}

// live reads a run's progress, if it belongs to the org's sync.
func (s *Server) live(ctx context.Context, org, runID string) (liveView, error) {
	l, err := synccontrol.Read(ctx, s.Temporal, s.DataConverter, s.FailureConverter, workflows.WorkflowID(org), runID)
	if err != nil {
		return liveView{}, err
	}
	return liveView{RunID: runID, Running: l.Running, Step: l.Step, Steps: steps(l.Step, l.Running), Pages: l.Pages,
		Members: l.Members, Staged: l.Staged, Attempt: l.Attempt, Retry: l.Retry}, nil
}

// finishedRun is the recorded outcome of a run that ended, or what Temporal
// says when the run never got as far as being recorded.
func (s *Server) finishedRun(ctx context.Context, org, runID string) (*runView, error) {
	run, err := s.Store.GetRun(ctx, runID)
	if err == nil {
		if run.OrgID != org {
			return nil, nil
		}
		return s.runView(run), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var sum workflows.SyncSummary
	gerr := s.Temporal.GetWorkflow(ctx, workflows.WorkflowID(org), runID).Get(ctx, &sum)
	var nf *serviceerror.NotFound
	if errors.As(gerr, &nf) {
		return nil, nil
	}
	rv := &runView{RunID: runID, Outcome: sum.Outcome, Counts: sum.Counts, Reason: sum.Reason, Finished: true}
	if gerr != nil {
		rv.Outcome, rv.Reason = domain.OutcomeFailed, workflows.FailureMessage(gerr)
	}
	rv.label()
	return rv, nil
}

// syncNow starts the org's sync, or joins the one running, as the signed-in
// user. The level is checked here, before Temporal is asked anything: a join
// never reaches the workflow's own gate, which still checks every start.
func (s *Server) syncNow(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	if !oc.view.MaySync {
		s.Log.Warn("console: sync refused", zap.String("org", oc.org.ID), zap.String("level", string(oc.view.Level)))
		s.refuse(w, r, syncRefusal(oc.email, oc.view.Level, oc.org.ID))
		return
	}
	in := workflows.SyncInput{Org: oc.org.ID, RequestedBy: oc.email, StartedVia: string(domain.StartedViaConsole)}
	run, err := synccontrol.StartOrJoin(r.Context(), s.Temporal, s.cfg.TaskQueue, in, "Started from the console by "+oc.email+".")
	if err != nil {
		s.internalError(w, r, "start the sync", err)
		return
	}
	s.audit(r, oc, "sync.start", run.GetRunID(), "")
	s.Log.Info("console: sync started or joined", zap.String("org", oc.org.ID), zap.String("run_id", run.GetRunID()))
	seeOther(w, r, orgPath(oc.org.ID, "?run="+run.GetRunID()))
}

// syncProgress answers console.js's poll with the run's progress.
func (s *Server) syncProgress(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	l, err := s.live(ctx, oc.org.ID, r.URL.Query().Get("run"))
	w.Header().Set("Content-Type", "application/json")
	if errors.Is(err, synccontrol.ErrNoSuchRun) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"running":false}`))
		return
	}
	if err != nil {
		s.Log.Warn("console: progress", zap.Error(err))
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`{"error":"progress unavailable"}`))
		return
	}
	_ = json.NewEncoder(w).Encode(l)
}

// audit records what the user did; a failure to record is logged, not shown.
func (s *Server) audit(r *http.Request, oc orgCtx, action, target, detail string) {
	if err := s.Store.Audit(r.Context(), store.AuditEntry{OrgID: oc.org.ID, Actor: oc.email, Action: action, Target: target, Detail: detail}); err != nil {
		s.Log.Error("console: audit", zap.String("action", action), zap.Error(err))
	}
}

// runURL is the run in Temporal Web, for operators.
func (s *Server) runURL(workflowID, runID string) string {
	return config.RunURL(s.cfg.WebURL, s.cfg.Namespace, workflowID, runID)
}
