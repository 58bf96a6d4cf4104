package justworks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// Config configures a Client. Only BaseURL is required.
type Config struct {
	BaseURL    string
	HTTPClient *http.Client // default: a client with a 30 s timeout
	// RateLimit is the server's limit in requests per second that the client
	// stays under, over all requests of this Client (logins included): default
	// 10, the contract's per-token limit. Negative turns the limiter off.
	RateLimit float64
	// RateMargin is how far below RateLimit the client aims, as a fraction:
	// default 0.05 (9.5 req/s under a limit of 10). A server that counts
	// requests in a rolling one-second window on arrival sees 11 in a second
	// whenever one request is delayed more than the tenth after it; the margin
	// absorbs that much delay (50 ms at 10 req/s). Negative means none.
	RateMargin float64
	Logger     *zap.Logger // default: no logging
	PageSize   int         // members per page, default 100 (the contract's maximum)
	// Now and Sleep are the clock for TOTP steps and Retry-After waits. Tests
	// inject a fake clock here; the rate limiter always runs on real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error // default: a timer that honours ctx
	// UnavailableRetries is how often the client itself repeats a request that got a
	// 5xx answer (with a short backoff) before it returns a retryable error: 0 means
	// the default 2, negative means none. The caller (the activity) retries too, so
	// this stays small.
	UnavailableRetries int
	// MaxRetryAfter is the longest Retry-After the client sleeps through inside a
	// call; a longer one comes back as *Error{Retryable: true, RetryAfter: d} so the
	// activity can schedule its retry instead of blocking. Default 30 s.
	MaxRetryAfter time.Duration
	// Guard is asked before every password step (LoginGuard); default none,
	// which leaves the in-client rules only.
	Guard LoginGuard
}

const (
	defaultRateLimit          = 10
	defaultRateMargin         = 0.05
	rateBackoff               = 0.75 // the rate after a 429, as a fraction of the rate before
	rateFloor                 = 0.1  // never slower than this fraction of the limit
	rateStep                  = 0.05 // speed-up per clean second, as a fraction of the limit
	defaultPageSize           = 100
	defaultUnavailableRetries = 2
	defaultMaxRetryAfter      = 30 * time.Second
	defaultRetryAfter         = time.Second // when a 429 comes without a usable Retry-After
	unavailableBackoff        = 250 * time.Millisecond
	maxRateLimitWaits         = 5                // 429 waits inside one request before giving up
	maxRelogins               = 3                // re-logins after token_expired inside one request
	defaultStepTimeout        = 30 * time.Second // one password step, when the HTTP client has no timeout
	maxCursorRestarts         = 3                // restarts from the first page inside one ListMembers call
	maxBodyBytes              = 32 << 20
)

// Client speaks the Justworks contract for one org's dedicated user. It is safe
// for concurrent use; concurrent requests share one session, one rate limiter
// and one Retry-After.
type Client struct {
	base    *url.URL
	creds   Credentials
	secret  string // normalised TOTP setup key
	hc      *http.Client
	limiter *rate.Limiter // nil when off
	// The adaptive rate (under mu): target is RateLimit less the margin; a
	// 429 cuts the current rate, clean requests raise it back, one step per
	// second's worth of them.
	rateLimit, rateTarget, rateNow float64
	cleanRequests                  int
	lastSlowdown                   time.Time // real time: one cut per second, however many 429s were in flight
	log                            *zap.Logger
	now                            func() time.Time
	sleep                          func(ctx context.Context, d time.Duration) error

	pageSize           int
	unavailableRetries int
	maxRetryAfter      time.Duration
	guard              LoginGuard
	stepTimeout        time.Duration // bound of one password step (the guard's lease)

	loginMu sync.Mutex // one login at a time, so concurrent expiries do not burn TOTP codes

	mu        sync.Mutex
	token     string
	notBefore time.Time // no request before this instant (Retry-After), on c.now's clock
	lastStep  int64     // last TOTP step a code was sent for; each code is good only once
	blocked   *Error    // a login failure that must never be repeated by this client

	requests, logins, loginAttempts, rateLimited, unavailable atomic.Int64
}

