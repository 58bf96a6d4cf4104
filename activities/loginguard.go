package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/store"
)

// The login guard's bounds (docs/decisions.md, "Justworks logins"). Justworks
// locks an account after 5 consecutive failed logins. A step whose verdict was
// not heard may have been one; a heard rejection stops logins at once. So at
// most maxUnheard unheard steps plus one heard failure can count: 4 < 5.
const (
	// unheardBeforeCooldown unheard steps in a row stop the password until
	// the cool-down has passed and a probe shows the login endpoint answers.
	unheardBeforeCooldown = 2
	// maxUnheard unheard steps in a row stop it until an operator re-enters
	// the credentials.
	maxUnheard = 3
	// DefaultLoginCooldown is the cool-down when Activities.LoginCooldown is 0.
	DefaultLoginCooldown = 15 * time.Minute
	// leaseMargin covers the database round trips around a password step.
	leaseMargin = 10 * time.Second
)

// loginGuard is the durable justworks.LoginGuard of one org: its count lives
// in PostgreSQL (store.ClaimPasswordStep), so it holds across activity
// retries, runs and workers. beat heartbeats the activity between the steps of
// a login, so no step outlives the attempt that the server believes alive.
type loginGuard struct {
	a        *Activities
	org      store.Org
	cooldown time.Duration
	beat     func()
	log      *zap.Logger
}

func (a *Activities) loginGuard(org store.Org, beat func()) *loginGuard {
	cd := a.LoginCooldown
	if cd <= 0 {
		cd = DefaultLoginCooldown
	}
	if beat == nil {
		beat = func() {}
	}
	return &loginGuard{a: a, org: org, cooldown: cd, beat: beat, log: a.Log.With(logOrg(org.ID))}
}

func (g *loginGuard) Admit(ctx context.Context) error {
	g.beat()
	st, err := g.a.Store.LoginGuard(ctx, g.org.ID)
	if err != nil {
		return fmt.Errorf("check the login guard: %w", err)
	}
	if st.Unheard >= maxUnheard {
		// The last step went unheard, and its attempt ended before it
		// could stop logins (a crash): stop them now.
		return g.stopped(ctx, st)
	}
	return g.admit(st)
}

// admit is the rule, run under the org's row lock by ClaimPasswordStep.
func (g *loginGuard) admit(st store.LoginGuardState) error {
	switch {
	case st.InFlightUntil.After(st.Now):
		return retryLater(st.InFlightUntil.Sub(st.Now), fmt.Sprintf(
			"another password step of org %s is still under way (an earlier attempt or another worker); Rostersync sends one at a time and tries again after it", g.org.ID))
	case st.Unheard >= maxUnheard:
		return nonRetryable(domain.ErrTypeLoginUnheard, g.stopMessage(st))
	case st.Unheard >= unheardBeforeCooldown && st.Now.Before(st.LastStepAt.Add(g.cooldown)):
		until := st.LastStepAt.Add(g.cooldown)
		return retryLater(until.Sub(st.Now), fmt.Sprintf(
			"Justworks did not answer the last %d password steps of org %s (last: %s); Rostersync sends no password before %s (a %s cool-down), and then only if the login endpoint answers a probe",
			st.Unheard, g.org.ID, st.LastUnheard, until.UTC().Format(time.RFC3339), g.cooldown))
	}
	return nil
}

// ProbeFailed ends the run when the probe after a cool-down still gets no
// answer; before that, the retry policy tries again.
func (g *loginGuard) ProbeFailed(ctx context.Context, err error) error {
	st, gerr := g.a.Store.LoginGuard(ctx, g.org.ID)
	if gerr != nil || st.Unheard < unheardBeforeCooldown {
		return err
	}
	g.log.Warn("justworks login still unheard after the cool-down; ending the run", zap.Int("unheard", st.Unheard))
	return nonRetryable(domain.ErrTypeLoginUnheard, fmt.Sprintf(
		"Justworks did not answer %d password steps of user %s for org %s (last: %s), and after a %s cool-down its login endpoint still does not answer (%s). Rostersync sent no further password and ended this run so that unanswered attempts cannot add up to a lockout; nothing was applied. To resume: once Justworks answers again, start a sync (`starter sync --org %s --as YOU`) or wait for the next scheduled one; it probes the login endpoint before it sends the password",
		st.Unheard, g.org.Username, g.org.ID, st.LastUnheard, g.cooldown, justworksText(err), g.org.ID))
}

