package justworks

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// The client aims a margin below the server's limit, cuts its rate by a
// quarter after a 429 (once, however many 429s arrive within a second), and
// climbs back one step per second's worth of clean answers, up to the target.
func TestRateAdaptsToTheServer(t *testing.T) {
	var n, limitedFrom, limitedTo atomic.Int64
	f := newFake(t, loginRoutes(map[string]http.HandlerFunc{
		"/v1/company": func(w http.ResponseWriter, r *http.Request) {
			i := n.Add(1)
			if i >= limitedFrom.Load() && i <= limitedTo.Load() {
				w.Header().Set("Retry-After", "0")
				writeJSON(w, http.StatusTooManyRequests, errorBody(CodeRateLimited, "slow down"))
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"id": "co_1", "name": "Acme"})
		},
	}))
	c := fakeClient(t, f, Config{RateLimit: 1000})
	require.InDelta(t, 950, c.Rate(), 1e-9, "5 % below the limit")
	ctx := context.Background()
	limitedFrom.Store(3)
	limitedTo.Store(5) // three 429s in a row, one cut
	for range 5 {
		_, err := c.Company(ctx)
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, c.Stats().RateLimited)
	require.InDelta(t, 950*0.75, c.Rate(), 1e-9)

	// Clean answers climb back: 712.5 → 762.5 → 812.5 → 862.5 → 912.5 → 950,
	// each step after a second's worth of them (what send calls per 2xx).
	calls := 0
	for c.Rate() < 950 {
		require.Less(t, calls, 5000, "never climbed back")
		c.speedUp()
		calls++
	}
	cleanBefore := int(n.Load()) - 5 // answers after the 429s already counted
	require.Equal(t, 713+763+813+863+913-cleanBefore, calls)
	c.speedUp()
	require.InDelta(t, 950, c.Rate(), 1e-9, "capped at the target")

	off := fakeClient(t, f, Config{RateLimit: -1})
	require.Zero(t, off.Rate())
	none := fakeClient(t, f, Config{RateLimit: 10, RateMargin: -1})
	require.InDelta(t, 10, none.Rate(), 1e-9)
}
