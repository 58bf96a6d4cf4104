package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/justworks"
)

const (
	testPassword = "correct horse battery staple"
	testSecret   = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
)

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t     *testing.T
	srv   *Server
	http  *httptest.Server
	clock *clock
}

// newHarness serves a sandbox over real HTTP; cfg's credentials, Now and size
// default to test values.
func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	c := &clock{t: testDay}
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	if cfg.Password == "" {
		cfg.Password = testPassword
	}
	if cfg.TOTPSecret == "" {
		cfg.TOTPSecret = testSecret
	}
	if cfg.People == 0 {
		cfg.People = 120
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &harness{t: t, srv: srv, http: hs, clock: c}
}

type answer struct {
	status int
	header http.Header
	body   []byte
	code   string // error code, "" on success
}

func (h *harness) do(method, path, token string, body any) answer {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(h.t, err)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, h.http.URL+path, rd)
	require.NoError(h.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.http.Client().Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.body, err = io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	require.Equal(h.t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	if resp.StatusCode >= 300 {
		var e errorBody
		require.NoError(h.t, json.Unmarshal(a.body, &e), "error body: %s", a.body)
		require.NotEmpty(h.t, e.Error.Message)
		a.code = e.Error.Code
	}
	return a
}

func (h *harness) code(at time.Time) string {
	h.t.Helper()
	c, err := totp.GenerateCodeCustom(testSecret, at, totpOpts)
	require.NoError(h.t, err)
	return c
}

func (h *harness) ticket(password string) answer {
	return h.do(http.MethodPost, "/v1/auth/login", "", map[string]string{"username": DefaultUsername, "password": password})
}

func (h *harness) mfa(ticket, code string) answer {
	return h.do(http.MethodPost, "/v1/auth/mfa", "", map[string]string{"mfa_ticket": ticket, "code": code})
}

func ticketOf(t *testing.T, a answer) string {
	t.Helper()
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var v struct {
		MFARequired bool   `json:"mfa_required"`
		MFATicket   string `json:"mfa_ticket"`
	}
	require.NoError(t, json.Unmarshal(a.body, &v))
	require.True(t, v.MFARequired)
	require.NotEmpty(t, v.MFATicket)
	return v.MFATicket
}

// login logs in with a fresh TOTP step (it moves the clock 30 s so no code repeats).
func (h *harness) login() string {
	h.t.Helper()
	h.clock.Advance(30 * time.Second)
	tk := ticketOf(h.t, h.ticket(testPassword))
	a := h.mfa(tk, h.code(h.clock.Now()))
	require.Equal(h.t, http.StatusOK, a.status, "%s", a.body)
	var v struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.NoError(h.t, json.Unmarshal(a.body, &v))
	require.Equal(h.t, "Bearer", v.TokenType)
	require.Equal(h.t, 900, v.ExpiresIn)
	return v.AccessToken
}

type page struct {
	Members    []justworks.Member `json:"members"`
	NextCursor *string            `json:"next_cursor"`
}

func (h *harness) page(token string, limit int, cursor string) (page, answer) {
	h.t.Helper()
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	a := h.do(http.MethodGet, "/v1/members?"+q.Encode(), token, nil)
	var p page
	if a.status == http.StatusOK {
		require.NoError(h.t, json.Unmarshal(a.body, &p))
	}
	return p, a
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{Password: "p", TOTPSecret: testSecret}, true},
		{"secret as users copy it", Config{Password: "p", TOTPSecret: "jbsw y3dp ehpk 3pxp"}, true},
		{"no password", Config{TOTPSecret: testSecret}, false},
		{"no secret", Config{Password: "p"}, false},
		{"secret not base32", Config{Password: "p", TOTPSecret: "not-base32!"}, false},
		{"too many people", Config{People: MaxPeople + 1, Password: "p", TOTPSecret: testSecret}, false},
		{"negative people", Config{People: -1, Password: "p", TOTPSecret: testSecret}, false},
		{"negative fault", Config{Password: "p", TOTPSecret: testSecret, Faults: Faults{MutateEvery: -1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			require.Equal(t, tt.ok, err == nil, "err = %v", err)
		})
	}
	secret, err := GenerateTOTPSecret()
	require.NoError(t, err)
	_, err = New(Config{Password: "p", TOTPSecret: secret, People: 1})
	require.NoError(t, err)
}

