package activities

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/store"
)

// nonRetryable is a failure only an operator can fix; msg says what to do. The
// cause is not attached: Temporal Web shows the message, not a chain of wraps.
func nonRetryable(typ domain.ErrorType, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, string(typ), nil)
}

// justworksError turns a client failure into a Temporal error. username is
// only used to name the account in the message.
func justworksError(org store.Org, err error) error {
	var je *justworks.Error
	if !errors.As(err, &je) {
		return err // not from Justworks: let the retry policy decide
	}
	switch je.Code {
	case justworks.CodeInvalidCredentials:
		return nonRetryable(domain.ErrTypeBadCredentials, fmt.Sprintf(
			"Justworks rejected the username or password of user %s for org %s; syncs of this org will not log in again until you update it with `starter org set --org %s --password-file FILE ...`",
			org.Username, org.ID, org.ID))
	case justworks.CodeInvalidCode, justworks.CodeBadTOTPSecret:
		return nonRetryable(domain.ErrTypeBadTOTP, fmt.Sprintf(
			"Justworks did not accept the 2FA code generated from the stored setup key of user %s for org %s; check the device clock and update the setup key with `starter org set --org %s --totp-secret-file FILE ...`",
			org.Username, org.ID, org.ID))
	case justworks.CodeAccountLocked:
		return nonRetryable(domain.ErrTypeAccountLocked, fmt.Sprintf(
			"Justworks locked user %s (too many failed logins); an administrator must unlock it in Justworks, then resume with `starter org set --org %s --resume-logins --as YOU` (or enter new credentials)",
			org.Username, org.ID))
	case justworks.CodeForbidden:
		return nonRetryable(domain.ErrTypeForbidden, fmt.Sprintf(
			"Justworks user %s lacks the admin permission to list members of org %s; grant it in Justworks, then run `starter sync --org %s` again",
			org.Username, org.ID, org.ID))
	}
	if !je.Retryable {
		return nonRetryable(domain.ErrTypeJustworksRequest, fmt.Sprintf("Justworks refused a request for org %s: %s", org.ID, je.Error()))
	}
	// Outages, 429s and expired sessions: retry, and never sooner than the
	// server asked.
	return temporal.NewApplicationErrorWithOptions(je.Error(), string(domain.ErrTypeJustworksRetryable), temporal.ApplicationErrorOptions{
		NextRetryDelay: je.RetryAfter,
	})
}

// blocksLogin says whether a failure must stop every further login of this
// org until an operator changes the credentials: repeating it could lock the
// Justworks account.
func blocksLogin(err error) bool {
	var je *justworks.Error
	if !errors.As(err, &je) {
		return false
	}
	switch je.Code {
	case justworks.CodeInvalidCredentials, justworks.CodeAccountLocked, justworks.CodeInvalidCode, justworks.CodeBadTOTPSecret:
		return true
	}
	return false
}

// headError maps the org tree's head failures; nothing has been stored.
func headError(err error) error {
	var nf *orgtree.HeadNotFoundError
	if errors.As(err, &nf) {
		return nonRetryable(domain.ErrTypeHeadNotFound, nf.Error())
	}
	var amb *orgtree.AmbiguousHeadError
	if errors.As(err, &amb) {
		return nonRetryable(domain.ErrTypeHeadAmbiguous, amb.Error())
	}
	return err
}

// stageError: input the store can never stage (ErrBadInput) is final; a
// newer attempt that took over the run (store.ErrSuperseded) or anything else
// (the database) is a plain error.
func stageError(run RunRef, err error) error {
	if errors.Is(err, store.ErrBadInput) {
		// Members that cannot be applied are skipped and reported, not
		// refused here; what is left is input no retry can fix.
		return nonRetryable(domain.ErrTypeBadRoster, fmt.Sprintf(
			"the members of org %s cannot be staged: %v; nothing was applied", run.Org, err))
	}
	return fmt.Errorf("stage members: %w", err)
}