// Stats counts what a Client did, for run summaries and tests.
type Stats struct {
	Requests      int // HTTP requests sent, logins included
	Logins        int // sessions opened (successful MFA steps)
	LoginAttempts int // password steps sent
	RateLimited   int // 429 answers received
	Unavailable   int // 5xx answers received
}

// New returns a client for cfg.BaseURL that logs in with creds. It fails with
// *Error{Code: CodeBadTOTPSecret} if creds carry a setup key that is not base32.
// Zero Credentials make a client that can only use a token given to SetToken.
func New(cfg Config, creds Credentials) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, &Error{Op: "configure", Code: CodeInvalidConfig, Message: "the Justworks base URL is empty"}
	}
	if err := CheckBaseURL(cfg.BaseURL); err != nil {
		return nil, &Error{Op: "configure", Code: CodeInvalidConfig, Message: "the Justworks base URL " + err.Error()}
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, &Error{Op: "configure", Code: CodeInvalidConfig, Message: fmt.Sprintf("the Justworks base URL %q is not an http(s) URL", cfg.BaseURL)}
	}
	c := &Client{
		base:               base,
		creds:              creds,
		hc:                 cfg.HTTPClient,
		log:                cfg.Logger,
		now:                cfg.Now,
		sleep:              cfg.Sleep,
		pageSize:           cfg.PageSize,
		unavailableRetries: cfg.UnavailableRetries,
		maxRetryAfter:      cfg.MaxRetryAfter,
		guard:              cfg.Guard,
	}
	if creds.hasLogin() {
		if err := ValidateTOTPSecret(creds.TOTPSecret); err != nil {
			return nil, err
		}
		c.secret = normaliseSecret(creds.TOTPSecret)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	// Follow no redirect: a redirect would carry the password, a TOTP code or
	// the token to wherever the answer points. A 3xx is reported instead.
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	c.stepTimeout = c.hc.Timeout
	if c.stepTimeout <= 0 {
		c.stepTimeout = defaultStepTimeout
	}
	if c.guard == nil {
		c.guard = noGuard{}
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	c.log = c.log.With(zap.String("justworks_user", creds.Username))
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.pageSize <= 0 {
		// Larger values are sent as given: the server, not the client, owns the limit.
		c.pageSize = defaultPageSize
	}
	switch {
	case c.unavailableRetries == 0:
		c.unavailableRetries = defaultUnavailableRetries
	case c.unavailableRetries < 0:
		c.unavailableRetries = 0
	}
	if c.maxRetryAfter <= 0 {
		c.maxRetryAfter = defaultMaxRetryAfter
	}
	r := cfg.RateLimit
	if r == 0 {
		r = defaultRateLimit
	}
	if r > 0 {
		margin := cfg.RateMargin
		switch {
		case margin == 0:
			margin = defaultRateMargin
		case margin < 0 || margin >= 1:
			margin = 0
		}
		c.rateLimit, c.rateTarget = r, r*(1-margin)
		c.rateNow = c.rateTarget
		// Burst 1: requests are spaced evenly, at least 1/rate apart, so a
		// one-second window, however the server aligns it, sees fewer than r.
		c.limiter = rate.NewLimiter(rate.Limit(c.rateNow), 1)
		// Start with the bucket empty: the session may have just served
		// another client's request (the login step's probe, then the
		// fetch's first page), and a strict server counts per token.
		c.limiter.ReserveN(time.Now(), 1)
	}
	return c, nil
}

// Rate is the request rate the client currently allows itself (0: no limit).
func (c *Client) Rate() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rateNow
}

// slowDown follows a 429: the server counts differently or other clients
// share the token, so the rate drops by a quarter (not below a tenth of the
// limit). 429s within a second of a cut answer requests sent before it and
// cut nothing more.
func (c *Client) slowDown() {
	if c.limiter == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanRequests = 0
	now := time.Now()
	if now.Sub(c.lastSlowdown) < time.Second {
		return
	}
	c.lastSlowdown = now
	c.rateNow = max(c.rateNow*rateBackoff, c.rateLimit*rateFloor)
	c.limiter.SetLimit(rate.Limit(c.rateNow))
}

