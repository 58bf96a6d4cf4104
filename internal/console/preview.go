package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/internal/synccontrol"
	"github.com/rostersync/rostersync/workflows"
)

// Preview: a dry run (fetch, resolve, diff; nothing applied, nobody
// emailed), then the summary email the real sync would send now, word for
// word. It runs under its own workflow ID, beside a real sync.

type previewData struct {
	RunID   string
	Live    *liveView
	Outcome domain.Outcome
	WouldBe domain.Outcome
	Reason  string
	Text    string
	Refusal string
}

func (s *Server) previewPage(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	ctx := r.Context()
	d := previewData{RunID: r.URL.Query().Get("run")}
	if !oc.view.MaySync {
		d.Refusal = syncRefusal(oc.email, oc.view.Level, oc.org.ID)
	}
	refresh := 0
	if d.RunID != "" {
		l, err := synccontrol.Read(ctx, s.Temporal, s.DataConverter, s.FailureConverter, workflows.PreviewWorkflowID(oc.org.ID), d.RunID)
		switch {
		case errors.Is(err, synccontrol.ErrNoSuchRun):
			s.renderError(w, r, http.StatusNotFound, "There is no such preview of "+oc.org.ID+".")
			return
		case err != nil:
			s.internalError(w, r, "read the preview's progress", err)
			return
		case l.Running:
			d.Live = &liveView{RunID: d.RunID, Running: true, Step: l.Step, Steps: steps(l.Step, true), Pages: l.Pages, Members: l.Members, Staged: l.Staged}
			refresh = 3
		default:
			var sum workflows.SyncSummary
			if err := s.Temporal.GetWorkflow(ctx, workflows.PreviewWorkflowID(oc.org.ID), d.RunID).Get(ctx, &sum); err != nil {
				d.Outcome, d.Reason = domain.OutcomeFailed, workflows.FailureMessage(err)
				break
			}
			d.Outcome, d.WouldBe, d.Reason = sum.Outcome, sum.WouldBe, sum.Reason
			p, err := s.Store.RunPreview(ctx, d.RunID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				s.internalError(w, r, "read the preview", err)
				return
			}
			d.Text = p.Text
		}
	}
	s.render(w, r, http.StatusOK, "preview", view{Title: "Preview", Nav: "preview", Org: oc.view, Refresh: refresh, Data: d})
}

// startPreview starts a dry run as the signed-in user (technical owner or
// owner: a preview logs in to Justworks like a sync).
func (s *Server) startPreview(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	if !oc.view.MaySync {
		s.refuse(w, r, syncRefusal(oc.email, oc.view.Level, oc.org.ID))
		return
	}
	in := workflows.SyncInput{Org: oc.org.ID, RequestedBy: oc.email, StartedVia: string(domain.StartedViaConsole), DryRun: true}
	run, err := synccontrol.StartOrJoin(r.Context(), s.Temporal, s.cfg.TaskQueue, in, "Preview started from the console by "+oc.email+".")
	if err != nil {
		s.internalError(w, r, "start the preview", err)
		return
	}
	s.audit(r, oc, "sync.preview", run.GetRunID(), "")
	s.Log.Info("console: preview started", zap.String("org", oc.org.ID), zap.String("run_id", run.GetRunID()))
	seeOther(w, r, orgPath(oc.org.ID, "/preview?run="+run.GetRunID()))
}

// previewProgress answers console.js's poll with the dry run's progress.
func (s *Server) previewProgress(w http.ResponseWriter, r *http.Request) {
	oc := orgOf(r)
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	runID := r.URL.Query().Get("run")
	l, err := synccontrol.Read(ctx, s.Temporal, s.DataConverter, s.FailureConverter, workflows.PreviewWorkflowID(oc.org.ID), runID)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"running":false}`))
		return
	}
	_ = json.NewEncoder(w).Encode(liveView{RunID: runID, Running: l.Running, Step: l.Step, Steps: steps(l.Step, l.Running),
		Pages: l.Pages, Members: l.Members, Staged: l.Staged, Attempt: l.Attempt, Retry: l.Retry})
}