func TestLoginErrors(t *testing.T) {
	tests := []struct {
		name   string
		run    func(h *harness) answer
		status int
		code   string
	}{
		{"wrong password", func(h *harness) answer { return h.ticket("wrong") }, 401, justworks.CodeInvalidCredentials},
		{"unknown user", func(h *harness) answer {
			return h.do("POST", "/v1/auth/login", "", map[string]string{"username": "nobody@x", "password": testPassword})
		}, 401, justworks.CodeInvalidCredentials},
		{"malformed body", func(h *harness) answer { return h.do("POST", "/v1/auth/login", "", "just a string") }, 400, justworks.CodeInvalidRequest},
		{"missing password", func(h *harness) answer {
			return h.do("POST", "/v1/auth/login", "", map[string]string{"username": DefaultUsername})
		}, 400, justworks.CodeInvalidRequest},
		{"wrong code", func(h *harness) answer {
			c := h.code(h.clock.Now())
			wrong := "000000"
			if c == wrong {
				wrong = "111111"
			}
			return h.mfa(ticketOf(h.t, h.ticket(testPassword)), wrong)
		}, 401, justworks.CodeInvalidCode},
		{"code two steps old", func(h *harness) answer {
			return h.mfa(ticketOf(h.t, h.ticket(testPassword)), h.code(h.clock.Now().Add(-60*time.Second)))
		}, 401, justworks.CodeInvalidCode},
		{"code reused", func(h *harness) answer {
			code := h.code(h.clock.Now())
			require.Equal(h.t, 200, h.mfa(ticketOf(h.t, h.ticket(testPassword)), code).status)
			return h.mfa(ticketOf(h.t, h.ticket(testPassword)), code)
		}, 409, justworks.CodeCodeAlreadyUsed},
		{"previous step's code after the current one was used", func(h *harness) answer {
			require.Equal(h.t, 200, h.mfa(ticketOf(h.t, h.ticket(testPassword)), h.code(h.clock.Now().Add(30*time.Second))).status)
			return h.mfa(ticketOf(h.t, h.ticket(testPassword)), h.code(h.clock.Now().Add(30*time.Second)))
		}, 409, justworks.CodeCodeAlreadyUsed},
		{"ticket expired", func(h *harness) answer {
			tk := ticketOf(h.t, h.ticket(testPassword))
			h.clock.Advance(121 * time.Second)
			return h.mfa(tk, h.code(h.clock.Now()))
		}, 410, justworks.CodeTicketExpired},
		{"unknown ticket", func(h *harness) answer { return h.mfa("mfa_nope", h.code(h.clock.Now())) }, 410, justworks.CodeTicketExpired},
		{"ticket used twice", func(h *harness) answer {
			tk := ticketOf(h.t, h.ticket(testPassword))
			require.Equal(h.t, 200, h.mfa(tk, h.code(h.clock.Now())).status)
			h.clock.Advance(30 * time.Second)
			return h.mfa(tk, h.code(h.clock.Now()))
		}, 410, justworks.CodeTicketExpired},
		{"no token", func(h *harness) answer { return h.do("GET", "/v1/company", "", nil) }, 401, justworks.CodeTokenExpired},
		{"unknown token", func(h *harness) answer { return h.do("GET", "/v1/members", "tok_nope", nil) }, 401, justworks.CodeTokenExpired},
		{"token older than 900 s", func(h *harness) answer {
			tok := h.login()
			h.clock.Advance(900 * time.Second)
			return h.do("GET", "/v1/company", tok, nil)
		}, 401, justworks.CodeTokenExpired},
		{"unknown path", func(h *harness) answer { return h.do("GET", "/v1/nope", h.login(), nil) }, 404, justworks.CodeNotFound},
		{"wrong method", func(h *harness) answer { return h.do("GET", "/v1/auth/login", "", nil) }, 400, justworks.CodeInvalidRequest},
		{"unknown member", func(h *harness) answer { return h.do("GET", "/v1/members/mem_zzzzzz", h.login(), nil) }, 404, justworks.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			a := tt.run(h)
			require.Equal(t, tt.status, a.status, "%s", a.body)
			require.Equal(t, tt.code, a.code)
		})
	}
}

