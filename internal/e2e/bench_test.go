package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/store"
)

// benchSizes are the org sizes BenchmarkSync runs: ROSTERSYNC_BENCH_SYNC_PEOPLE
// (comma-separated), default 10,000 and 100,000.
func benchSizes(b *testing.B) []int {
	spec := os.Getenv("ROSTERSYNC_BENCH_SYNC_PEOPLE")
	if spec == "" {
		spec = "10000,100000"
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		require.NoError(b, err, "ROSTERSYNC_BENCH_SYNC_PEOPLE")
		out = append(out, n)
	}
	return out
}

// BenchmarkSync measures whole syncs through the real binaries, server and
// database, with the sandbox's and the client's rate limits off so Rostersync
// itself is measured (real Justworks allows 10 requests per second, so a
// 100,000-person fetch takes at least 100 s there). Each size reports:
//
//	first_s    wall time of the first sync (everyone a hire), `starter sync --wait`
//	resync_s   wall time of a no-change resync
//	floor_s    the floor: fetching every page and COPYing it into staging, nothing else
//	events     history events of the first sync
//
// One iteration is the measurement (each takes seconds, so the default
// -benchtime runs one). ROSTERSYNC_BENCH_RATE_LIMITED=1 keeps the contract's
// 10 requests per second on both sides, to see what a real sync would take.
func BenchmarkSync(b *testing.B) {
	sb, opts := sandbox.Config{Seed: 5, RateLimit: -1}, []option{withEnv("ROSTERSYNC_JUSTWORKS_RATE_LIMIT=-1")}
	if os.Getenv("ROSTERSYNC_BENCH_RATE_LIMITED") == "1" {
		sb.RateLimit, opts = 0, nil
	}
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("people=%d", n), func(b *testing.B) {
			sb.People = n
			s := newStack(b, sb, opts...)
			s.setupOrg()
			b.ResetTimer()
			var first, resync time.Duration
			var events int
			for i := 0; i < b.N; i++ {
				start := time.Now()
				r := s.sync(tech)
				first = time.Since(start)
				require.Equal(b, "applied", r.Outcome, "%+v", r)
				require.Equal(b, n, r.Hires)
				h, _ := s.rawHistory(r.WorkflowID, r.RunID)
				events = len(h.Events)

				start = time.Now()
				r = s.sync(tech)
				resync = time.Since(start)
				require.Equal(b, "no_changes", r.Outcome, "%+v", r)
			}
			b.StopTimer()
			floor := s.fetchCopyFloor(n)
			b.ReportMetric(first.Seconds(), "first_s")
			b.ReportMetric(resync.Seconds(), "resync_s")
			b.ReportMetric(floor.Seconds(), "floor_s")
			b.ReportMetric(float64(events), "events")
			b.ReportMetric(float64(n)/first.Seconds(), "people/s")
			b.Logf("%d people: first sync %s, no-change resync %s, fetch+COPY floor %s, %d history events",
				n, first.Round(time.Millisecond), resync.Round(time.Millisecond), floor.Round(time.Millisecond), events)
		})
	}
}

// fetchCopyFloor pages through the sandbox with the client and COPYs each
// page into staging, as FetchMembers does, without Temporal, tree or apply.
func (s *stack) fetchCopyFloor(n int) time.Duration {
	ctx := context.Background()
	st, err := store.Open(ctx, s.getenv("DATABASE_URL"), zap.NewNop())
	require.NoError(s.t, err)
	defer st.Close()
	pw, _ := readFile(s.pwFile)
	totp, _ := readFile(s.totpFile)
	limit := -1.0 // as the worker's client: off, unless the benchmark keeps the contract's limit
	if os.Getenv("ROSTERSYNC_BENCH_RATE_LIMITED") == "1" {
		limit = 0
	}
	c, err := justworks.New(justworks.Config{BaseURL: s.jwURL, RateLimit: limit},
		justworks.Credentials{Username: s.username, Password: strings.TrimSpace(pw), TOTPSecret: strings.TrimSpace(totp)})
	require.NoError(s.t, err)
	// Log in outside the timing: the worker just used this 30-second step's
	// TOTP code, so the client may wait for the next one.
	require.NoError(s.t, c.Login(ctx))
	run := "floor-" + randHex(4)
	start := time.Now()
	var seq int64
	batch := make([]justworks.Member, 0, 2000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := st.StageMembers(ctx, run, seq, batch)
		seq += int64(len(batch))
		batch = batch[:0]
		return err
	}
	err = c.ListMembers(ctx, "", func(p justworks.Page) error {
		batch = append(batch, p.Members...)
		if len(batch) >= 2000 {
			return flush()
		}
		return nil
	})
	require.NoError(s.t, err)
	require.NoError(s.t, flush())
	d := time.Since(start)
	staged, err := st.StagedCount(ctx, run)
	require.NoError(s.t, err)
	require.Equal(s.t, n, staged)
	return d
}
