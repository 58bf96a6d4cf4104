package justworks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Unit-level behaviour against small httptest fakes; the contract's error table
// is exercised against the real sandbox in sandbox_test.go.

const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func TestValidateTOTPSecret(t *testing.T) {
	for _, tc := range []struct {
		secret string
		ok     bool
	}{
		{testSecret, true},
		{"jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", true}, // as shown, grouped and lower case
		{"JBSWY3DPEHPK3PXP====", true},
		{"", false},
		{"   ", false},
		{"JBSWY3DP1HPK3PXP", false}, // 1 is not base32
		{"JBSWY3DP", false},         // 5 bytes: too short to be a real key
		{"not-a-secret!", false},
	} {
		t.Run(tc.secret, func(t *testing.T) {
			err := ValidateTOTPSecret(tc.secret)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			e, ok := AsError(err)
			require.True(t, ok, "want *Error, got %v", err)
			assert.Equal(t, CodeBadTOTPSecret, e.Code)
			assert.False(t, e.Retryable)
			if strings.TrimSpace(tc.secret) != "" {
				assert.NotContains(t, e.Error(), tc.secret)
			}
		})
	}
}

func TestNewRejectsBadTOTPSecret(t *testing.T) {
	_, err := New(Config{BaseURL: "http://127.0.0.1:1"}, Credentials{Username: "u", Password: "p", TOTPSecret: "0000"})
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, CodeBadTOTPSecret, e.Code)
	assert.False(t, IsRetryable(err))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 6, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"3", 3 * time.Second},
		{" 1 ", time.Second},
		{"0", 0},
		{"1.5", 1500 * time.Millisecond},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"", defaultRetryAfter},
		{"soon", defaultRetryAfter},
		// Clamped: a vendor bug must not park a sync for days, nor overflow.
		{"-5", 0},
		{"86400", maxHonouredRetryAfter},
		{"1e300", maxHonouredRetryAfter},
		{"+Inf", maxHonouredRetryAfter},
		{"NaN", defaultRetryAfter},
		{now.Add(72 * time.Hour).Format(http.TimeFormat), maxHonouredRetryAfter},
	} {
		assert.Equal(t, tc.want, parseRetryAfter(tc.in, now), "Retry-After %q", tc.in)
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	c := Credentials{Username: "ops@acme.example", Password: "hunter2-secret", TOTPSecret: testSecret}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		assert.Contains(t, s, "ops@acme.example")
		assert.NotContains(t, s, "hunter2-secret")
		assert.NotContains(t, s, testSecret)
	}
}

// fake answers with canned handlers per path; it counts requests per path.
// The login probe (a login without username and password) is counted as
// "probe" and answered by the "probe" route, else with 400 invalid_request
// as Justworks would.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	routes map[string]http.HandlerFunc
	hits   map[string]int
}

func newFake(t *testing.T, routes map[string]http.HandlerFunc) *fake {
	f := &fake{t: t, routes: routes, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if path == loginPath {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if !bytes.Contains(body, []byte(`"password"`)) {
				path = "probe"
				if f.routes[path] == nil {
					f.hits[path]++
					writeJSON(w, http.StatusBadRequest, errorBody("invalid_request", "username and password are required"))
					return
				}
			}
		}
		f.hits[path]++
		h, ok := f.routes[path]
		if !ok {
			writeJSON(w, http.StatusNotFound, errorBody("not_found", "no route"))
			return
		}
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func errorBody(code, msg string) any {
	return map[string]any{"error": map[string]string{"code": code, "message": msg}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// loginRoutes accept any password and code and hand out token "tok".
func loginRoutes(routes map[string]http.HandlerFunc) map[string]http.HandlerFunc {
	routes["/v1/auth/login"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"mfa_required": true, "mfa_ticket": "ticket-123456"})
	}
	routes["/v1/auth/mfa"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"access_token": "tok-abcdef", "token_type": "Bearer", "expires_in": 900})
	}
	return routes
}

func fakeClient(t *testing.T, f *fake, cfg Config) *Client {
	cfg.BaseURL = f.srv.URL
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	c, err := New(cfg, Credentials{Username: "ops@acme.example", Password: "hunter2-secret", TOTPSecret: testSecret})
	require.NoError(t, err)
	return c
}

