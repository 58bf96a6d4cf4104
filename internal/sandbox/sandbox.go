package sandbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rostersync/rostersync/internal/justworks"
)

// DefaultUsername is the sandbox user's login when Config.Username is empty.
const DefaultUsername = "people-ops@sandbox.example"

// DefaultRateLimit is the contract's per-token limit in requests per second.
const DefaultRateLimit = 10

// DefaultCursorExpiry is the contract's cursor lifetime.
const DefaultCursorExpiry = 15 * time.Minute

// Contract constants the sandbox enforces.
const (
	tokenLifetime   = 900 * time.Second
	ticketLifetime  = 120 * time.Second
	maxFailedLogins = 5
	defaultLimit    = 50
	maxLimit        = 100
)

// Config configures a sandbox. Username, Password and TOTPSecret are the
// credentials of its one user; Password and TOTPSecret are required (see
// GenerateTOTPSecret), Username defaults to DefaultUsername.
type Config struct {
	People      int   // company size, 1..MaxPeople; 0 means 300
	Seed        int64 // the same seed (and day) gives the same company
	CompanyName string
	Username    string
	Password    string
	TOTPSecret  string  // base32 setup key (spaces and lower case accepted)
	RateLimit   float64 // per-token requests per second; 0 = DefaultRateLimit, <0 = off
	// RateWindow is how the limit counts: RateBucket (default) or the
	// stricter RateRolling.
	RateWindow string
	Faults     Faults
	Now        func() time.Time // default time.Now; tests move time with it
}

// Faults are the injected failures. The zero value injects nothing. Counters
// ("every Nth") count from server start or the last SetFaults.
type Faults struct {
	Latency          time.Duration // added to every request
	UnavailableEvery int           // every Nth request (all endpoints) answers 503 unavailable
	// UnavailableFrom and UnavailableFor open a window, relative to server start
	// or the last SetFaults, in which every request answers a 5xx (cycling
	// 503, 502, 500, 504) with code unavailable.
	UnavailableFrom, UnavailableFor time.Duration
	RateLimitEvery                  int           // every Nth request answers 429 rate_limited
	RetryAfter                      time.Duration // Retry-After of those 429s (rounded up to seconds, min 1); default 1 s
	TokenExpiryAfter                int           // a token expires (401 token_expired) after N authenticated requests
	CursorExpiry                    time.Duration // cursors older than this answer 400 cursor_expired; default 15 min
	CursorExpireEvery               int           // every Nth members request with a cursor answers cursor_expired
	// MutateEvery changes the roster before every Nth members page: it hires
	// someone between existing ids, terminates someone, or moves someone to
	// their manager's manager, in turn. A hire before a client's position makes
	// the client see one member twice (cursors never skip a member).
	MutateEvery    int
	TruncateTo     int  // when >0, only the first N members (by id) are served
	ShortPageEvery int  // every Nth members page is short: alternately empty and half the limit
	Forbidden      bool // the user lacks the admin permission: members endpoints answer 403 forbidden
	Login          LoginFaults
}

// Stats counts what clients did since start or ResetStats.
type Stats struct {
	Requests       int // every request
	LoginAttempts  int // POST /v1/auth/login with a username and password (a probe without them is not one)
	LoginProbes    int // POST /v1/auth/login without a username or password
	MFAAttempts    int // POST /v1/auth/mfa
	MemberRequests int // GET /v1/members and /v1/members/{id}
	RateLimited    int // 429 answers, injected or earned
	// EarlyRequests are requests from a token (or, without a token, a client
	// address) sent before the Retry-After it was last given ran out.
	EarlyRequests int
}

// Server serves the Justworks contract; it is an http.Handler, safe for
// concurrent use.
type Server struct {
	now func() time.Time
	// rateLimit stays 0 so that auth.go's own per-token limiter is off: the
	// limit is counted by limits (limiter.go), bucket or rolling window.
	rateLimit float64
	limits    *limits
	company   justworks.Company
	cursorKey []byte

	rosterMu sync.RWMutex
	roster   Roster

	mu          sync.Mutex // everything below
	faults      Faults
	faultsSince time.Time
	requests    int // since faultsSince, for the "every Nth" faults
	pageReqs    int
	cursorReqs  int
	mutations   int
	mutateRand  *rand.Rand
	stats       Stats
	accounts    map[string]*account
	tickets     map[string]*ticket
	tokens      map[string]*token
	retryUntil  map[string]time.Time // early-request bookkeeping per token or client address
	drift       Drift                // drift.go
}

