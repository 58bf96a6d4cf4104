package justworks

import (
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
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("justworks %s: %s: %s", e.Op, e.Code, e.Message)
	}
	return fmt.Sprintf("justworks %s: %d %s: %s", e.Op, e.Status, e.Code, e.Message)
}
