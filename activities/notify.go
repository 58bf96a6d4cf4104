package activities

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.temporal.io/sdk/activity"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/mail"
	"github.com/rostersync/rostersync/internal/store"
)

// defaultMailListLimit keeps a 100,000-person first sync's email readable: each
// section lists this many people by name and says how many more there are.
const defaultMailListLimit = 500

// releaseTimeout bounds giving back a claim after a failed send, which runs
// even when the attempt's deadline has passed.
const releaseTimeout = 10 * time.Second

// SendSyncSummary emails the run's summary to each address on the org's
// notification list. Each recipient is claimed in the store before sending, so
// a retried activity never sends the same run's email twice.
func (a *Activities) SendSyncSummary(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	org, err := a.Store.GetOrg(ctx, in.Org)
	if err != nil {
		return NotifyResult{}, fmt.Errorf("load org %s: %w", in.Org, err)
	}
	var res NotifyResult
	if len(org.Notify) == 0 && !in.DryRun {
		return res, nil
	}
	summary, err := a.summary(ctx, org, in)
	if err != nil {
		return res, err
	}
	msg, err := mail.Render(summary)
	if err != nil {
		return res, nonRetryable(domain.ErrTypeConfig, fmt.Sprintf("render the summary email: %v", err))
	}
	if in.DryRun {
		// A preview emails nobody: it keeps the email the real run would
		// send, for `starter sync --dry-run` and the console.
		if err := a.Store.SavePreview(ctx, in.RunID, store.Preview{Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML}); err != nil {
			return res, err
		}
		return res, nil
	}
	// The held email and the run's final one are two emails of one run.
	claim := in.RunID
	if in.Outcome == domain.OutcomeHeld {
		claim += "#held"
	}
	log := activity.GetLogger(ctx)
	var retry error
	for _, to := range org.Notify {
		claimed, err := a.Store.ClaimNotification(ctx, claim, to)
		if err != nil {
			return res, fmt.Errorf("claim notification: %w", err)
		}
		if !claimed {
			res.Skipped++
			continue
		}
		msg.MessageID = fmt.Sprintf("<%s.%s@rostersync>", url.QueryEscape(claim), url.QueryEscape(to))
		err = a.Mail.Send(ctx, to, msg)
		if err == nil {
			if err := a.Store.MarkNotified(ctx, claim, to); err != nil {
				a.Log.Warn("could not mark notification sent", zap.String("run", in.RunID), errField(err))
			}
			res.Sent++
			continue
		}
		var se *mail.SendError
		switch {
		case errors.As(err, &se) && se.Setting != "":
			// Our side is misconfigured (TLS, login): every recipient would
			// fail alike and a retry cannot help. Nothing went out, so the
			// claim goes back; the failure names the setting to fix.
			if rerr := a.Store.ReleaseNotification(ctx, in.RunID, to); rerr != nil {
				return res, fmt.Errorf("release notification: %w", rerr)
			}
			return res, nonRetryable(domain.ErrTypeConfig, fmt.Sprintf("summary email of org %s not sent: %v", in.Org, err))
		case errors.As(err, &se) && se.MaybeDelivered:
			// The server may hold the message: keep the claim (at most once).
			log.Warn("Summary email may or may not have been delivered; not resending", "to", to, "error", err.Error())
		case errors.As(err, &se) && se.Permanent:
			// The server refused this address for good; others still get theirs.
			log.Error("Summary email refused", "to", to, "error", err.Error())
		default:
			// The send may have failed because this attempt's own deadline
			// passed: give the claim back on a context of its own, or the
			// retry would find it taken and nobody would get the email.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
			rerr := a.Store.ReleaseNotification(rctx, claim, to)
			cancel()
			if rerr != nil {
				return res, fmt.Errorf("release notification: %w", rerr)
			}
			retry = fmt.Errorf("send summary to %s: %w", to, err)
		}
	}
	if retry != nil {
		return res, retry
	}
	recordMail(ctx, in.Org, res.Sent)
	return res, nil
}