func TestLoginAcceptsAdjacentStepsAndServesCompany(t *testing.T) {
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		h := newHarness(t, Config{CompanyName: "Acme Inc."})
		a := h.mfa(ticketOf(t, h.ticket(testPassword)), h.code(h.clock.Now().Add(d)))
		require.Equal(t, 200, a.status, "step %s: %s", d, a.body)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal(a.body, &tok))
		c := h.do("GET", "/v1/company", tok.AccessToken, nil)
		require.Equal(t, 200, c.status)
		var company justworks.Company
		require.NoError(t, json.Unmarshal(c.body, &company))
		require.Equal(t, justworks.Company{ID: h.srv.Company().ID, Name: "Acme Inc.", LegalName: "Acme Incorporated"}, company)
		require.True(t, strings.HasPrefix(company.ID, "cmp_"))
	}
}

func TestLockout(t *testing.T) {
	tests := []struct {
		name string
		fail func(h *harness)
	}{
		{"bad passwords", func(h *harness) { require.Equal(h.t, 401, h.ticket("nope").status) }},
		{"bad codes", func(h *harness) {
			require.Equal(h.t, justworks.CodeInvalidCode, h.mfa(ticketOf(h.t, h.ticket(testPassword)), "12345x").code)
		}},
		{"mixed", func(h *harness) {
			if h.srv.Stats().LoginAttempts%2 == 0 {
				require.Equal(h.t, 401, h.ticket("nope").status)
			} else {
				require.Equal(h.t, justworks.CodeInvalidCode, h.mfa(ticketOf(h.t, h.ticket(testPassword)), "12345x").code)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			for range 5 {
				tt.fail(h)
			}
			require.True(t, h.srv.Locked(DefaultUsername))
			a := h.ticket(testPassword)
			require.Equal(t, 423, a.status)
			require.Equal(t, justworks.CodeAccountLocked, a.code)
			require.Equal(t, 423, h.ticket(testPassword).status, "stays locked")
			h.srv.Unlock(DefaultUsername)
			h.login()
		})
	}
}

func TestSuccessfulLoginResetsFailures(t *testing.T) {
	h := newHarness(t, Config{})
	for range 4 {
		require.Equal(t, 401, h.ticket("nope").status)
	}
	h.login()
	for range 4 {
		require.Equal(t, 401, h.ticket("nope").status)
	}
	h.login()
	require.False(t, h.srv.Locked(DefaultUsername))
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, Config{})
	tok := h.login()
	for i := range 10 {
		require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status, "request %d", i+1)
	}
	a := h.do("GET", "/v1/company", tok, nil)
	require.Equal(t, 429, a.status)
	require.Equal(t, justworks.CodeRateLimited, a.code)
	require.Equal(t, "1", a.header.Get("Retry-After"))
	require.Equal(t, 0, h.srv.Stats().EarlyRequests)

	require.Equal(t, 429, h.do("GET", "/v1/company", tok, nil).status, "still limited, and early")
	require.Equal(t, 1, h.srv.Stats().EarlyRequests)

	other := h.login() // limits are per token
	require.Equal(t, 200, h.do("GET", "/v1/company", other, nil).status)

	h.clock.Advance(time.Second)
	require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status, "after Retry-After")
	st := h.srv.Stats()
	require.Equal(t, 2, st.RateLimited)
	require.Equal(t, 1, st.EarlyRequests)
}