// New validates cfg and generates the company.
func New(cfg Config) (*Server, error) {
	if cfg.People == 0 {
		cfg.People = 300
	}
	if cfg.People < 1 || cfg.People > MaxPeople {
		return nil, fmt.Errorf("sandbox: people must be 1..%d, got %d", MaxPeople, cfg.People)
	}
	if cfg.Username == "" {
		cfg.Username = DefaultUsername
	}
	if cfg.Password == "" {
		return nil, errors.New("sandbox: a password is required")
	}
	secret, err := normalizeSecret(cfg.TOTPSecret)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.RateLimit == 0:
		cfg.RateLimit = DefaultRateLimit
	case cfg.RateLimit < 0:
		cfg.RateLimit = 0 // off
	}
	if err := validateFaults(cfg.Faults); err != nil {
		return nil, err
	}
	lim, err := newLimits(cfg.RateLimit, cfg.RateWindow)
	if err != nil {
		return nil, err
	}

	now := cfg.Now()
	g := generate(cfg.People, cfg.Seed, cfg.CompanyName, now)
	s := &Server{
		now:        cfg.Now,
		limits:     lim,
		company:    g.company,
		cursorKey:  []byte(fmt.Sprintf("rostersync-sandbox-cursor-%d", cfg.Seed)),
		roster:     Roster{members: g.members, nextNum: g.nextNum, headID: g.headID, now: cfg.Now},
		mutateRand: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6d75_7461_7465)),
		accounts: map[string]*account{cfg.Username: {
			password: cfg.Password, secret: secret, usedSteps: map[int64]bool{},
		}},
		tickets:    map[string]*ticket{},
		tokens:     map[string]*token{},
		retryUntil: map[string]time.Time{},
	}
	s.faults, s.faultsSince = cfg.Faults, now
	return s, nil
}

// GenerateTOTPSecret makes a random base32 setup key, as Justworks shows when a
// user enables 2FA.
func GenerateTOTPSecret() (string, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Justworks sandbox", AccountName: DefaultUsername})
	if err != nil {
		return "", fmt.Errorf("sandbox: generate TOTP secret: %w", err)
	}
	return key.Secret(), nil
}

func validateFaults(f Faults) error {
	for name, v := range map[string]int{
		"UnavailableEvery": f.UnavailableEvery, "RateLimitEvery": f.RateLimitEvery, "TokenExpiryAfter": f.TokenExpiryAfter,
		"CursorExpireEvery": f.CursorExpireEvery, "MutateEvery": f.MutateEvery, "TruncateTo": f.TruncateTo, "ShortPageEvery": f.ShortPageEvery,
	} {
		if v < 0 {
			return fmt.Errorf("sandbox: fault %s must not be negative, got %d", name, v)
		}
	}
	for name, v := range map[string]time.Duration{
		"Latency": f.Latency, "UnavailableFrom": f.UnavailableFrom, "UnavailableFor": f.UnavailableFor,
		"RetryAfter": f.RetryAfter, "CursorExpiry": f.CursorExpiry,
		"Login.Hang": f.Login.Hang, "Login.SlowRejection": f.Login.SlowRejection,
	} {
		if v < 0 {
			return fmt.Errorf("sandbox: fault %s must not be negative, got %s", name, v)
		}
	}
	return nil
}