func TestMemberDecodingKeepsNullDistinctFromEmpty(t *testing.T) {
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/members": func(w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, "Bearer tok-abcdef", r.Header.Get("Authorization"))
			assert.Equal(t, "100", r.URL.Query().Get("limit"))
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"members":[
				{"id":"mem_1","given_name":"Zoë","family_name":"O'Brien","preferred_name":"","work_email":null,
				 "status":"sabbatical","employment_type":"seasonal","start_date":"2021-03-01","future_field":{"x":1},
				 "department":{"id":"dep_eng","name":"Engineering"},"updated_at":"2026-11-20T14:03:00Z"},
				{"id":"mem_2","given_name":"Ada","family_name":"Lovelace"}
			],"next_cursor":null}`))
		},
	}))
	c := fakeClient(t, f, Config{})
	var got []Member
	require.NoError(t, c.ListMembers(context.Background(), "", func(p Page) error {
		assert.Equal(t, "", p.Cursor)
		assert.Equal(t, "", p.NextCursor)
		got = append(got, p.Members...)
		return nil
	}))
	require.Len(t, got, 2)
	require.NotNil(t, got[0].PreferredName)
	assert.Equal(t, "", *got[0].PreferredName, "empty string stays empty, not absent")
	assert.Nil(t, got[0].WorkEmail, "null stays absent")
	assert.Nil(t, got[1].PreferredName, "a missing key is absent")
	assert.Equal(t, "sabbatical", got[0].Status, "unknown statuses are kept for the caller to report")
	assert.Equal(t, "seasonal", got[0].EmploymentType)
	assert.Equal(t, "Engineering", got[0].Department.Name)
	assert.Equal(t, time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC), got[0].UpdatedAt)
	assert.Equal(t, 1, f.hits["/v1/auth/login"], "logs in on first use")
}

// One odd member neither fails its page nor vanishes: it comes through with
// what identifies it (and DecodeError when its JSON did not fit), for the
// caller to skip and report. Unknown keys are ignored, absent keys are empty.
func TestListMembersPassesOddMembersThrough(t *testing.T) {
	body := `{"members":[
		{"id":"mem_1","given_name":"Ada","family_name":"Lovelace","status":"active","shoe_size":44,"badges":{"x":[1]}},
		{"id":"","given_name":"No","family_name":"Id","status":"active"},
		{"id":"mem_3","given_name":"Wrong","family_name":"Type","status":7},
		{"id":7,"given_name":"Numeric","family_name":"Id"},
		null,
		{"id":"mem_6","given_name":"Bare"}
	],"next_cursor":null}`
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/members": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) },
	}))
	c := fakeClient(t, f, Config{})
	var got []Member
	require.NoError(t, c.ListMembers(context.Background(), "", func(p Page) error { got = append(got, p.Members...); return nil }))
	require.Len(t, got, 6)
	assert.Equal(t, Member{ID: "mem_1", GivenName: "Ada", FamilyName: "Lovelace", Status: "active"}, got[0], "unknown fields are ignored")
	assert.Equal(t, "", got[1].ID)
	assert.Empty(t, got[1].DecodeError)
	assert.Equal(t, Member{ID: "mem_3", GivenName: "Wrong", FamilyName: "Type", DecodeError: "status is a JSON number, not a string"}, got[2])
	assert.Equal(t, "", got[3].ID)
	assert.Equal(t, "Numeric", got[3].GivenName)
	assert.Contains(t, got[3].DecodeError, "id is a JSON number")
	assert.Equal(t, Member{}, got[4])
	assert.Equal(t, Member{ID: "mem_6", GivenName: "Bare"}, got[5], "absent keys are empty")
}

func TestListMembersRejectsBrokenPages(t *testing.T) {
	for name, body := range map[string]string{
		"missing members":         `{"next_cursor":null}`,
		"members not a list":      `{"members":{"id":"mem_1"},"next_cursor":null}`,
		"not JSON":                `<html>maintenance</html>`,
		"empty next_cursor":       `{"members":[],"next_cursor":""}`,
		"cursor does not advance": `{"members":[],"next_cursor":"c1"}`, // forever
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
				"/v1/members": func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Get("cursor") == "" && strings.Contains(body, `"c1"`) {
						_, _ = w.Write([]byte(`{"members":[],"next_cursor":"c1"}`))
						return
					}
					_, _ = w.Write([]byte(body))
				},
			}))
			c := fakeClient(t, f, Config{})
			err := c.ListMembers(context.Background(), "", func(Page) error { return nil })
			e, ok := AsError(err)
			require.True(t, ok, "want *Error, got %v", err)
			assert.Equal(t, CodeInvalidResponse, e.Code)
			assert.False(t, e.Retryable)
		})
	}
}

func TestListMembersStopsOnCallbackError(t *testing.T) {
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/members": func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"members":[{"id":"mem_1"}],"next_cursor":"next"}`))
		},
	}))
	c := fakeClient(t, f, Config{})
	stop := errors.New("stop")
	err := c.ListMembers(context.Background(), "", func(Page) error { return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, f.hits["/v1/members"])
}

// Justworks may echo what it got; none of it may reach an error or a log.
func TestErrorsNeverCarrySecrets(t *testing.T) {
	var ticket, code string
	f := newFake(t, map[string]http.HandlerFunc{
		"/v1/auth/login": func(w http.ResponseWriter, r *http.Request) {
			ticket = "ticket-zyxwvu"
			writeJSON(w, 200, map[string]any{"mfa_required": true, "mfa_ticket": ticket})
		},
		"/v1/auth/mfa": func(w http.ResponseWriter, r *http.Request) {
			var b map[string]string
			_ = json.NewDecoder(r.Body).Decode(&b)
			code = b["code"]
			writeJSON(w, 401, errorBody("invalid_credentials", fmt.Sprintf("ticket %s code %s for password hunter2-secret", b["mfa_ticket"], b["code"])))
		},
	})
	c := fakeClient(t, f, Config{})
	err := c.Login(context.Background())
	require.Error(t, err)
	for _, secret := range []string{ticket, code, "hunter2-secret", testSecret} {
		assert.NotContains(t, err.Error(), secret)
	}
	assert.Contains(t, err.Error(), "ops@acme.example")
	assert.False(t, IsRetryable(err))
}

