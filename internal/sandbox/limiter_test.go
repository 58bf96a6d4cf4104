package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/justworks"
)

// The rolling window refuses what the bucket allows: after a burst of 10 the
// bucket has a new token 100 ms later, the rolling window only once the first
// request is a full second old. Evenly spaced requests pass both.
func TestRateLimitRollingWindow(t *testing.T) {
	for _, window := range []string{RateBucket, RateRolling} {
		t.Run(window, func(t *testing.T) {
			h := newHarness(t, Config{RateWindow: window})
			tok := h.login()
			for i := range 10 {
				require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status, "burst request %d", i+1)
			}
			h.clock.Advance(100 * time.Millisecond)
			a := h.do("GET", "/v1/company", tok, nil)
			if window == RateBucket {
				require.Equal(t, 200, a.status, "a token refilled")
				return
			}
			require.Equal(t, 429, a.status, "10 requests in the last second already")
			require.Equal(t, justworks.CodeRateLimited, a.code)
			require.Equal(t, "1", a.header.Get("Retry-After"), "0.9 s rounded up")
			h.clock.Advance(900 * time.Millisecond) // the burst is now exactly 1 s old: out of (now-1s, now]
			for i := range 10 {
				require.Equal(t, 200, h.do("GET", "/v1/company", tok, nil).status, "spaced request %d", i+1)
				h.clock.Advance(100 * time.Millisecond)
			}
			require.Equal(t, 1, h.srv.Stats().RateLimited)
		})
	}
}

func TestRateWindowValidated(t *testing.T) {
	_, err := New(Config{Password: testPassword, TOTPSecret: testSecret, RateWindow: "sliding"})
	require.ErrorContains(t, err, "rate window")
	_, err = New(Config{Password: testPassword, TOTPSecret: testSecret, RateWindow: RateRolling, RateLimit: 0.5})
	require.ErrorContains(t, err, "at least 1 request per second")
}

// One process serves many companies, each with its own credentials, roster
// and rate limit, under /c/KEY.
func TestCompanies(t *testing.T) {
	c := &clock{t: testDay}
	other := "KRSXG5CTMVRXEZLU" // a second setup key
	cs, err := NewCompanies(map[string]Config{
		"acme":   {People: 30, Seed: 1, Password: testPassword, TOTPSecret: testSecret, Now: c.Now},
		"globex": {People: 50, Seed: 2, Password: "globex pw", TOTPSecret: other, Now: c.Now},
	})
	require.NoError(t, err)
	require.Equal(t, []string{"acme", "globex"}, cs.Keys())
	hs := httptest.NewServer(cs)
	t.Cleanup(hs.Close)

	login := func(key, pw, secret string) *justworks.Client {
		cl, err := justworks.New(justworks.Config{BaseURL: BaseURL(hs.URL, key), RateLimit: -1, Now: c.Now},
			justworks.Credentials{Username: DefaultUsername, Password: pw, TOTPSecret: secret})
		require.NoError(t, err)
		return cl
	}
	acme, globex := login("acme", testPassword, testSecret), login("globex", "globex pw", other)
	var n [2]int
	for i, cl := range []*justworks.Client{acme, globex} {
		require.NoError(t, cl.ListMembers(t.Context(), "", func(p justworks.Page) error { n[i] += len(p.Members); return nil }))
	}
	require.Equal(t, [2]int{30, 50}, n)
	require.NotEqual(t, cs.Company("acme").Company().ID, cs.Company("globex").Company().ID)

	// acme's password is not globex's.
	wrong := login("globex", testPassword, other)
	require.Equal(t, justworks.CodeInvalidCredentials, justworks.ErrorCode(wrong.Login(t.Context())))

	// Rate limits are per company (and token): exhausting acme's leaves globex's.
	for range 9 { // the page above was the first of 10
		_, err := acme.Company(t.Context())
		require.NoError(t, err)
	}
	req, _ := http.NewRequest("GET", BaseURL(hs.URL, "acme")+"/v1/company", nil)
	req.Header.Set("Authorization", "Bearer "+acme.Token())
	resp, err := hs.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 429, resp.StatusCode)
	_, err = globex.Company(t.Context())
	require.NoError(t, err)

	resp, err = hs.Client().Get(hs.URL + "/c/initech/v1/company")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 404, resp.StatusCode)
	_, err = NewCompanies(map[string]Config{"Not OK": {Password: "x", TOTPSecret: testSecret}})
	require.True(t, err != nil && strings.Contains(err.Error(), "company key"))
}
