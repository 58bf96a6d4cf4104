package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/time/rate"

	"github.com/rostersync/rostersync/internal/justworks"
)

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

type account struct {
	password      string
	secret        string
	failures      int // consecutive failed logins (bad password or bad code)
	maxFailures   int // the most consecutive failures ever reached
	passwordSteps int // login requests that carried this username and a password
	locked        bool
	usedSteps     map[int64]bool // TOTP time steps whose code was accepted
}

// LoginFaults break the login endpoint (POST /v1/auth/login) alone, while the
// rest of the API answers. The zero value breaks nothing.
type LoginFaults struct {
	// Unavailable: every login request answers 503, probes included.
	Unavailable bool
	// Hang holds every login request this long (or until the client gives
	// up) before it is handled, probes included.
	Hang time.Duration
	// JudgeThenUnavailable: a request with a username and password is judged
	// as usual (a wrong password counts towards the lock; a right one gets a
	// ticket nobody sees), then answered 503, as a backend whose front fails
	// after the auth service recorded the attempt. Probes answer as usual.
	JudgeThenUnavailable bool
	// SlowRejection: a wrong password counts at once, but its 401
	// invalid_credentials comes only after this delay (longer than the
	// client's timeout: the verdict is never heard).
	SlowRejection time.Duration
}

// Account is what the sandbox knows of one user's logins.
type Account struct {
	PasswordSteps int  // login requests that carried the username and a password
	Failures      int  // consecutive failed logins now
	MaxFailures   int  // the most consecutive failed logins ever reached (locked at 5)
	Locked        bool // locked out until Unlock
}

// Account reports username's login record (zero for an unknown user).
func (s *Server) Account(username string) Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[username]
	if !ok {
		return Account{}
	}
	return Account{PasswordSteps: a.passwordSteps, Failures: a.failures, MaxFailures: a.maxFailures, Locked: a.locked}
}

type ticket struct {
	username string
	issued   time.Time
}

type token struct {
	issued  time.Time
	uses    int // authenticated requests so far
	limiter *rate.Limiter
}

// normalizeSecret accepts a setup key as users copy it (lower case, spaces,
// padding) and checks that it is base32.
func normalizeSecret(secret string) (string, error) {
	s := strings.ToUpper(strings.Join(strings.Fields(secret), ""))
	s = strings.TrimRight(s, "=")
	if s == "" {
		return "", errors.New("sandbox: a TOTP secret is required (see GenerateTOTPSecret)")
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s); err != nil {
		return "", fmt.Errorf("sandbox: TOTP secret is not valid base32: %w", err)
	}
	return s, nil
}

// Unlock clears a lockout and the failed-login counter of username.
func (s *Server) Unlock(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[username]; ok {
		a.locked, a.failures = false, 0
	}
}

// Locked reports whether username is locked out.
func (s *Server) Locked(username string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[username]
	return ok && a.locked
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, now time.Time) {
	lf := s.Faults().Login
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	probe := req.Username == "" || req.Password == ""
	s.count(func(st *Stats) {
		if probe {
			st.LoginProbes++
		} else {
			st.LoginAttempts++
		}
	})
	if lf.Hang > 0 {
		if err := sleep(r.Context(), lf.Hang); err != nil {
			return
		}
		now = s.now()
	}
	if lf.Unavailable {
		// The password arrived (and is counted above), but nobody judged it.
		writeError(w, http.StatusServiceUnavailable, justworks.CodeUnavailable, "injected outage of the login endpoint")
		return
	}
	if probe {
		writeError(w, http.StatusBadRequest, justworks.CodeInvalidRequest, "username and password are required")
		return
	}
	status, code, msg, body := s.judgeLogin(req.Username, req.Password, now)
	switch {
	case lf.JudgeThenUnavailable:
		writeError(w, http.StatusServiceUnavailable, justworks.CodeUnavailable, "injected outage after the login was judged")
	case body != nil:
		writeJSON(w, http.StatusOK, body)
	case code == justworks.CodeInvalidCredentials && lf.SlowRejection > 0:
		if sleep(r.Context(), lf.SlowRejection) == nil {
			writeError(w, status, code, msg)
		}
	default:
		writeError(w, status, code, msg)
	}
}

// judgeLogin checks a password step and records it on the account, as
// Justworks does before it answers; it returns the error answer, or the body
// of a success.
func (s *Server) judgeLogin(username, password string, now time.Time) (status int, code, msg string, body any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[username]
	if ok {
		a.passwordSteps++
	}
	switch {
	case !ok:
		return http.StatusUnauthorized, justworks.CodeInvalidCredentials, "wrong username or password", nil
	case a.locked:
		return http.StatusLocked, justworks.CodeAccountLocked, "account locked after repeated failed logins; an admin must unlock it", nil
	case subtle.ConstantTimeCompare([]byte(password), []byte(a.password)) != 1:
		a.fail()
		return http.StatusUnauthorized, justworks.CodeInvalidCredentials, "wrong username or password", nil
	}
	id := randomToken("mfa_")
	s.sweep(now)
	s.tickets[id] = &ticket{username: username, issued: now}
	return 0, "", "", struct {
		MFARequired bool   `json:"mfa_required"`
		MFATicket   string `json:"mfa_ticket"`
	}{true, id}
}