// SetFaults replaces the injected faults and restarts their counters and the
// unavailability window's clock. Invalid (negative) values are clamped to zero.
func (s *Server) SetFaults(f Faults) {
	if validateFaults(f) != nil {
		f = clampFaults(f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.faultsSince = f, s.now()
	s.requests, s.pageReqs, s.cursorReqs = 0, 0, 0
}

func clampFaults(f Faults) Faults {
	for _, p := range []*int{&f.UnavailableEvery, &f.RateLimitEvery, &f.TokenExpiryAfter, &f.CursorExpireEvery, &f.MutateEvery, &f.TruncateTo, &f.ShortPageEvery} {
		*p = max(*p, 0)
	}
	for _, p := range []*time.Duration{&f.Latency, &f.UnavailableFrom, &f.UnavailableFor, &f.RetryAfter, &f.CursorExpiry, &f.Login.Hang, &f.Login.SlowRejection} {
		*p = max(*p, 0)
	}
	return f
}

// Faults are the faults in force.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Stats are the counters since start or ResetStats.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{}
}

// Company is what GET /v1/company answers.
func (s *Server) Company() justworks.Company { return s.company }

// Members is a deep copy of the full (untruncated) roster, sorted by id.
func (s *Server) Members() []justworks.Member {
	s.rosterMu.RLock()
	defer s.rosterMu.RUnlock()
	return s.roster.Members()
}

// Head is the generated head (zero if a Mutate removed it). Its display name is
// unique in the generated roster.
func (s *Server) Head() justworks.Member {
	s.rosterMu.RLock()
	defer s.rosterMu.RUnlock()
	m, _ := s.roster.Get(s.roster.headID)
	return m
}

// Mutate runs fn with the roster locked against every request.
func (s *Server) Mutate(fn func(r *Roster)) {
	s.rosterMu.Lock()
	defer s.rosterMu.Unlock()
	fn(&s.roster)
}

// ServeHTTP serves the contract. Faults apply in this order: latency, 5xx,
// injected 429, then authentication, the per-token rate limit and the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, n, now := s.admit(r)
	if f.Latency > 0 {
		if err := sleep(r.Context(), f.Latency); err != nil {
			return
		}
		now = s.now()
	}
	if f.UnavailableEvery > 0 && n%f.UnavailableEvery == 0 {
		writeError(w, http.StatusServiceUnavailable, justworks.CodeUnavailable, "injected outage (every "+strconv.Itoa(f.UnavailableEvery)+" requests)")
		return
	}
	if s.inOutage(now) {
		writeError(w, outageStatuses[n%len(outageStatuses)], justworks.CodeUnavailable, "injected outage window")
		return
	}
	if f.RateLimitEvery > 0 && n%f.RateLimitEvery == 0 {
		s.tooMany(w, clientKey(r), now, max(f.RetryAfter, time.Second))
		return
	}

	path := r.URL.Path
	switch {
	case path == "/v1/auth/login":
		if s.method(w, r, http.MethodPost) {
			s.login(w, r, now)
		}
	case path == "/v1/auth/mfa":
		if s.method(w, r, http.MethodPost) {
			s.mfa(w, r, now)
		}
	case path == "/v1/company":
		if s.method(w, r, http.MethodGet) && s.authorized(w, r, now) {
			writeJSON(w, http.StatusOK, s.company)
		}
	case path == "/v1/members" || strings.HasPrefix(path, "/v1/members/"):
		s.count(func(st *Stats) { st.MemberRequests++ })
		if !s.method(w, r, http.MethodGet) || !s.authorized(w, r, now) {
			return
		}
		if f.Forbidden {
			writeError(w, http.StatusForbidden, justworks.CodeForbidden, "the user lacks the admin permission to list members")
			return
		}
		if path == "/v1/members" {
			s.listMembers(w, r, now)
		} else {
			s.getMember(w, strings.TrimPrefix(path, "/v1/members/"))
		}
	default:
		writeError(w, http.StatusNotFound, justworks.CodeNotFound, "no such endpoint: "+path)
	}
}

var outageStatuses = []int{http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusInternalServerError, http.StatusGatewayTimeout}

// admit counts the request (early ones too) and returns the faults in force,
// the request's number since the faults were set, and the time.
func (s *Server) admit(r *http.Request) (Faults, int, time.Time) {
	now := s.now()
	key := clientKey(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.requests++
	if until, ok := s.retryUntil[key]; ok {
		if now.Before(until) {
			s.stats.EarlyRequests++
		} else {
			delete(s.retryUntil, key)
		}
	}
	return s.faults, s.requests, now
}

func (s *Server) inOutage(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.UnavailableFor <= 0 {
		return false
	}
	since := now.Sub(s.faultsSince)
	return since >= s.faults.UnavailableFrom && since < s.faults.UnavailableFrom+s.faults.UnavailableFor
}

func (s *Server) count(fn func(*Stats)) {
	s.mu.Lock()
	fn(&s.stats)
	s.mu.Unlock()
}

// tooMany answers 429 and remembers until when key must wait.
func (s *Server) tooMany(w http.ResponseWriter, key string, now time.Time, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	s.mu.Lock()
	s.stats.RateLimited++
	s.retryUntil[key] = now.Add(time.Duration(secs) * time.Second)
	s.mu.Unlock()
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, justworks.CodeRateLimited, "rate limit exceeded; retry after "+strconv.Itoa(secs)+" s")
}

// method answers 400 invalid_request for a method the endpoint does not serve:
// the contract's error table has no 405.
func (s *Server) method(w http.ResponseWriter, r *http.Request, want string) bool {
	if r.Method == want {
		return true
	}
	w.Header().Set("Allow", want)
	writeError(w, http.StatusBadRequest, justworks.CodeInvalidRequest, r.Method+" is not served on "+r.URL.Path+"; use "+want)
	return false
}

// clientKey identifies the sender for Retry-After bookkeeping: the bearer token,
// else the client address.
func clientKey(r *http.Request) string {
	if tok, ok := bearer(r); ok {
		return "token:" + tok
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