func TestForbiddenTellsTheOperator(t *testing.T) {
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/members": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 403, errorBody("forbidden", "admin permission required"))
		},
	}))
	c := fakeClient(t, f, Config{})
	err := c.ListMembers(context.Background(), "", func(Page) error { return nil })
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, CodeForbidden, e.Code)
	assert.Equal(t, 403, e.Status)
	assert.False(t, e.Retryable)
	assert.Contains(t, e.Message, `user "ops@acme.example" lacks the admin permission to list members`)
	assert.Equal(t, 1, f.hits["/v1/members"], "forbidden is not repeated")
}

func TestTransportErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c, err := New(Config{BaseURL: url, RateLimit: -1}, Credentials{Username: "u", Password: "hunter2-secret", TOTPSecret: testSecret})
	require.NoError(t, err)
	err = c.Login(context.Background())
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, CodeTransport, e.Code)
	assert.True(t, IsRetryable(err))
	assert.NotContains(t, err.Error(), "hunter2-secret")
}

func TestContextCancelIsVisible(t *testing.T) {
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{}))
	c := fakeClient(t, f, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.Login(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

// A client that only resumes another worker's session cannot log in again: an
// expired token is retryable (the workflow logs in elsewhere), not a failure.
func TestTokenOnlyClientReportsExpiryAsRetryable(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"/v1/company": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, errorBody("token_expired", "expired"))
		},
	})
	c, err := New(Config{BaseURL: f.srv.URL, RateLimit: -1}, Credentials{})
	require.NoError(t, err)
	c.SetToken("resumed-token")
	_, err = c.Company(context.Background())
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, CodeTokenExpired, e.Code)
	assert.True(t, e.Retryable)
	assert.Equal(t, 0, f.hits["/v1/auth/login"])
}

func TestMemberEscapesID(t *testing.T) {
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{}))
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/v1/auth/"):
			loginRoutes(map[string]http.HandlerFunc{})[r.URL.Path](w, r)
		case r.URL.EscapedPath() == "/v1/members/mem%2F1":
			writeJSON(w, 200, map[string]any{"id": "mem/1"})
		default:
			writeJSON(w, 404, errorBody("not_found", "no member "+r.URL.EscapedPath()))
		}
	})
	c := fakeClient(t, f, Config{})
	m, err := c.Member(context.Background(), "mem/1")
	require.NoError(t, err)
	assert.Equal(t, "mem/1", m.ID)
	_, err = c.Member(context.Background(), "mem_nobody")
	assert.Equal(t, CodeNotFound, ErrorCode(err))
	assert.False(t, IsRetryable(err))
}

// token_expired right after every login: bounded re-logins, then retryable.
func TestReloginsAreBounded(t *testing.T) {
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/company": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, errorBody("token_expired", "expired"))
		},
	}))
	var slept time.Duration
	c := fakeClient(t, f, Config{Sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil }})
	_, err := c.Company(context.Background())
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, CodeTokenExpired, e.Code)
	assert.True(t, e.Retryable)
	assert.Equal(t, 1+maxRelogins, f.hits["/v1/auth/login"], "first login and three re-logins")
	assert.Equal(t, 1+maxRelogins, f.hits["probe"], "every re-login probes the login endpoint first")
	assert.Equal(t, 1+maxRelogins, f.hits["/v1/company"], "one call per session")
	assert.Equal(t, 1+maxRelogins, c.Stats().Logins)
	assert.Positive(t, slept, "each re-login waited for a fresh TOTP step")
}

// A 5xx answer to the password step leaves its verdict unknown: the client
// does not repeat it (a repeat could count towards the lockout).
func TestPasswordStepIsNotRepeatedAfter5xx(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"/v1/company": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, errorBody("token_expired", "no token"))
		},
		"/v1/auth/login": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 504, errorBody("unavailable", "gateway timeout"))
		},
	})
	c := fakeClient(t, f, Config{Sleep: func(context.Context, time.Duration) error { return nil }})
	err := c.Login(context.Background())
	assert.True(t, IsRetryable(err))
	assert.Equal(t, 1, f.hits["/v1/auth/login"])
}

// During an outage the password never leaves: Login probes first and returns
// a retryable error without a password step, so no verdict can go unheard.
func TestOutageSendsNoPassword(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{
		"probe": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 503, errorBody("unavailable", "down"))
		},
		"/v1/auth/login": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 503, errorBody("unavailable", "down"))
		},
	})
	c := fakeClient(t, f, Config{Sleep: func(context.Context, time.Duration) error { return nil }})
	for range 3 {
		assert.True(t, IsRetryable(c.Login(context.Background())))
	}
	assert.Zero(t, f.hits["/v1/auth/login"])
}