func TestRateLimitOff(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1})
	tok := h.login()
	for range 50 {
		require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status)
	}
}

func TestLimitParameter(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1, People: 150})
	tok := h.login()
	tests := []struct {
		query  string
		status int
		n      int
	}{
		{"", 200, 50},
		{"limit=1", 200, 1},
		{"limit=100", 200, 100},
		{"limit=0", 400, 0},
		{"limit=101", 400, 0},
		{"limit=-1", 400, 0},
		{"limit=abc", 400, 0},
		{"limit=", 400, 0},
		{"limit=5&limit=6", 400, 0},
		{"cursor=garbage", 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := h.do("GET", "/v1/members?"+tt.query, tok, nil)
			require.Equal(t, tt.status, a.status, "%s", a.body)
			if tt.status == 400 {
				require.Equal(t, justworks.CodeInvalidRequest, a.code)
				return
			}
			var p page
			require.NoError(t, json.Unmarshal(a.body, &p))
			require.Len(t, p.Members, tt.n)
			require.NotNil(t, p.NextCursor)
		})
	}
}

// pageThrough fetches every page from the start and returns the ids in order.
func (h *harness) pageThrough(tok string, limit int) []string {
	h.t.Helper()
	var ids []string
	cursor := ""
	for range 100000 {
		p, a := h.page(tok, limit, cursor)
		require.Equal(h.t, 200, a.status, "%s", a.body)
		for _, m := range p.Members {
			ids = append(ids, m.ID)
		}
		if p.NextCursor == nil {
			return ids
		}
		cursor = *p.NextCursor
	}
	h.t.Fatal("paging did not end")
	return nil
}

func TestPagingReturnsEveryMemberOnce(t *testing.T) {
	for _, tt := range []struct{ people, limit int }{{1, 50}, {50, 50}, {1234, 100}, {1234, 0}, {77, 7}} {
		h := newHarness(t, Config{RateLimit: -1, People: tt.people})
		tok := h.login()
		var want []string
		for _, m := range h.srv.Members() {
			want = append(want, m.ID)
		}
		require.Equal(t, want, h.pageThrough(tok, tt.limit), "people %d limit %d", tt.people, tt.limit)
	}
}

func TestPagesEqualMembers(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1, People: 300})
	tok := h.login()
	var got []justworks.Member
	cursor := ""
	for {
		p, _ := h.page(tok, 100, cursor)
		got = append(got, p.Members...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	require.Equal(t, h.srv.Members(), got)
	head := h.srv.Head()
	a := h.do("GET", "/v1/members/"+head.ID, tok, nil)
	require.Equal(t, 200, a.status)
	var m justworks.Member
	require.NoError(t, json.Unmarshal(a.body, &m))
	require.Equal(t, head, m)
	require.Contains(t, string(a.body), `"manager_id":null`, "nullable fields serialize as null")
}

func TestCursorExpiry(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1})
	tok := h.login()
	p, _ := h.page(tok, 10, "")
	h.clock.Advance(14*time.Minute + 30*time.Second)
	tok = h.login() // tokens last 15 minutes too; login moves the clock 30 s
	_, a := h.page(tok, 10, *p.NextCursor)
	require.Equal(t, 200, a.status, "15 minutes is still fine")
	h.clock.Advance(time.Second)
	_, a = h.page(tok, 10, *p.NextCursor)
	require.Equal(t, 400, a.status)
	require.Equal(t, justworks.CodeCursorExpired, a.code)

	h.srv.SetFaults(Faults{CursorExpiry: time.Minute})
	p, _ = h.page(tok, 10, "")
	h.clock.Advance(61 * time.Second)
	_, a = h.page(tok, 10, *p.NextCursor)
	require.Equal(t, justworks.CodeCursorExpired, a.code)
}