// speedUp follows an answer that was not a 429: after a second's worth of
// them in a row, the rate climbs one step (5 % of the limit) towards the target.
func (c *Client) speedUp() {
	if c.limiter == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rateNow >= c.rateTarget {
		return
	}
	c.cleanRequests++
	if float64(c.cleanRequests) < c.rateNow {
		return
	}
	c.cleanRequests = 0
	c.rateNow = min(c.rateTarget, c.rateNow+c.rateLimit*rateStep)
	c.limiter.SetLimit(rate.Limit(c.rateNow))
}

// Token returns the current access token ("" before a login). Callers may hand
// it to another worker's client (SetToken) to resume the session; they must
// treat it as a secret.
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// SetToken makes the client use a session another process opened. If it has
// expired, the client logs in again (when it has credentials).
func (c *Client) SetToken(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = tok
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:      int(c.requests.Load()),
		Logins:        int(c.logins.Load()),
		LoginAttempts: int(c.loginAttempts.Load()),
		RateLimited:   int(c.rateLimited.Load()),
		Unavailable:   int(c.unavailable.Load()),
	}
}

// Company returns the company the user belongs to.
func (c *Client) Company(ctx context.Context) (Company, error) {
	var co Company
	if err := c.do(ctx, request{op: "read the company", method: http.MethodGet, path: companyPath, auth: true}, &co); err != nil {
		return Company{}, err
	}
	if co.ID == "" {
		return Company{}, &Error{Op: "read the company", Status: http.StatusOK, Code: CodeInvalidResponse, Message: "the company has no id"}
	}
	return co, nil
}

// request is one logical call of the contract.
type request struct {
	op      string // for errors and logs: "list members", "log in", ...
	method  string
	path    string
	query   url.Values
	body    any      // sent as JSON when not nil
	auth    bool     // carries the session's bearer token (and re-logs in on expiry)
	secrets []string // values in the body that must never reach an error or log
	// once: no in-client repeat after a 5xx or a 429. For the password step:
	// after a 5xx its verdict is unknown (a repeat could count as another
	// failed login), and every password step is the guard's to allow.
	once bool
}

