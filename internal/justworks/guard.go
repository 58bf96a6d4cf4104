package justworks

import (
	"context"
	"net/http"
	"time"
)

// LoginGuard decides, beyond one Client, whether the password may be sent.
// A Client asks it around every login (Login, the first request without a
// session, and every re-login after token_expired) in this order:
//
//	Admit → probe of the login endpoint (ProbeFailed when it does not answer)
//	→ for each password step: Claim → the step → PasswordHeard or PasswordUnheard
//	→ LoggedIn once the MFA step opened a session.
//
// Errors returned by Admit, ProbeFailed, Claim and PasswordUnheard are what the
// login returns, unchanged; they are the guard's to type. Rostersync's guard
// (activities) keeps its count in PostgreSQL, so it holds across activity
// retries, runs and worker processes.
type LoginGuard interface {
	// Admit may refuse a login before anything is sent (a cool-down, a stop).
	Admit(ctx context.Context) error
	// ProbeFailed is told that the login endpoint did not answer the probe
	// (err: a 5xx, a 429 or no answer); it returns the error to report.
	ProbeFailed(ctx context.Context, err error) error
	// Claim is called right before a password step, which may take up to
	// timeout; nil lets it go (and counts it as unheard until told otherwise).
	Claim(ctx context.Context, timeout time.Duration) error
	// PasswordHeard: Justworks answered the step (a ticket, a rejection, a 429).
	PasswordHeard(ctx context.Context)
	// PasswordUnheard: the step got a 5xx or no answer, so Justworks may have
	// counted a failed login; it returns the error to report (err, or a
	// refusal to go on).
	PasswordUnheard(ctx context.Context, err error) error
	// LoggedIn: a session opened (Justworks resets its failed-login count).
	LoggedIn(ctx context.Context)
}

// noGuard is the guard of a Client configured without one: the in-client
// rules (probe first, never repeat a password step in-client) still apply.
type noGuard struct{}

func (noGuard) Admit(context.Context) error                        { return nil }
func (noGuard) ProbeFailed(_ context.Context, err error) error     { return err }
func (noGuard) Claim(context.Context, time.Duration) error         { return nil }
func (noGuard) PasswordHeard(context.Context)                      {}
func (noGuard) PasswordUnheard(_ context.Context, err error) error { return err }
func (noGuard) LoggedIn(context.Context)                           {}

// Heard reports whether err (from a password step) carries Justworks' answer:
// none (success), or an HTTP answer other than a 5xx. A 5xx or no answer
// (timeout, reset, cancelled) leaves the verdict unknown.
func Heard(err error) bool {
	if err == nil {
		return true
	}
	e, ok := AsError(err)
	if !ok {
		return false
	}
	return e.Status != 0 && e.Status < http.StatusInternalServerError
}