func TestCursorExpireEvery(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1, Faults: Faults{CursorExpireEvery: 3}})
	tok := h.login()
	p, a := h.page(tok, 10, "")
	require.Equal(t, 200, a.status, "requests without a cursor are not counted")
	codes := []string{}
	for range 6 {
		_, a := h.page(tok, 10, *p.NextCursor)
		codes = append(codes, a.code)
	}
	require.Equal(t, []string{"", "", "cursor_expired", "", "", "cursor_expired"}, codes)
}

func TestTokenExpiryAfter(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1, Faults: Faults{TokenExpiryAfter: 3}})
	tok := h.login()
	for range 3 {
		require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status)
	}
	a := h.do("GET", "/v1/members", tok, nil)
	require.Equal(t, 401, a.status)
	require.Equal(t, justworks.CodeTokenExpired, a.code)
	require.Equal(t, 401, h.do("GET", "/v1/company", tok, nil).status, "stays expired")
	require.Equal(t, 200, h.do("GET", "/v1/company", h.login(), nil).status, "a new login gets a new budget")
}

func TestInjectedFaults(t *testing.T) {
	t.Run("unavailable every 3rd request", func(t *testing.T) {
		h := newHarness(t, Config{RateLimit: -1})
		tok := h.login()
		h.srv.SetFaults(Faults{UnavailableEvery: 3})
		var statuses []int
		for range 6 {
			statuses = append(statuses, h.do("GET", "/v1/company", tok, nil).status)
		}
		require.Equal(t, []int{200, 200, 503, 200, 200, 503}, statuses)
	})
	t.Run("outage window", func(t *testing.T) {
		h := newHarness(t, Config{RateLimit: -1})
		tok := h.login()
		h.srv.SetFaults(Faults{UnavailableFrom: 10 * time.Second, UnavailableFor: 20 * time.Second})
		require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status)
		h.clock.Advance(10 * time.Second)
		for range 4 {
			a := h.do("GET", "/v1/company", tok, nil)
			require.GreaterOrEqual(t, a.status, 500)
			require.Equal(t, justworks.CodeUnavailable, a.code)
		}
		h.clock.Advance(20 * time.Second)
		require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status)
	})
	t.Run("429 every 2nd request with Retry-After rounded up", func(t *testing.T) {
		h := newHarness(t, Config{RateLimit: -1, Faults: Faults{RateLimitEvery: 2, RetryAfter: 2500 * time.Millisecond}})
		require.Equal(t, 200, h.ticket(testPassword).status)
		a := h.ticket(testPassword)
		require.Equal(t, 429, a.status)
		require.Equal(t, "3", a.header.Get("Retry-After"))
		h.clock.Advance(2 * time.Second)
		h.ticket(testPassword)
		require.Equal(t, 1, h.srv.Stats().EarlyRequests)
		h.clock.Advance(time.Second)
		h.ticket(testPassword)
		require.Equal(t, 1, h.srv.Stats().EarlyRequests)
	})
	t.Run("latency", func(t *testing.T) {
		h := newHarness(t, Config{Faults: Faults{Latency: 30 * time.Millisecond}})
		start := time.Now()
		h.ticket(testPassword)
		require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
	})
	t.Run("truncate", func(t *testing.T) {
		h := newHarness(t, Config{RateLimit: -1, People: 100, Faults: Faults{TruncateTo: 42}})
		tok := h.login()
		ids := h.pageThrough(tok, 10)
		require.Len(t, ids, 42)
		all := h.srv.Members()
		require.Len(t, all, 100, "Members is the full roster")
		require.Equal(t, 404, h.do("GET", "/v1/members/"+all[99].ID, tok, nil).status)
		require.Equal(t, 200, h.do("GET", "/v1/members/"+all[41].ID, tok, nil).status)
	})
	t.Run("short pages", func(t *testing.T) {
		h := newHarness(t, Config{RateLimit: -1, People: 100, Faults: Faults{ShortPageEvery: 2}})
		tok := h.login()
		var sizes []int
		cursor := ""
		var ids []string
		for {
			p, a := h.page(tok, 10, cursor)
			require.Equal(t, 200, a.status)
			sizes = append(sizes, len(p.Members))
			for _, m := range p.Members {
				ids = append(ids, m.ID)
			}
			if p.NextCursor == nil {
				break
			}
			cursor = *p.NextCursor
		}
		require.Equal(t, []int{10, 0, 10, 5, 10, 0, 10, 5}, sizes[:8])
		require.Len(t, ids, 100, "short pages lose nobody")
	})
	t.Run("forbidden", func(t *testing.T) {
		h := newHarness(t, Config{Faults: Faults{Forbidden: true}})
		tok := h.login()
		a := h.do("GET", "/v1/members", tok, nil)
		require.Equal(t, 403, a.status)
		require.Equal(t, justworks.CodeForbidden, a.code)
		require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status)
	})
}