func (a *account) fail() {
	a.failures++
	a.maxFailures = max(a.maxFailures, a.failures)
	if a.failures >= maxFailedLogins {
		a.locked = true
	}
}

func (s *Server) mfa(w http.ResponseWriter, r *http.Request, now time.Time) {
	s.count(func(st *Stats) { st.MFAAttempts++ })
	var req struct {
		Ticket string `json:"mfa_ticket"`
		Code   string `json:"code"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.Ticket == "" || req.Code == "" {
		writeError(w, http.StatusBadRequest, justworks.CodeInvalidRequest, "mfa_ticket and code are required")
		return
	}
	s.mu.Lock()
	t, ok := s.tickets[req.Ticket]
	if !ok || now.Sub(t.issued) > ticketLifetime {
		delete(s.tickets, req.Ticket)
		s.mu.Unlock()
		writeError(w, http.StatusGone, justworks.CodeTicketExpired, "MFA ticket expired or unknown; log in again")
		return
	}
	a := s.accounts[t.username]
	if a.locked {
		s.mu.Unlock()
		writeError(w, http.StatusLocked, justworks.CodeAccountLocked, "account locked after repeated failed logins; an admin must unlock it")
		return
	}
	step, ok := matchStep(a.secret, req.Code, now)
	switch {
	case !ok:
		a.fail()
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, justworks.CodeInvalidCode, "wrong TOTP code")
		return
	case a.usedSteps[step]:
		s.mu.Unlock()
		writeError(w, http.StatusConflict, justworks.CodeCodeAlreadyUsed, "this TOTP code was already accepted; wait for the next one")
		return
	}
	a.usedSteps[step] = true
	for old := range a.usedSteps {
		if old < step-2 {
			delete(a.usedSteps, old)
		}
	}
	a.failures = 0
	delete(s.tickets, req.Ticket)
	tok := randomToken("tok_")
	var lim *rate.Limiter
	if s.rateLimit > 0 {
		lim = rate.NewLimiter(rate.Limit(s.rateLimit), max(1, int(math.Ceil(s.rateLimit))))
	}
	s.tokens[tok] = &token{issued: now, limiter: lim}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}{tok, "Bearer", int(tokenLifetime / time.Second)})
}

// matchStep finds the time step (current ±1) whose code is code.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / 30
	for _, d := range []int64{0, -1, 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix((step+d)*30, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step + d, true
		}
	}
	return 0, false
}

// authorize checks the bearer token, its lifetime and request budget and the
// per-token rate limit; it answers the request itself when that fails.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	raw, _ := bearer(r)
	s.mu.Lock()
	t, ok := s.tokens[raw]
	if ok && now.Sub(t.issued) >= tokenLifetime {
		delete(s.tokens, raw)
		ok = false
	}
	if ok {
		t.uses++
		if n := s.faults.TokenExpiryAfter; n > 0 && t.uses > n {
			delete(s.tokens, raw)
			ok = false
		}
	}
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, justworks.CodeTokenExpired, "access token missing, unknown or expired; log in again")
		return false
	}
	limited := t.limiter != nil && !t.limiter.AllowN(now, 1)
	var wait time.Duration
	if limited {
		wait = time.Duration((1 - t.limiter.TokensAt(now)) / s.rateLimit * float64(time.Second))
	}
	s.mu.Unlock()
	if limited {
		s.tooMany(w, "token:"+raw, now, wait)
		return false
	}
	return true
}

// sweep drops expired tickets and tokens; s.mu is held.
func (s *Server) sweep(now time.Time) {
	for id, t := range s.tickets {
		if now.Sub(t.issued) > ticketLifetime {
			delete(s.tickets, id)
		}
	}
	for id, t := range s.tokens {
		if now.Sub(t.issued) >= tokenLifetime {
			delete(s.tokens, id)
		}
	}
	for k, until := range s.retryUntil {
		if !now.Before(until) {
			delete(s.retryUntil, k)
		}
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func randomToken(prefix string) string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sandbox: crypto/rand failed: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// readJSON decodes a small JSON object body, answering 400 invalid_request when it is not one.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, justworks.CodeInvalidRequest, "body must be a JSON object: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, justworks.CodeUnavailable, "encode response: "+err.Error())
		return
	}
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var e errorBody
	e.Error.Code, e.Error.Message = code, message
	writeJSON(w, status, e)
}
