package main

import (
	"context"
	"fmt"
	"io"

	"go.temporal.io/sdk/client"

	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/workflows"
)

func syncApprove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return decideCmd(ctx, domain.DecisionApprove, args, stdout, stderr)
}

func syncReject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return decideCmd(ctx, domain.DecisionReject, args, stdout, stderr)
}

// decideCmd sends the approve or reject Update to the org's held sync and
// follows the sync to its end. --as is an operator's assertion (whoever can
// run the starter holds the database and the secret key); it is checked here
// and again by the workflow, and recorded as an operator action (ViaCLI).
func decideCmd(ctx context.Context, d domain.Decision, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sync "+string(d), stderr)
	var (
		id     = fs.String("org", "", "org id")
		as     = fs.String("as", "", "your email (technical_owner or owner of the org)")
		note   = fs.String("note", "", "why, for the record and the email")
		asJSON = fs.Bool("json", false, "print the sync's result as JSON on stdout")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id, "as", *as); err != nil {
		return err
	}
	e, err := newEnv()
	if err != nil {
		return err
	}
	defer e.Close()
	st, _, err := e.existingOrg(ctx, *id)
	if err != nil {
		return err
	}
	who := store.NormalizeEmail(*as)
	level, err := st.UserLevel(ctx, *id, who)
	if err != nil {
		return err
	}
	if err := domain.Authorize(who, level, *id, domain.ActionDecide); err != nil {
		return err
	}
	held, err := st.PendingDecision(ctx, *id)
	if err != nil {
		return err
	}
	if held == nil {
		return usageErr("no sync of %s is waiting for a decision (`starter status --org %s` shows its runs)", *id, *id)
	}
	c, err := e.Temporal(ctx)
	if err != nil {
		return err
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   held.WorkflowID,
		RunID:        held.RunID,
		UpdateName:   string(d),
		Args:         []any{workflows.DecisionInput{DecidedBy: who, Via: domain.ViaCLI, Note: *note}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var res workflows.DecisionResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		msg := workflows.FailureMessage(err)
		switch workflows.ErrorType(err) {
		case domain.ErrTypeAccessDenied:
			return refusedErr("%s", msg)
		case domain.ErrTypeNoDecisionPending, domain.ErrTypeBadInput:
			return usageErr("%s", msg)
		}
		return fmt.Errorf("%s the held sync: %s", d, msg)
	}
	verb := map[domain.Decision]string{domain.DecisionApprove: "approved", domain.DecisionReject: "rejected"}[d]
	fmt.Fprintf(stderr, "%s by %s; the sync now %s\n", verb, res.DecidedBy,
		map[domain.Decision]string{domain.DecisionApprove: "applies the held change set", domain.DecisionReject: "ends with nothing applied"}[d])

	var sum workflows.SyncSummary
	err = c.GetWorkflow(ctx, held.WorkflowID, held.RunID).Get(ctx, &sum)
	out := syncJSON{WorkflowID: held.WorkflowID, RunID: held.RunID, Outcome: sum.Outcome, Counts: sum.Counts, Error: sum.Reason}
	var code error
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		out.Outcome, out.Error = domain.OutcomeFailed, workflows.FailureMessage(err)
		code = &exitError{code: exitFailed, msg: "sync failed: " + out.Error}
	case sum.Outcome == domain.OutcomeRefused:
		code = refusedErr("nothing applied: %s", sum.Reason)
	}
	if *asJSON {
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
	} else {
		printSummary(stdout, out)
		if sum.Decision != "" {
			fmt.Fprintf(stdout, "decision: %s\n", sum.Decision)
		}
		fmt.Fprintln(stdout, config.RunURL(e.cfg.WebURL, e.cfg.Namespace, held.WorkflowID, held.RunID))
	}
	return code
}