func TestMutateEveryDuplicatesButNeverSkips(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1, People: 500, Faults: Faults{MutateEvery: 2}})
	before := h.srv.Members()
	tok := h.login()
	ids := h.pageThrough(tok, 20)
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	for _, m := range before {
		require.Positive(t, seen[m.ID], "member %s was skipped", m.ID)
	}
	after := h.srv.Members()
	require.Greater(t, len(after), len(before), "hires happened")
	changed := 0
	for _, m := range after {
		if old, ok := findMember(before, m.ID); !ok || old.UpdatedAt != m.UpdatedAt {
			changed++
		}
	}
	require.GreaterOrEqual(t, changed, 5)
	require.Greater(t, len(ids), len(before), "some members came twice or hires were seen")
}

func findMember(ms []justworks.Member, id string) (justworks.Member, bool) {
	for _, m := range ms {
		if m.ID == id {
			return m, true
		}
	}
	return justworks.Member{}, false
}

func TestMutate(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1, People: 50})
	tok := h.login()
	head := h.srv.Head()
	members := h.srv.Members()
	victim, mover := members[1].ID, members[2].ID
	if victim == head.ID {
		victim = members[3].ID
	}
	if mover == head.ID {
		mover = members[3].ID
	}
	today := testDay.Format(time.DateOnly)
	var hired, scheduled string
	h.srv.Mutate(func(r *Roster) {
		hired = r.Hire(justworks.Member{GivenName: "Grace", FamilyName: "Hopper", ManagerID: &head.ID})
		require.True(t, r.Terminate(victim, ""))
		require.True(t, r.SetManager(mover, victim))
		require.True(t, r.SetTitle(mover, "Rear Admiral"))
		scheduled = members[4].ID
		require.True(t, r.Terminate(scheduled, "2099-01-01"))
		require.False(t, r.Terminate("mem_nobody", ""))
	})
	get := func(id string) justworks.Member {
		a := h.do("GET", "/v1/members/"+id, tok, nil)
		require.Equal(t, 200, a.status, "%s", a.body)
		var m justworks.Member
		require.NoError(t, json.Unmarshal(a.body, &m))
		return m
	}
	g := get(hired)
	require.Equal(t, "Grace", g.GivenName)
	require.Equal(t, justworks.StatusActive, g.Status)
	require.Equal(t, today, g.StartDate)
	require.Equal(t, testDay.Add(30*time.Second), g.UpdatedAt)
	require.Greater(t, hired, members[len(members)-1].ID, "new ids sort last")

	v := get(victim)
	require.Equal(t, justworks.StatusTerminated, v.Status)
	require.Equal(t, today, *v.TerminationDate)
	m := get(mover)
	require.Equal(t, victim, *m.ManagerID)
	require.Equal(t, "Rear Admiral", *m.JobTitle)
	s := get(scheduled)
	require.Equal(t, "2099-01-01", *s.TerminationDate)
	require.NotEqual(t, justworks.StatusTerminated, s.Status)

	h.srv.Mutate(func(r *Roster) {
		require.True(t, r.Rehire(victim))
		require.True(t, r.Remove(hired))
		got, ok := r.Get(mover)
		require.True(t, ok)
		got.FamilyName = "Put-Back"
		r.Put(got)
	})
	v = get(victim)
	require.Equal(t, justworks.StatusActive, v.Status)
	require.Nil(t, v.TerminationDate)
	require.Equal(t, 404, h.do("GET", "/v1/members/"+hired, tok, nil).status)
	require.Equal(t, "Put-Back", get(mover).FamilyName)
	require.Len(t, h.srv.Members(), 50)

	// Members is a deep copy: changing it changes nothing served.
	cp := h.srv.Members()
	*cp[0].ManagerID = "mem_changed"
	require.NotEqual(t, "mem_changed", *h.srv.Members()[0].ManagerID)
}

