// Package justworks is Rostersync's only speaker of the Justworks HTTP contract
// (../shared/justworks-api.md): two-step login with a TOTP code, member pages,
// typed errors and a client-side rate limit. Nothing outside this package knows
// an endpoint, a status code or an error code of Justworks, so the real endpoint
// mapping can replace the contract without touching workflows or activities.
//
// What the client does on its own, and what it leaves to its caller (the
// activities, which retry with Temporal's policy and resume from a heartbeat):
//
//   - Login never sends the password again after invalid_credentials or
//     account_locked, nor after two invalid_code answers: the *Error is
//     non-retryable and the Client refuses every later login without contacting
//     Justworks, so no retry, ours or Temporal's, can lock the account.
//   - Each TOTP code is used once: a second login in the same 30 s step waits for
//     the next step; 409 code_already_used (another worker won) waits too, at
//     most twice; 410 ticket_expired starts a new login, at most three times.
//   - 401 token_expired: log in again and repeat the request, at most three
//     times per request. A Client without credentials (SetToken only) returns a
//     retryable error instead.
//   - 429: waits Retry-After (every request of the Client waits, not only the
//     one that got it), at most five times per request and never longer than
//     Config.MaxRetryAfter; then a retryable *Error with RetryAfter.
//   - 5xx: two quick retries (250 ms, 500 ms), then a retryable *Error; transport
//     errors are retryable at once.
//   - ListMembers restarts from the first page on cursor_expired (at most three
//     times per call) and passes duplicates through: callers de-duplicate by id.
//   - A 2xx answer that breaks the contract (a member without id, a cursor that
//     does not advance) is a non-retryable invalid_response rather than a
//     roster with holes, which a sync would read as people leaving.
//
// No error or log line carries a password, TOTP secret or code, MFA ticket or
// access token: messages name the Justworks user and say what to fix.
package justworks