func (a *Activities) summary(ctx context.Context, org store.Org, in NotifyInput) (mail.Summary, error) {
	limit := a.MailListLimit
	if limit <= 0 {
		limit = defaultMailListLimit
	}
	s := mail.Summary{
		OrgID: org.ID, OrgName: org.Name, WorkflowID: in.WorkflowID, RunID: in.RunID,
		WebURL:  config.RunURL(a.WebURL, a.Namespace, in.WorkflowID, in.RunID),
		Outcome: in.Outcome, Reason: in.Reason, RequestedBy: in.RequestedBy,
		Started: time.Unix(in.StartedUnix, 0).UTC(), Finished: time.Now().UTC(),
		Counts:    in.Counts,
		Truncated: map[domain.Section]int{},
		Decision:  in.Decision,
	}
	if in.Outcome == domain.OutcomeHeld {
		s.Finished = time.Time{} // still running
		s.DecisionHint = domain.DecisionHint(org.ID)
	}
	if in.DecisionDueUnix > 0 {
		s.DecisionDue = time.Unix(in.DecisionDueUnix, 0).UTC()
	}
	// Whatever the outcome, the members the fetch could not take and the
	// values it stored as received are reported: they are never silent.
	skipped, total, err := a.Store.RunSkipped(ctx, in.RunID, limit)
	if err != nil {
		return s, err
	}
	for _, k := range skipped {
		s.Skipped = append(s.Skipped, mail.Skipped{ID: k.MemberID, Name: k.Name, Reason: k.Reason, Detail: k.Detail})
	}
	if more := total - len(skipped); more > 0 {
		s.Truncated[domain.SectionSkipped] = more
	}
	unknown, err := a.Store.RunUnknownValues(ctx, in.RunID)
	if err != nil {
		return s, err
	}
	for _, u := range unknown {
		s.UnknownValues = append(s.UnknownValues, mail.UnknownValue{Field: u.Field, Value: u.Value, People: u.People})
	}
	// An applied run lists what it wrote; a preview, a held run, and a held
	// run rejected or timed out list the change set it staged (not applied).
	readChanges, readTotals := a.Store.RunChanges, a.Store.RunSectionTotals
	switch {
	case in.DryRun || in.Outcome == domain.OutcomeHeld || in.Outcome == domain.OutcomeRefused:
		readChanges, readTotals = a.Store.StagedChanges, a.Store.StagedSectionTotals
	case in.Outcome == domain.OutcomeNoChanges:
		readChanges = nil // no change to list; exclusions and kept values still are
	case in.Outcome != domain.OutcomeApplied:
		return s, nil // nothing was written, so there is nothing to list
	}
	if readChanges != nil {
		if err := a.listChanges(ctx, &s, org, in, limit, readChanges, readTotals); err != nil {
			return s, err
		}
	}
	excluded, nExcluded, err := a.Store.RunExcluded(ctx, in.RunID, limit)
	if err != nil {
		return s, err
	}
	for _, x := range excluded {
		s.Excluded = append(s.Excluded, mail.Excluded{ID: x.MemberID, Name: x.DisplayName, Reason: x.Reason})
	}
	if more := nExcluded - len(excluded); more > 0 {
		s.Truncated[domain.SectionExcluded] = more
	}
	scheduled, nScheduled, err := a.Store.RunScheduled(ctx, in.RunID, limit)
	if err != nil {
		return s, err
	}
	for _, x := range scheduled {
		s.Scheduled = append(s.Scheduled, mail.Scheduled{ID: x.MemberID, Name: x.DisplayName, Date: x.TerminationDate.Format(time.DateOnly)})
	}
	if more := nScheduled - len(scheduled); more > 0 {
		s.Truncated[domain.SectionScheduled] = more
	}
	kept, nKept, err := a.Store.RunKept(ctx, in.RunID, limit)
	if err != nil {
		return s, err
	}
	for _, k := range kept {
		s.KeptOut = append(s.KeptOut, mail.KeptOut{ID: k.MemberID, Name: k.DisplayName, Field: k.Field, Justworks: deref(k.Justworks), Local: deref(k.Kept)})
	}
	if more := nKept - len(kept); more > 0 {
		s.Truncated[domain.SectionKeptOut] = more
	}
	problems, err := a.Store.RunProblems(ctx, in.RunID, limit)
	if err != nil {
		return s, fmt.Errorf("read problems: %w", err)
	}
	for _, p := range problems {
		s.Problems = append(s.Problems, mail.Problem{MemberID: p.MemberID, Kind: p.Kind, Detail: p.Detail})
	}
	if more := in.Counts.Problems - len(problems); more > 0 {
		s.Truncated[domain.SectionProblems] = more
	}
	return s, nil
}

