package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/internal/synccontrol"
	"github.com/rostersync/rostersync/workflows"
)

// syncJSON is the fixed shape `starter sync --json` prints.
type syncJSON struct {
	WorkflowID string         `json:"workflow_id"`
	RunID      string         `json:"run_id"`
	Outcome    domain.Outcome `json:"outcome"`
	domain.Counts
	Error string `json:"error"`
	// Pending is set when the sync waits for approve or reject (outcome held).
	Pending *workflows.PendingDecision `json:"pending,omitempty"`
	// WouldBe is a dry run's verdict on the real run (outcome previewed).
	WouldBe domain.Outcome `json:"would_be,omitempty"`
	// Preview is the summary email a real run would send (dry runs only).
	Preview string `json:"preview,omitempty"`
}

// syncCmd starts the org's sync, or joins the one already running (the fixed
// workflow ID with USE_EXISTING), and with --wait follows it to the end. The
// workflow gates every start (CLI, Temporal Web, schedule); the starter also
// checks first, because a join never reaches the workflow's gate.
func syncCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sync", stderr)
	var (
		id     = fs.String("org", "", "org id")
		as     = fs.String("as", "", "your email (technical_owner or owner of the org)")
		wait   = fs.Bool("wait", false, "follow the sync to its end, with progress on stderr")
		asJSON = fs.Bool("json", false, "print the result as JSON on stdout (implies --wait: the JSON is the outcome)")
		limit  = fs.Duration("timeout", 0, "with --wait: stop waiting after this long, e.g. 30m (exit 4; the sync goes on); 0 waits until it ends")
		dryRun = fs.Bool("dry-run", false, "fetch, resolve and diff, apply nothing, email nobody; print the summary a real sync would email (implies --wait)")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id, "as", *as); err != nil {
		return err
	}
	*wait = *wait || *asJSON || *dryRun
	if *limit < 0 || (*limit > 0 && !*wait) {
		return usageErr("--timeout is how long --wait waits: give it with --wait (or --json) and a positive duration such as 30m")
	}
	e, err := newEnv()
	if err != nil {
		return err
	}
	defer e.Close()
	// Checked here too, not only in the workflow: a start that joins a
	// running sync never reaches the workflow's gate, and would otherwise
	// hand its result to anyone.
	st, _, err := e.readOrg(ctx, *id)
	if err != nil {
		return err
	}
	who := store.NormalizeEmail(*as)
	if _, err := requireManager(ctx, st, *id, who); err != nil {
		if *asJSON {
			_ = writeJSON(stdout, syncJSON{WorkflowID: workflows.WorkflowID(*id), Outcome: domain.OutcomeRefused, Error: err.Error()})
		}
		return err
	}
	c, err := e.Temporal(ctx)
	if err != nil {
		return err
	}
	in := workflows.SyncInput{Org: *id, RequestedBy: store.NormalizeEmail(*as), DryRun: *dryRun, StartedVia: string(domain.StartedViaCLI)}
	details := "Started with `starter sync`."
	if *dryRun {
		details = "Started with `starter sync --dry-run`."
	}
	run, err := synccontrol.StartOrJoin(ctx, c, e.cfg.TaskQueue, in, details)
	if err != nil {
		return err
	}
	out := syncJSON{WorkflowID: run.GetID(), RunID: run.GetRunID()}
	idle := noWorker(ctx, c, e.cfg)
	if idle != "" {
		fmt.Fprintln(stderr, "warning:", idle)
	}
	if !*wait {
		fmt.Fprintf(stdout, "sync started (or joined): workflow %s run %s\n%s\n", out.WorkflowID, out.RunID, config.RunURL(e.cfg.WebURL, e.cfg.Namespace, out.WorkflowID, out.RunID))
		return nil
	}

	fmt.Fprintf(stderr, "sync %s run %s\n", out.WorkflowID, out.RunID)
	// --timeout cancels rather than sets a deadline: the SDK's long poll may
	// fail a moment before a deadline, and the flag, set before the cancel,
	// tells that apart from a failed sync.
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timedOut atomic.Bool
	if *limit > 0 {
		t := time.AfterFunc(*limit, func() { timedOut.Store(true); cancel() })
		defer t.Stop()
	}
	stopProgress := followProgress(waitCtx, c, e.dc, e.fc, out.WorkflowID, out.RunID, stderr)
	sum, held, err := waitOrHeld(waitCtx, c, run)
	stopProgress()
	if err != nil && (timedOut.Load() || ctx.Err() != nil) {
		// Only the waiting ends: the sync is Temporal's and goes on.
		follow := fmt.Sprintf("the sync goes on: follow it with `starter status --org %s`, `temporal workflow describe --workflow-id %s`, or in Temporal Web: %s",
			*id, out.WorkflowID, config.RunURL(e.cfg.WebURL, e.cfg.Namespace, out.WorkflowID, out.RunID))
		if ctx.Err() != nil {
			return &exitError{code: exitInterrupted, msg: "interrupted: stopped waiting; " + follow}
		}
		if idle = noWorker(ctx, c, e.cfg); idle != "" {
			follow += "; " + idle
		}
		return &exitError{code: exitGaveUp, msg: fmt.Sprintf("stopped waiting after --timeout %s; %s", *limit, follow)}
	}
	var code error
	switch {
	case held != nil:
		// The sync waits, durably, for a decision; this command need not.
		out.Outcome, out.Counts, out.Error, out.Pending = domain.OutcomeHeld, held.Counts, held.Decision.Reason, held.Decision
		code = &exitError{code: exitHeld, msg: fmt.Sprintf("sync held for approval until %s: %s", held.Decision.Due.Format(time.RFC3339), held.Decision.Hint)}
	case err == nil && sum.Org != *id:
		// The run under this org's ID answered for another org (a run
		// started by hand with another org in its input, by a worker
		// without the workflow's own check): its result is not this org's.
		out.Outcome, out.Error = domain.OutcomeFailed, fmt.Sprintf("the run under %s reported the result of org %q, not %q; nothing is shown", out.WorkflowID, sum.Org, *id)
		code = &exitError{code: exitFailed, msg: "sync failed: " + out.Error}
	case err == nil && sum.Outcome == domain.OutcomePreviewed:
		out.Outcome, out.Counts, out.Error, out.WouldBe = sum.Outcome, sum.Counts, sum.Reason, sum.WouldBe
		p, perr := st.RunPreview(ctx, out.RunID)
		if perr != nil {
			return fmt.Errorf("the dry run ended, but its preview cannot be read: %w", perr)
		}
		out.Preview = p.Text
	case err == nil:
		out.Outcome, out.Counts, out.Error = sum.Outcome, sum.Counts, sum.Reason
		if sum.Outcome == domain.OutcomeRefused {
			code = refusedErr("sync refused: %s", sum.Reason)
		}
	case workflows.ErrorType(err) == domain.ErrTypeAccessDenied:
		out.Outcome, out.Error = domain.OutcomeRefused, workflows.FailureMessage(err)
		code = refusedErr("sync refused: %s", out.Error)
	default:
		out.Outcome, out.Error = domain.OutcomeFailed, workflows.FailureMessage(err)
		code = &exitError{code: exitFailed, msg: "sync failed: " + out.Error}
	}
	if *asJSON {
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
	} else {
		printSummary(stdout, out)
		fmt.Fprintln(stdout, config.RunURL(e.cfg.WebURL, e.cfg.Namespace, out.WorkflowID, out.RunID))
	}
	return code
}

