package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/schedule"
	"github.com/rostersync/rostersync/internal/store"
)

type statusJSON struct {
	Org             string            `json:"org"`
	Name            string            `json:"name"`
	JustworksURL    string            `json:"justworks_url"`
	Username        string            `json:"username"`
	Head            string            `json:"head"`
	Notify          []string          `json:"notify"`
	Daily           bool              `json:"daily"`
	DailyTime       string            `json:"daily_time,omitempty"`
	TimeZone        string            `json:"time_zone"`
	ScheduleAs      string            `json:"schedule_as,omitempty"`
	SafetyLimit     float64           `json:"safety_limit"`
	ApprovalTimeout string            `json:"approval_timeout"`
	Options         store.SyncOptions `json:"sync_options"`
	Pending         *pendingJSON      `json:"pending_decision,omitempty"`
	LoginBlocked    string            `json:"login_blocked,omitempty"`
	Schedule        schedule.State    `json:"schedule"`
	ScheduleProblem string            `json:"schedule_error,omitempty"`
	Runs            []runJSON         `json:"last_runs"`
}

// pendingJSON is a held sync waiting for approve or reject.
type pendingJSON struct {
	store.HeldRun
	Hint string `json:"hint"`
}

type runJSON struct {
	RunID       string         `json:"run_id"`
	RequestedBy string         `json:"requested_by"`
	StartedAt   time.Time      `json:"started_at"`
	FinishedAt  *time.Time     `json:"finished_at"`
	Outcome     domain.Outcome `json:"outcome"`
	Counts      domain.Counts  `json:"counts"`
	Error       string         `json:"error,omitempty"`
	// Skipped lists (up to skippedListed) the members the run could not
	// take, with the reason; UnknownValues what it stored as received.
	Skipped       []store.SkippedMember `json:"skipped"`
	UnknownValues []store.UnknownValue  `json:"unknown_values"`
}

// skippedListed caps the skipped members status lists per run; the counts
// say how many there were.
const skippedListed = 20

