// Package sandbox owns Rostersync's Justworks sandbox: a strict server of the
// HTTP contract in ../shared/justworks-api.md, used in-process by tests (wrap a
// *Server in httptest.NewServer) and standalone for the demo and benchmarks
// (cmd/justworks-sandbox).
//
// New generates a company deterministically from Config.Seed (and the current
// day, because pending starts and scheduled terminations are relative to today):
// 1 to MaxPeople members with ids "mem_" + 6 hex digits (sorted, sparse so
// hires can land between them), one head ("Chief Executive Officer", no
// manager, a display name found nowhere else in the roster: see Head), a
// reporting tree with 5–8 reports per manager, departments, locations,
// employment types, statuses (active, pending with a future start, on_leave,
// terminated with a past termination date, active with a scheduled future
// termination) and names in Latin (some accents in NFD form), Cyrillic, Greek,
// CJK, Hangul and Arabic scripts, with nicknames as preferred names,
// apostrophes, hyphens and stray spaces. Some emails, titles, departments and
// locations are null.
//
// The server enforces the contract exactly: two-step login with a TOTP code
// (SHA-1, 6 digits, 30 s, current step ±1, each code once), a lockout after 5
// consecutive failed logins (Server.Unlock lifts it), 900 s tokens, a per-token
// rate limit (Config.RateLimit, default 10 req/s) answering 429 with
// Retry-After, cursors that expire after 15 minutes, limit 1–100, and the error
// bodies and codes of the contract's table. Anything else a client sends wrong
// is 400 invalid_request (there is no 405 in the contract) or 404 not_found.
//
// Faults (Config.Faults, Server.SetFaults) inject what the real service does on
// a bad day:
//
//	Latency            added to every request
//	UnavailableEvery   every Nth request answers 503 unavailable
//	UnavailableFrom/For a window (from start or the last SetFaults) of 5xx answers
//	RateLimitEvery     every Nth request answers 429 with Retry-After = RetryAfter (default 1 s)
//	TokenExpiryAfter   tokens expire after N authenticated requests
//	CursorExpiry       cursor lifetime (default 15 min)
//	CursorExpireEvery  every Nth members request with a cursor answers cursor_expired
//	MutateEvery        every Nth members page first hires, terminates or moves someone
//	TruncateTo         only the first N members (by id) are served
//	ShortPageEvery     every Nth members page is short (empty or half) with a next cursor
//	Forbidden          members endpoints answer 403 forbidden
//
// Stats count requests, logins, MFA attempts, member requests, 429s and
// requests sent before a Retry-After ran out (EarlyRequests), so tests can
// check that the client behaves. Mutate changes the roster between syncs
// (Roster.Hire, Terminate, Rehire, SetManager, SetTitle, SetStatus, Update,
// Remove, Put, Get).
//
// The package holds no password: callers pass one (tests use literals, the
// standalone command reads a flag, a file or SANDBOX_PASSWORD).
package sandbox