// noWorker says, when it is so, that no worker polls the task queue: a sync
// started now waits until one does. Pollers stay listed for a few minutes
// after they stop; one whose last poll is older than two minutes (a poll
// lasts about one) is gone.
func noWorker(ctx context.Context, c client.Client, cfg config.Config) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := c.DescribeTaskQueue(ctx, cfg.TaskQueue, enums.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return ""
	}
	for _, p := range d.GetPollers() {
		if time.Since(p.GetLastAccessTime().AsTime()) < 2*time.Minute {
			return ""
		}
	}
	return fmt.Sprintf("no worker is polling task queue %q in namespace %s at %s, so the sync waits until one does; start a worker with the same TEMPORAL_* settings and ROSTERSYNC_TASK_QUEUE (docs/deploy.md)",
		cfg.TaskQueue, cfg.Namespace, cfg.TemporalAddress)
}

// waitOrHeld waits for the sync's end, or until it is held for a decision
// (then it returns the held progress: the sync itself waits on, for days).
func waitOrHeld(ctx context.Context, c client.Client, run client.WorkflowRun) (workflows.SyncSummary, *workflows.Progress, error) {
	type result struct {
		sum workflows.SyncSummary
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = run.Get(ctx, &r.sum)
		done <- r
	}()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case r := <-done:
			return r.sum, nil, r.err
		case <-t.C:
			if v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), workflows.ProgressQuery); err == nil {
				var p workflows.Progress
				if v.Get(&p) == nil && p.Step == domain.StepDecide && p.Decision != nil {
					return workflows.SyncSummary{}, &p, nil
				}
			}
		}
	}
}

// followProgress prints the sync's progress on stderr whenever it changes,
// until stopped. During the fetch it adds the fetch's last heartbeat (pages
// and members so far), and for a retried step why the last attempt failed.
func followProgress(ctx context.Context, c client.Client, dc converter.DataConverter, fc converter.FailureConverter, wfID, runID string, w io.Writer) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := ""
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if p, err := synccontrol.Read(ctx, c, dc, fc, wfID, runID); err == nil && p.Result != nil {
				line := fmt.Sprintf("  step %-9s", p.Step)
				if p.Staged > 0 {
					line += fmt.Sprintf(" %d people staged", p.Staged)
				}
				if p.Step == domain.StepFetch {
					if p.Pages > 0 || p.Members > 0 {
						line += fmt.Sprintf(" page %d, %d members so far", p.Pages, p.Members)
					}
					if p.Retry != "" {
						line += fmt.Sprintf(" (attempt %d: %s)", p.Attempt, p.Retry)
					}
				}
				if d := p.Result.Decision; d != nil {
					line += fmt.Sprintf(" held for approval until %s; %s", d.Due.Format(time.RFC3339), d.Hint)
				}
				if line != last {
					fmt.Fprintln(w, line)
					last = line
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

func printSummary(w io.Writer, o syncJSON) {
	if o.Outcome == domain.OutcomePreviewed {
		fmt.Fprintf(w, "preview (dry run): nothing was applied and nobody was emailed; a real sync now would end %s and email:\n\n%s\n", o.WouldBe.Words(), o.Preview)
		return
	}
	fmt.Fprintf(w, "outcome: %s\n", o.Outcome)
	fmt.Fprintf(w, "hires %d, terminations %d, rehires %d, returned %d, updates %d, unchanged %d, removed %d, problems %d, skipped %d\n",
		o.Hires, o.Terminations, o.Rehires, o.Returned, o.Updates, o.Unchanged, o.Removed, o.Problems, o.Skipped)
	if o.Skipped > 0 {
		fmt.Fprintf(w, "skipped members are listed by `starter status --org ORG` and in the summary email\n")
	}
	if o.Error != "" {
		fmt.Fprintf(w, "reason: %s\n", o.Error)
	}
	if d := o.Pending; d != nil {
		fmt.Fprintf(w, "waiting for a decision until %s: %s\n", d.Due.Format(time.RFC3339), d.Hint)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