func (g *loginGuard) Claim(ctx context.Context, timeout time.Duration) error {
	g.beat()
	return g.a.Store.ClaimPasswordStep(ctx, g.org.ID, timeout+leaseMargin, g.admit)
}

// settleCtx outlives a cancelled attempt: what became of a step that left is
// recorded even when the attempt is being torn down.
func settleCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

func (g *loginGuard) PasswordHeard(ctx context.Context) {
	g.beat()
	ctx, cancel := settleCtx(ctx)
	defer cancel()
	if _, err := g.a.Store.SettlePasswordStep(ctx, g.org.ID, true, ""); err != nil {
		// The step stays counted as unheard: the safe side.
		g.log.Warn("could not record a heard password step", errField(err))
	}
}

func (g *loginGuard) PasswordUnheard(ctx context.Context, err error) error {
	g.beat()
	why := justworksText(err)
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	st, serr := g.a.Store.SettlePasswordStep(sctx, g.org.ID, false, why)
	if serr != nil {
		g.log.Warn("could not record an unheard password step", errField(serr))
		return err
	}
	g.log.Warn("justworks password step unheard", zap.Int("unheard", st.Unheard), zap.String("reason", why))
	switch {
	case st.Unheard >= maxUnheard:
		return g.stopped(sctx, st)
	case st.Unheard >= unheardBeforeCooldown:
		return retryLater(g.cooldown, fmt.Sprintf(
			"Justworks did not answer %d password steps of org %s in a row (last: %s); Rostersync waits %s, then probes the login endpoint before it sends the password again",
			st.Unheard, g.org.ID, why, g.cooldown))
	}
	return err
}

func (g *loginGuard) LoggedIn(ctx context.Context) {
	g.beat()
	ctx, cancel := settleCtx(ctx)
	defer cancel()
	if err := g.a.Store.ResetLoginGuard(ctx, g.org.ID); err != nil {
		g.log.Warn("could not reset the login guard after a login", errField(err))
	}
}

// stopped refuses for good: maxUnheard steps went unheard. Logins of the org
// stop (orgs.login_blocked, shown by `starter status`) until an operator
// re-enters the credentials.
func (g *loginGuard) stopped(ctx context.Context, st store.LoginGuardState) error {
	msg := g.stopMessage(st)
	if err := g.a.Store.BlockLogin(ctx, g.org.ID, msg); err != nil {
		g.log.Error("could not record blocked login", errField(err))
	}
	g.log.Warn("justworks logins stopped: too many unheard password steps", zap.Int("unheard", st.Unheard))
	return nonRetryable(domain.ErrTypeLoginUnheard, msg)
}

func (g *loginGuard) stopMessage(st store.LoginGuardState) string {
	return fmt.Sprintf(
		"Rostersync sent the password of user %s for org %s %d times in a row without hearing Justworks' verdict (last: %s) and sends it no more, so that unanswered failed logins cannot add up to a lockout; nothing was applied. To resume: log in to Justworks as %s by hand (this shows whether the password still works and resets Justworks' count of failed logins), then run `starter org set --org %s --resume-logins --as YOU` (with --password-file FILE if the password was wrong)",
		g.org.Username, g.org.ID, st.Unheard, st.LastUnheard, g.org.Username, g.org.ID)
}

// retryLater is a retryable failure that the next attempt must not come
// before d.
func retryLater(d time.Duration, msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, string(domain.ErrTypeJustworksRetryable), temporal.ApplicationErrorOptions{NextRetryDelay: max(d, time.Second)})
}

// justworksText is a failure's text for a message: a client error's own
// (redacted, capped) message, else the error.
func justworksText(err error) string {
	if e, ok := justworks.AsError(err); ok {
		return fmt.Sprintf("%s %s", e.Code, e.Message)
	}
	return err.Error()
}