// status shows an org's configuration without secrets, its schedule, and its
// last runs.
func status(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	id := fs.String("org", "", "org id")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("org", *id); err != nil {
		return err
	}
	e, err := newEnv()
	if err != nil {
		return err
	}
	defer e.Close()
	st, org, err := e.readOrg(ctx, *id)
	if err != nil {
		return err
	}
	out := statusJSON{Org: org.ID, Name: org.Name, JustworksURL: org.JustworksURL, Username: org.Username, Head: org.HeadName,
		Notify: org.Notify, Daily: org.Daily, DailyTime: org.DailyTime, TimeZone: org.TimeZone, ScheduleAs: org.ScheduleAs,
		SafetyLimit: org.SafetyThreshold, LoginBlocked: org.LoginBlocked, Runs: []runJSON{},
		ApprovalTimeout: org.ApprovalTimeout.String(), Options: org.Options}
	held, err := st.PendingDecision(ctx, org.ID)
	if err != nil {
		return err
	}
	if held != nil {
		out.Pending = &pendingJSON{HeldRun: *held, Hint: domain.DecisionHint(org.ID)}
	}
	if c, err := e.Temporal(ctx); err != nil {
		out.ScheduleProblem = err.Error()
	} else if out.Schedule, err = schedule.Describe(ctx, c, org.ID); err != nil {
		out.ScheduleProblem = err.Error()
	}
	runs, err := st.LastRuns(ctx, org.ID, 10)
	if err != nil {
		return err
	}
	for _, r := range runs {
		rj := runJSON{RunID: r.RunID, RequestedBy: r.RequestedBy, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Outcome: r.Outcome, Counts: r.Counts, Error: r.Error}
		if rj.Skipped, _, err = st.RunSkipped(ctx, r.RunID, skippedListed); err != nil {
			return err
		}
		if rj.UnknownValues, err = st.RunUnknownValues(ctx, r.RunID); err != nil {
			return err
		}
		if held != nil && r.RunID == held.RunID {
			// Still running: it waits for a decision.
			rj.Outcome, rj.Counts = domain.OutcomeHeld, held.Counts
		}
		out.Runs = append(out.Runs, rj)
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "org %s (%s)\n  justworks: %s as %s\n  head: %s\n  notify: %s\n  safety limit: %.0f %% (a sync above it waits %s for approval)\n",
		out.Org, out.Name, out.JustworksURL, out.Username, out.Head, strings.Join(out.Notify, ", "), out.SafetyLimit*100, out.ApprovalTimeout)
	if sc := out.Options.Scope; !sc.Empty() {
		var parts []string
		for _, x := range []struct {
			label string
			list  []string
		}{{"only types", sc.IncludeTypes}, {"not types", sc.ExcludeTypes}, {"only departments", sc.IncludeDepartments},
			{"not departments", sc.ExcludeDepartments}, {"always members", sc.IncludeMembers}, {"not members", sc.ExcludeMembers}} {
			if len(x.list) > 0 {
				parts = append(parts, x.label+" "+strings.Join(x.list, ","))
			}
		}
		fmt.Fprintf(stdout, "  scope: %s (people out of scope are reported as excluded, not removed)\n", strings.Join(parts, "; "))
	}
	if o := out.Options; len(o.IgnoreFields)+len(o.LocalFields) > 0 {
		fmt.Fprintf(stdout, "  fields: ignored [%s]; owned by Rostersync [%s]; every other field is Justworks'\n",
			strings.Join(o.IgnoreFields, ", "), strings.Join(o.LocalFields, ", "))
	}
	if p := out.Pending; p != nil {
		c := p.Counts
		fmt.Fprintf(stdout, "  DECISION PENDING: run %s (requested by %s) held since %s, waits until %s: +%d -%d ~%d\n    %s\n    %s\n",
			p.RunID, p.RequestedBy, p.HeldAt.Format(time.RFC3339), p.Due.Format(time.RFC3339),
			c.Hires+c.Rehires, c.Terminations+c.Removed, c.Updates, p.Reason, p.Hint)
	}
	if out.LoginBlocked != "" {
		fmt.Fprintf(stdout, "  LOGINS STOPPED: %s\n", out.LoginBlocked)
	}
	switch {
	case out.ScheduleProblem != "":
		fmt.Fprintf(stdout, "  schedule: unknown (%s)\n", out.ScheduleProblem)
	case !out.Schedule.Exists:
		fmt.Fprintln(stdout, "  schedule: none")
	case out.Schedule.Paused:
		fmt.Fprintf(stdout, "  schedule: paused (%s)\n", out.Schedule.Note)
	default:
		next := ""
		if len(out.Schedule.NextRun) > 0 {
			next = ", next " + out.Schedule.NextRun[0].Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "  schedule: daily at %s %s as %s%s\n", out.DailyTime, out.TimeZone, out.ScheduleAs, next)
	}
	fmt.Fprintln(stdout, "last runs:")
	for _, r := range out.Runs {
		fmt.Fprintf(stdout, "  %s  %-10s by %s  +%d -%d ~%d  %s\n", r.StartedAt.Format(time.RFC3339), r.Outcome, r.RequestedBy,
			r.Counts.Hires+r.Counts.Rehires+r.Counts.Returned, r.Counts.Terminations+r.Counts.Removed, r.Counts.Updates, r.Error)
		if r.Counts.Returned > 0 {
			fmt.Fprintf(stdout, "    %d back on the roster (missing from an earlier one; not rehires)\n", r.Counts.Returned)
		}
		if len(r.Skipped) > 0 {
			fmt.Fprintf(stdout, "    skipped %d (not stored, not removed; fix them in Justworks):\n", max(r.Counts.Skipped, len(r.Skipped)))
			for _, k := range r.Skipped {
				who := k.Name
				if k.MemberID != "" {
					who = strings.TrimSpace(who + " (" + k.MemberID + ")")
				}
				fmt.Fprintf(stdout, "      - %s: %s (%s)\n", who, k.Reason.Words(), k.Detail)
			}
			if more := r.Counts.Skipped - len(r.Skipped); more > 0 {
				fmt.Fprintf(stdout, "      … and %d more\n", more)
			}
		}
		for _, u := range r.UnknownValues {
			fmt.Fprintf(stdout, "    stored as received: %s %q for %d people\n", u.Field, u.Value, u.People)
		}
	}
	return nil
}
