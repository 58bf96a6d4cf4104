package justworks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recGuard records the client's calls and can refuse.
type recGuard struct {
	calls   []string
	claim   error // returned by Claim
	unheard error // returned by PasswordUnheard (nil: pass err through)
}

func (g *recGuard) Admit(context.Context) error { g.calls = append(g.calls, "admit"); return nil }
func (g *recGuard) ProbeFailed(_ context.Context, err error) error {
	g.calls = append(g.calls, "probe-failed")
	return err
}
func (g *recGuard) Claim(_ context.Context, timeout time.Duration) error {
	g.calls = append(g.calls, "claim")
	return g.claim
}
func (g *recGuard) PasswordHeard(context.Context) { g.calls = append(g.calls, "heard") }
func (g *recGuard) PasswordUnheard(_ context.Context, err error) error {
	g.calls = append(g.calls, "unheard")
	if g.unheard != nil {
		return g.unheard
	}
	return err
}
func (g *recGuard) LoggedIn(context.Context) { g.calls = append(g.calls, "logged-in") }

// Every password step, the first login's and a re-login's after
// token_expired alike, is admitted, probed, claimed and settled; a step the
// guard does not claim is never sent; an unheard step's error is the guard's.
func TestGuardSeesEveryPasswordStep(t *testing.T) {
	expired := true
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/company": func(w http.ResponseWriter, r *http.Request) {
			if expired {
				expired = false
				writeJSON(w, 401, errorBody("token_expired", "expired"))
				return
			}
			writeJSON(w, 200, map[string]any{"id": "cmp_1"})
		},
	}))
	g := &recGuard{}
	c := fakeClient(t, f, Config{Guard: g, Sleep: func(context.Context, time.Duration) error { return nil }})
	c.SetToken("old-token")
	_, err := c.Company(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"admit", "claim", "heard", "logged-in"}, g.calls, "the re-login went through the guard")
	assert.Equal(t, 1, f.hits["probe"], "and probed the login endpoint")

	// Refused: nothing is sent.
	refused := errors.New("cool-down")
	g2 := &recGuard{claim: refused}
	c2 := fakeClient(t, f, Config{Guard: g2})
	before := f.hits["/v1/auth/login"]
	assert.ErrorIs(t, c2.Login(context.Background()), refused)
	assert.Equal(t, before, f.hits["/v1/auth/login"])

	// Unheard (5xx): the guard's error is returned, the step not repeated.
	f5 := newFake(t, map[string]http.HandlerFunc{
		"/v1/auth/login": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 502, errorBody("unavailable", "bad gateway"))
		},
	})
	stop := errors.New("stop")
	g3 := &recGuard{unheard: stop}
	c3 := fakeClient(t, f5, Config{Guard: g3, Sleep: func(context.Context, time.Duration) error { return nil }})
	assert.ErrorIs(t, c3.Login(context.Background()), stop)
	assert.Equal(t, []string{"admit", "claim", "unheard"}, g3.calls)
	assert.Equal(t, 1, f5.hits["/v1/auth/login"])
}

// A redirect is never followed: the password does not reach the target, and
// the error says why (non-retryable).
func TestNoRedirects(t *testing.T) {
	var elsewhere int
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	t.Cleanup(target.Close)
	f := newFake(t, map[string]http.HandlerFunc{
		"/v1/auth/login": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/v1/auth/login", http.StatusTemporaryRedirect)
		},
	})
	c := fakeClient(t, f, Config{})
	err := c.Login(context.Background())
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeRedirect, e.Code)
	assert.False(t, e.Retryable)
	assert.Contains(t, e.Message, "follows no redirects")
	assert.Zero(t, elsewhere, "nothing reached the redirect's target")

	// A URL with credentials is refused without repeating the password.
	_, err = New(Config{BaseURL: "https://user:pw@api.justworks.example"}, Credentials{})
	assert.Equal(t, CodeInvalidConfig, ErrorCode(err))
	assert.NotContains(t, err.Error(), "pw@")
}

// Vendor text quoted in an error is capped, however long the vendor's is.
func TestVendorTextIsCapped(t *testing.T) {
	long := strings.Repeat("é", 100000)
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/company": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 403, errorBody("forbidden", long))
		},
	}))
	c := fakeClient(t, f, Config{})
	_, err := c.Company(context.Background())
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 1000)
	assert.Contains(t, err.Error(), "… (cut)")
}

// A vendor that hands out new cursors forever, repeating members already
// seen, is stopped with a non-retryable error instead of paging for ever.
func TestEndlessCursorsAreDetected(t *testing.T) {
	n := 0
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/members": func(w http.ResponseWriter, r *http.Request) {
			n++
			writeJSON(w, 200, map[string]any{
				"members":     []map[string]any{{"id": "mem_1", "given_name": "A", "family_name": "B", "status": "active"}},
				"next_cursor": "c" + strings.Repeat("x", n%7) + time.Now().Format(time.RFC3339Nano),
			})
		},
	}))
	c := fakeClient(t, f, Config{})
	pages := 0
	err := c.ListMembers(context.Background(), "", func(Page) error { pages++; return nil })
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeInvalidResponse, e.Code)
	assert.False(t, e.Retryable)
	assert.LessOrEqual(t, f.hits["/v1/members"], maxPagesWithoutNews+1)
}