// do performs rq and decodes a 2xx body into out. It opens a session when there
// is none and logs in again when the server says the token expired, then repeats
// the same request (at most maxRelogins times).
func (c *Client) do(ctx context.Context, rq request, out any) error {
	relogins := 0
	for {
		var tok string
		if rq.auth {
			var err error
			if tok, err = c.session(ctx); err != nil {
				return err
			}
		}
		body, err := c.send(ctx, rq, tok)
		if err != nil {
			e, ok := AsError(err)
			if !ok || !rq.auth || e.Code != CodeTokenExpired {
				return err
			}
			if !c.creds.hasLogin() {
				e.Retryable = true
				e.Message = "the Justworks session expired and this client has no credentials to log in again"
				return e
			}
			if relogins == maxRelogins {
				e.Retryable = true
				e.Message = fmt.Sprintf("the Justworks session expired %d times in a row right after logging in again", relogins+1)
				return e
			}
			relogins++
			c.log.Info("justworks session expired; logging in again", zap.String("op", rq.op), zap.Int("relogin", relogins))
			if err := c.relogin(ctx, tok); err != nil {
				return err
			}
			continue
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(body, out); err != nil {
			return &Error{Op: rq.op, Status: http.StatusOK, Code: CodeInvalidResponse, Message: "the answer is not the expected JSON: " + err.Error()}
		}
		return nil
	}
}

// send performs rq until it gets a 2xx answer or an error that is not a 429 or a
// 5xx within the in-client budgets, and returns the 2xx body.
func (c *Client) send(ctx context.Context, rq request, token string) ([]byte, error) {
	waits, retries := 0, 0
	for {
		if err := c.waitTurn(ctx); err != nil {
			return nil, &Error{Op: rq.op, Code: CodeTransport, Message: "gave up waiting to send: " + err.Error(), Retryable: true, Err: err}
		}
		status, header, body, err := c.roundTrip(ctx, rq, token)
		if err != nil {
			return nil, err
		}
		if status != http.StatusTooManyRequests {
			c.speedUp()
		}
		if status >= 200 && status < 300 {
			return body, nil
		}
		e := c.apiError(rq, status, header, body)
		switch e.Code {
		case CodeRateLimited:
			c.rateLimited.Add(1)
			c.slowDown()
			if rq.once || waits == maxRateLimitWaits || e.RetryAfter > c.maxRetryAfter {
				return nil, e
			}
			waits++
			c.deferRequests(c.now().Add(e.RetryAfter))
			c.log.Info("justworks rate limit; waiting and slowing down", zap.String("op", rq.op), zap.Duration("retry_after", e.RetryAfter),
				zap.Int("wait", waits), zap.Float64("rate", c.Rate()))
			continue
		case CodeUnavailable:
			c.unavailable.Add(1)
			if retries == c.unavailableRetries || rq.once {
				return nil, e
			}
			d := unavailableBackoff << retries
			retries++
			c.log.Info("justworks unavailable; retrying", zap.String("op", rq.op), zap.Int("status", status), zap.Duration("backoff", d))
			if err := c.sleep(ctx, d); err != nil {
				return nil, &Error{Op: rq.op, Status: status, Code: CodeUnavailable, Message: e.Message, Retryable: true, Err: err}
			}
			continue
		}
		return nil, e
	}
}

// waitTurn waits out a Retry-After and then the rate limiter.
func (c *Client) waitTurn(ctx context.Context) error {
	c.mu.Lock()
	nb := c.notBefore
	c.mu.Unlock()
	if d := nb.Sub(c.now()); d > 0 {
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
	if c.limiter != nil {
		return c.limiter.Wait(ctx)
	}
	return ctx.Err()
}

// deferRequests holds back every request of this client until t.
func (c *Client) deferRequests(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.notBefore) {
		c.notBefore = t
	}
}

// roundTrip sends one HTTP request and reads the whole answer.
func (c *Client) roundTrip(ctx context.Context, rq request, token string) (int, http.Header, []byte, error) {
	// rq.path is escaped (member ids go through url.PathEscape) and must stay so on the wire.
	u := *c.base
	u.RawPath = strings.TrimRight(c.base.EscapedPath(), "/") + rq.path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return 0, nil, nil, &Error{Op: rq.op, Code: CodeInvalidRequest, Message: "cannot build the request path: " + err.Error()}
	}
	u.Path = p
	u.RawQuery = rq.query.Encode()
	var rd io.Reader
	if rq.body != nil {
		b, err := json.Marshal(rq.body)
		if err != nil {
			return 0, nil, nil, &Error{Op: rq.op, Code: CodeInvalidRequest, Message: "cannot encode the request body"}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, u.String(), rd)
	if err != nil {
		return 0, nil, nil, &Error{Op: rq.op, Code: CodeInvalidRequest, Message: "cannot build the request: " + err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "rostersync")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.log.Debug("justworks request failed", zap.String("op", rq.op), zap.String("method", rq.method), zap.String("path", rq.path), zap.Error(err))
		return 0, nil, nil, &Error{Op: rq.op, Code: CodeTransport, Message: "no answer from Justworks: " + c.redact(err.Error(), rq.secrets...), Retryable: true, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return 0, nil, nil, &Error{Op: rq.op, Status: resp.StatusCode, Code: CodeTransport, Message: "the answer broke off: " + err.Error(), Retryable: true, Err: err}
	}
	if len(body) > maxBodyBytes {
		return 0, nil, nil, &Error{Op: rq.op, Status: resp.StatusCode, Code: CodeInvalidResponse, Message: fmt.Sprintf("the answer is larger than %d bytes", maxBodyBytes)}
	}
	c.log.Debug("justworks request",
		zap.String("op", rq.op), zap.String("method", rq.method), zap.String("path", rq.path),
		zap.Int("status", resp.StatusCode), zap.Duration("took", time.Since(start)))
	return resp.StatusCode, resp.Header, body, nil
}

// apiError turns a non-2xx answer into an *Error with an operator-readable message.
func (c *Client) apiError(rq request, status int, h http.Header, body []byte) *Error {
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &eb) // a body that is not the contract's still has a status
	e := &Error{Op: rq.op, Status: status, Code: eb.Error.Code}
	switch {
	case status == http.StatusTooManyRequests:
		e.Code = CodeRateLimited
		e.RetryAfter = parseRetryAfter(h.Get("Retry-After"), c.now())
	case status >= 500:
		e.Code = CodeUnavailable
	case status >= 300 && status < 400:
		e.Code = CodeRedirect
	case e.Code == "":
		switch status {
		case http.StatusBadRequest:
			e.Code = CodeInvalidRequest
		case http.StatusForbidden:
			e.Code = CodeForbidden
		case http.StatusNotFound:
			e.Code = CodeNotFound
		default:
			e.Code = "http_" + strconv.Itoa(status)
		}
	}
	user := c.creds.Username
	var ours string
	switch e.Code {
	case CodeRateLimited:
		e.Retryable = true
		ours = fmt.Sprintf("Justworks rate-limited the requests of user %q (retry after %s)", user, e.RetryAfter)
	case CodeUnavailable:
		e.Retryable = true
		ours = fmt.Sprintf("Justworks is unavailable (HTTP %d)", status)
	case CodeInvalidRequest:
		ours = "Justworks rejected the request as malformed; this is a Rostersync bug"
	case CodeCursorExpired:
		e.Retryable = true
		ours = "the paging cursor expired"
	case CodeInvalidCredentials:
		ours = fmt.Sprintf("Justworks rejected the username or password of user %q; update the stored password (Rostersync does not try again, so the account does not get locked)", user)
	case CodeInvalidCode:
		ours = fmt.Sprintf("Justworks rejected the 2FA code of user %q; check the stored TOTP setup key and the worker's clock", user)
	case CodeTokenExpired:
		e.Retryable = true
		ours = "the Justworks session expired"
	case CodeForbidden:
		ours = fmt.Sprintf("Justworks user %q lacks the admin permission to %s; grant it in Justworks", user, rq.op)
	case CodeNotFound:
		ours = "Justworks does not know it"
	case CodeCodeAlreadyUsed:
		e.Retryable = true
		ours = fmt.Sprintf("the 2FA code of user %q was already used by another login", user)
	case CodeTicketExpired:
		e.Retryable = true
		ours = "the login's MFA ticket expired"
	case CodeAccountLocked:
		ours = fmt.Sprintf("Justworks locked user %q after repeated failed logins; a Justworks administrator must unlock it (check the stored password first)", user)
	case CodeRedirect:
		ours = fmt.Sprintf("Justworks answered HTTP %d, a redirect to %q; Rostersync follows no redirects (one would carry the credentials or the token elsewhere): check the org's Justworks URL",
			status, capVendorText(c.redact(h.Get("Location"), rq.secrets...)))
	default:
		ours = fmt.Sprintf("unexpected answer HTTP %d", status)
	}
	if theirs := capVendorText(strings.TrimSpace(c.redact(eb.Error.Message, rq.secrets...))); theirs != "" {
		ours += " (Justworks said: " + theirs + ")"
	}
	e.Message = ours
	return e
}

// redact removes every secret this client knows from s; server messages and
// transport errors pass through it before they reach an error or a log.
func (c *Client) redact(s string, extra ...string) string {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	for _, v := range append([]string{c.creds.Password, c.creds.TOTPSecret, c.secret, tok}, extra...) {
		if len(v) >= 4 { // shorter values would redact ordinary text
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

// maxVendorText caps what of a vendor's text (an error message, a redirect
// target) is quoted in an error: it ends up in Temporal history, the run
// record and an email.
const maxVendorText = 200

// capVendorText shortens s to maxVendorText runes, marking the cut.
func capVendorText(s string) string {
	if utf8.RuneCountInString(s) <= maxVendorText {
		return s
	}
	r := []rune(s)
	return string(r[:maxVendorText]) + "… (cut)"
}

// maxHonouredRetryAfter bounds a Retry-After: a value beyond it (a vendor bug,
// a date far ahead) would park a sync for days; the retry policy takes over.
const maxHonouredRetryAfter = 15 * time.Minute

// parseRetryAfter reads seconds or an HTTP-date, clamped to [0,
// maxHonouredRetryAfter]. A missing or unreadable value means
// defaultRetryAfter: the server did say 429.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultRetryAfter
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		switch {
		case math.IsNaN(s):
			return defaultRetryAfter
		case s <= 0:
			return 0
		case s >= maxHonouredRetryAfter.Seconds():
			return maxHonouredRetryAfter
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxHonouredRetryAfter)
	}
	return defaultRetryAfter
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
