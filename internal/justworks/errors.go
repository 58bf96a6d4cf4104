package justworks

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Error codes of the contract's error table (plus not_found).
const (
	CodeInvalidRequest     = "invalid_request"
	CodeCursorExpired      = "cursor_expired"
	CodeInvalidCredentials = "invalid_credentials"
	CodeInvalidCode        = "invalid_code"
	CodeTokenExpired       = "token_expired"
	CodeForbidden          = "forbidden"
	CodeNotFound           = "not_found"
	CodeCodeAlreadyUsed    = "code_already_used"
	CodeTicketExpired      = "ticket_expired"
	CodeAccountLocked      = "account_locked"
	CodeRateLimited        = "rate_limited"
	CodeUnavailable        = "unavailable"
	// CodeBadTOTPSecret is ours, not the server's: the setup key is not valid base32.
	CodeBadTOTPSecret = "bad_totp_secret"
	// CodeTransport is ours: the request never got an HTTP answer (connection refused, timeout).
	CodeTransport = "transport"
)

// Error is every failure the client returns. Callers decide on Retryable and
// RetryAfter, never on status codes. Message never carries a password, TOTP
// secret, code or token.
type Error struct {
	Op         string        // what the client was doing, e.g. "login", "list members"
	Status     int           // HTTP status, 0 when no answer came
	Code       string        // one of the Code* constants
	Message    string        // the server's message or ours
	Retryable  bool          // whether repeating later can succeed
	RetryAfter time.Duration // minimum wait before repeating (429), 0 when none was given
	Err        error         // underlying cause (transport or context error), nil for HTTP answers
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("justworks %s: %s: %s", e.Op, e.Code, e.Message)
	}
	return fmt.Sprintf("justworks %s: %d %s: %s", e.Op, e.Status, e.Code, e.Message)
}

// Codes the client adds for failures that are not answers of the contract's error table.
const (
	// CodeInvalidResponse: a 2xx answer that breaks the contract (bad JSON, a member
	// without id, a cursor that does not advance). Not retryable: a roster read from a
	// broken answer could drop people, and a later sync would terminate them.
	CodeInvalidResponse = "invalid_response"
	// CodeInvalidConfig: New was given a configuration it cannot work with.
	CodeInvalidConfig = "invalid_config"
	// CodeRedirect: Justworks answered with a 3xx, which the client never
	// follows. Not retryable: the configured URL is wrong.
	CodeRedirect = "redirect"
)

// Unwrap returns the underlying cause (a transport or context error), if any, so
// errors.Is(err, context.Canceled) works through an *Error.
func (e *Error) Unwrap() error { return e.Err }

// AsError reports whether err is or wraps an *Error and returns it.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// IsRetryable reports whether err is or wraps a retryable *Error. Errors that are
// not from this package are treated as not retryable, except context deadline
// errors, which are (a later attempt gets a new deadline).
func IsRetryable(err error) bool {
	if e, ok := AsError(err); ok {
		return e.Retryable
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// ErrorCode returns the Code of the *Error in err's chain, or "" if there is none.
func ErrorCode(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return ""
}

// RetryAfter returns the minimum wait the server asked for (429), or 0.
func RetryAfter(err error) time.Duration {
	if e, ok := AsError(err); ok {
		return e.RetryAfter
	}
	return 0
}