// listChanges fills the summary's change sections from the change log (an
// applied run) or the staged change set (held, rejected, timed out, preview).
func (a *Activities) listChanges(ctx context.Context, s *mail.Summary, org store.Org, in NotifyInput, limit int,
	readChanges func(context.Context, string, int) ([]store.Change, error),
	readTotals func(context.Context, string) (map[domain.Section]int, error)) error {
	changes, err := readChanges(ctx, in.RunID, limit)
	if err != nil {
		return fmt.Errorf("read changes: %w", err)
	}
	today := orgToday(org)
	for _, c := range changes {
		p := mail.Person{ID: c.MemberID, Name: c.DisplayName}
		for _, f := range c.Fields {
			switch f.Field {
			case domain.FieldJobTitle:
				p.Title = deref(f.New)
				if f.New == nil {
					p.Title = deref(f.Old)
				}
			case domain.FieldDepartment:
				p.Department = deref(f.New)
			case "start_date":
				// A pre-hire: starting after today in the org's time zone.
				if c.Kind == domain.ChangeHire && f.New != nil && *f.New > today {
					p.Starts = *f.New
				}
			}
		}
		switch c.Kind {
		case domain.ChangeHire:
			s.Hires = append(s.Hires, p)
		case domain.ChangeTermination:
			s.Terminations = append(s.Terminations, p)
		case domain.ChangeRehire:
			s.Rehires = append(s.Rehires, p)
		case domain.ChangeReturned:
			s.Returned = append(s.Returned, p)
		case domain.ChangeRemoved:
			s.Removed = append(s.Removed, p)
		}
		if c.Kind != domain.ChangeUpdate && c.Kind != domain.ChangeRehire && c.Kind != domain.ChangeReturned {
			continue
		}
		for _, f := range c.Fields {
			switch f.Field {
			case domain.FieldJobTitle:
				s.TitleChanges = append(s.TitleChanges, mail.TitleChange{ID: c.MemberID, Name: c.DisplayName, Old: deref(f.Old), New: deref(f.New)})
			case domain.FieldManagerID:
				s.ManagerMoves = append(s.ManagerMoves, mail.ManagerMove{ID: c.MemberID, Name: c.DisplayName,
					OldManager: label(f.OldLabel, f.Old), NewManager: label(f.NewLabel, f.New)})
			}
		}
	}
	// Each section says how many more it holds than it lists, counted from the
	// change log under the same section keys the email reads.
	totals, err := readTotals(ctx, in.RunID)
	if err != nil {
		return err
	}
	listed := map[domain.Section]int{
		domain.SectionHires: len(s.Hires), domain.SectionTerminations: len(s.Terminations),
		domain.SectionRehires: len(s.Rehires), domain.SectionReturned: len(s.Returned), domain.SectionRemoved: len(s.Removed),
		domain.SectionTitleChanges: len(s.TitleChanges), domain.SectionManagerMoves: len(s.ManagerMoves),
	}
	for sec, total := range totals {
		if more := total - listed[sec]; more > 0 {
			s.Truncated[sec] = more
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// label prefers a manager's name and falls back to the id; "none" for null.
func label(name, id *string) string {
	if name != nil && *name != "" {
		return *name
	}
	if id != nil {
		return *id
	}
	return "none"
}

// orgToday is today's date (YYYY-MM-DD) in the org's time zone.
func orgToday(org store.Org) string {
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil || org.TimeZone == "" {
		loc = time.UTC
	}
	return time.Now().In(loc).Format(time.DateOnly)
}