func TestStats(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1})
	tok := h.login()
	h.page(tok, 10, "")
	h.do("GET", "/v1/members/"+h.srv.Head().ID, tok, nil)
	h.do("GET", "/v1/company", tok, nil)
	require.Equal(t, Stats{Requests: 5, LoginAttempts: 1, MFAAttempts: 1, MemberRequests: 2}, h.srv.Stats())
	h.srv.ResetStats()
	require.Equal(t, Stats{}, h.srv.Stats())
}

func TestConcurrentPagingAndMutation(t *testing.T) {
	h := newHarness(t, Config{RateLimit: -1, People: 2000})
	tok := h.login()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			cursor := ""
			for {
				q := "/v1/members?limit=100"
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				req, _ := http.NewRequest("GET", h.http.URL+q, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := h.http.Client().Do(req)
				if err != nil {
					return
				}
				var p page
				_ = json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
				if p.NextCursor == nil {
					return
				}
				cursor = *p.NextCursor
			}
		})
	}
	for range 50 {
		h.srv.Mutate(func(r *Roster) { r.Hire(justworks.Member{GivenName: "A", FamilyName: "B"}) })
	}
	wg.Wait()
	require.Len(t, h.srv.Members(), 2050)
}

func BenchmarkPageThrough100k(b *testing.B) {
	srv, err := New(Config{People: 100_000, Password: testPassword, TOTPSecret: testSecret, RateLimit: -1})
	require.NoError(b, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	code, _ := totp.GenerateCodeCustom(testSecret, time.Now(), totpOpts)
	req := func(method, path, tok string, body string) *http.Response {
		r, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := hs.Client().Do(r)
		require.NoError(b, err)
		return resp
	}
	var tk struct {
		MFATicket   string `json:"mfa_ticket"`
		AccessToken string `json:"access_token"`
	}
	resp := req("POST", "/v1/auth/login", "", `{"username":"`+DefaultUsername+`","password":"`+testPassword+`"}`)
	require.NoError(b, json.NewDecoder(resp.Body).Decode(&tk))
	resp.Body.Close()
	resp = req("POST", "/v1/auth/mfa", "", `{"mfa_ticket":"`+tk.MFATicket+`","code":"`+code+`"}`)
	require.NoError(b, json.NewDecoder(resp.Body).Decode(&tk))
	resp.Body.Close()
	b.ResetTimer()
	for b.Loop() {
		cursor, pages := "", 0
		for {
			path := "/v1/members?limit=100"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			resp := req("GET", path, tk.AccessToken, "")
			var p struct {
				NextCursor *string `json:"next_cursor"`
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// Only the cursor matters here; the client's decoding is not the sandbox's cost.
			if i := strings.LastIndex(string(body), `"next_cursor":`); i >= 0 {
				_ = json.Unmarshal([]byte(string(body[i+len(`"next_cursor":`):len(body)-1])), &p.NextCursor)
			}
			pages++
			if p.NextCursor == nil {
				break
			}
			cursor = *p.NextCursor
		}
		if pages != 1000 {
			b.Fatalf("pages = %d", pages)
		}
	}
}
