package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/internal/testenv"
	"github.com/rostersync/rostersync/workflows"
)

// BenchmarkManyCompanies starts the daily runs of many companies in the same
// minute against one worker (or several), the way a hosted deployment lives:
// each org's schedule action (DailySync, which starts the org's SyncRoster)
// is started directly, all at once. The sandbox serves every company from one
// process, each with its own account, roster and strict (rolling-window)
// limit of 10 requests per second.
//
// It reports the time until the last company finished, the spread of finish
// times, how evenly the companies progressed, every company's 429s (a strict
// server answers 429 to any request over the limit), the health of
// PostgreSQL and the dev server during the run (probe latencies, failures,
// deadlocks), and each worker's peak RSS and CPU time.
//
// Environment: ROSTERSYNC_PERF_COMPANIES (required, so that `make bench`
// does not start it by accident),
// ROSTERSYNC_PERF_COMPANY_PEOPLE (default 1000), ROSTERSYNC_PERF_WORKERS
// (default 1), ROSTERSYNC_PERF_OUT; the worker reads ROSTERSYNC_WORKER_* from
// the environment as in production.
func BenchmarkManyCompanies(b *testing.B) {
	if os.Getenv("ROSTERSYNC_PERF_COMPANIES") == "" {
		b.Skip("set ROSTERSYNC_PERF_COMPANIES (make perf COMPANIES=1000): it runs for minutes")
	}
	k := envInt(b, "ROSTERSYNC_PERF_COMPANIES", 1000)
	people := envInt(b, "ROSTERSYNC_PERF_COMPANY_PEOPLE", 1000)
	nWorkers := envInt(b, "ROSTERSYNC_PERF_WORKERS", 1)
	out := os.Getenv("ROSTERSYNC_PERF_OUT")
	if out == "" {
		out = filepath.Join(testenv.RepoRoot(), ".tmp", "perf")
	}
	require.NoError(b, os.MkdirAll(out, 0o755))
	ctx := context.Background()

	// The companies, generated in parallel.
	type company struct {
		key, org, username, password, secret, head string
	}
	companies := make([]company, k)
	cfgs := make(map[string]sandbox.Config, k)
	for i := range companies {
		secret, err := sandbox.GenerateTOTPSecret()
		require.NoError(b, err)
		c := company{key: fmt.Sprintf("co%04d", i), org: fmt.Sprintf("co%04d-%s", i, randHex(3)),
			username: fmt.Sprintf("people-ops@co%04d.example", i), password: "pw-" + randHex(8), secret: secret}
		companies[i] = c
		cfgs[c.key] = sandbox.Config{People: people, Seed: int64(i + 1), Username: c.username, Password: c.password,
			TOTPSecret: secret, RateLimit: sandbox.DefaultRateLimit, RateWindow: sandbox.RateRolling}
	}
	t0 := time.Now()
	cs, err := sandbox.NewCompanies(cfgs)
	require.NoError(b, err)
	fmt.Printf("generated %d companies of %d people in %s\n", k, people, time.Since(t0).Round(time.Millisecond))
	srv := httptest.NewServer(cs)
	b.Cleanup(srv.Close)

	s := newStack(b, sandbox.Config{People: 10})
	for i := 1; i < nWorkers; i++ {
		s.startWorker(s.workerBin)
	}
	st, err := store.Open(ctx, s.getenv("DATABASE_URL"), zap.NewNop())
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	require.NoError(b, st.Migrate(ctx))
	sealer, err := secrets.ParseKey(s.getenv("ROSTERSYNC_SECRET_KEY"))
	require.NoError(b, err)
	parallel(k, 16, func(i int) {
		c := &companies[i]
		h := cs.Company(c.key).Head()
		c.head = orgtree.DisplayName(h.GivenName, h.FamilyName, h.PreferredName)
		pw, err := sealer.Seal([]byte(c.password), secrets.PasswordAAD(c.org))
		require.NoError(b, err)
		totpSealed, err := sealer.Seal([]byte(c.secret), secrets.TOTPSecretAAD(c.org))
		require.NoError(b, err)
		_, err = st.UpsertOrg(ctx, store.Org{ID: c.org, Name: c.key, JustworksURL: sandbox.BaseURL(srv.URL, c.key),
			Username: c.username, SealedPassword: pw, SealedTOTPSecret: totpSealed, HeadName: c.head,
			Notify: []string{"people@" + c.key + ".example"}, Daily: true, DailyTime: "06:30", TimeZone: "UTC", ScheduleAs: owner})
		require.NoError(b, err)
		require.NoError(b, st.SetUser(ctx, c.org, owner, "owner"))
	})

	// Health probes every second: PostgreSQL and the dev server.
	var deadlocksBefore int
	require.NoError(b, s.db.QueryRow("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").Scan(&deadlocksBefore))
	probe := &healthProbe{}
	stopProbe := probe.run(s)

	// The daily runs, all started at once as their schedules would.
	starts, dones := make([]time.Time, k), make([]time.Time, k)
	outcomes := make([]string, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	begin := time.Now()
	stamp := begin.UTC().Format("2006-01-02T15:04:05Z")
	parallel(k, 64, func(i int) {
		c := companies[i]
		run, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: "sync-roster-daily-run:" + c.org + "-" + stamp, TaskQueue: s.getenv("ROSTERSYNC_TASK_QUEUE"),
		}, workflows.DailySync, workflows.SyncInput{Org: c.org, RequestedBy: owner})
		starts[i] = time.Now()
		if err != nil {
			errs[i] = err
			dones[i] = starts[i]
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sum workflows.SyncSummary
			errs[i] = run.Get(ctx, &sum)
			dones[i] = time.Now()
			outcomes[i] = string(sum.Outcome)
		}()
	})
	wg.Wait()
	stopProbe()

	r := manyReport{Companies: k, People: people, Workers: nWorkers, Cores: numCPU(),
		WorkerOptions: map[string]string{}}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ROSTERSYNC_WORKER_") {
			key, v, _ := strings.Cut(kv, "=")
			r.WorkerOptions[key] = v
		}
	}
	r.Outcomes = map[string]int{}
	var finish, took []float64
	for i := range companies {
		if errs[i] != nil {
			r.Outcomes["error"]++
			if r.FirstError == "" {
				r.FirstError = errs[i].Error()
			}
		} else {
			r.Outcomes[outcomes[i]]++
		}
		finish = append(finish, dones[i].Sub(begin).Seconds())
		took = append(took, dones[i].Sub(starts[i]).Seconds())
		st := cs.Company(companies[i].key).Stats()
		r.Requests += st.Requests
		r.RateLimited += st.RateLimited
		r.EarlyRequests += st.EarlyRequests
		r.MaxCompanyRequests = max(r.MaxCompanyRequests, st.Requests)
	}
	r.StartSpread = maxOf(starts, begin)
	r.LastFinish = percentile(finish, 100)
	r.Finish = [5]float64{percentile(finish, 0), percentile(finish, 10), percentile(finish, 50), percentile(finish, 90), percentile(finish, 100)}
	r.Duration = [5]float64{percentile(took, 0), percentile(took, 10), percentile(took, 50), percentile(took, 90), percentile(took, 100)}
	half := 0
	for _, f := range finish {
		if f <= r.LastFinish/2 {
			half++
		}
	}
	r.FinishedByHalfTime = float64(half) / float64(k)
	var deadlocks int
	require.NoError(b, s.db.QueryRow("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").Scan(&deadlocks))
	r.Deadlocks = deadlocks - deadlocksBefore
	r.DBProbeMaxMS, r.DBProbeFailures, r.DBMaxConnections = probe.dbMax.Seconds()*1000, probe.dbFail, probe.dbConns
	r.TemporalProbeMaxMS, r.TemporalProbeFailures = probe.tMax.Seconds()*1000, probe.tFail
	for _, w := range s.workers {
		r.WorkerPeakRSSMB = append(r.WorkerPeakRSSMB, peakRSSMB(b, w.Process.Pid))
		r.WorkerCPUSeconds = append(r.WorkerCPUSeconds, cpuSeconds(b, w.Process.Pid))
	}
	// Where a sync's time went, for a few companies (first, middle, last started).
	for _, i := range []int{0, k / 2, k - 1} {
		h := &historypb.History{}
		it := s.tc.GetWorkflowHistory(ctx, workflows.WorkflowID(companies[i].org), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				break
			}
			h.Events = append(h.Events, e)
		}
		steps := stepTimes(h)
		r.SampleSteps = append(r.SampleSteps, steps)
		fmt.Printf("company %d steps: %s\n", i, formatSteps(steps))
	}
	r.write(b, out)
	require.Equal(b, k, r.Outcomes["applied"], "every company's first sync applied: %+v (first error: %s)", r.Outcomes, r.FirstError)
}

type manyReport struct {
	Companies             int               `json:"companies"`
	People                int               `json:"people_per_company"`
	Workers               int               `json:"workers"`
	Cores                 int               `json:"cores"`
	WorkerOptions         map[string]string `json:"worker_options"`
	Outcomes              map[string]int    `json:"outcomes"`
	FirstError            string            `json:"first_error,omitempty"`
	StartSpread           float64           `json:"start_spread_s"`
	LastFinish            float64           `json:"last_finish_s"`
	Finish                [5]float64        `json:"finish_s_min_p10_p50_p90_max"`
	Duration              [5]float64        `json:"duration_s_min_p10_p50_p90_max"`
	FinishedByHalfTime    float64           `json:"finished_by_half_time"`
	Requests              int               `json:"justworks_requests"`
	MaxCompanyRequests    int               `json:"max_requests_per_company"`
	RateLimited           int               `json:"justworks_429s"`
	EarlyRequests         int               `json:"early_requests"`
	Deadlocks             int               `json:"db_deadlocks"`
	DBProbeMaxMS          float64           `json:"db_probe_max_ms"`
	DBProbeFailures       int               `json:"db_probe_failures"`
	DBMaxConnections      int               `json:"db_max_connections"`
	TemporalProbeMaxMS    float64           `json:"temporal_probe_max_ms"`
	TemporalProbeFailures int               `json:"temporal_probe_failures"`
	WorkerPeakRSSMB       []float64         `json:"worker_peak_rss_mb"`
	WorkerCPUSeconds      []float64         `json:"worker_cpu_s"`
	// SampleSteps are the per-activity times (scheduled to completed) of
	// three companies\' syncs: the first, middle and last started.
	SampleSteps []map[string]float64 `json:"sample_steps"`
}

func (r manyReport) write(b *testing.B, dir string) {
	name := fmt.Sprintf("many-%dx%d-%dw", r.Companies, r.People, r.Workers)
	js, err := json.MarshalIndent(r, "", "  ")
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(filepath.Join(dir, name+".json"), append(js, '\n'), 0o644))
	pass := func(ok bool) string {
		if ok {
			return "PASS"
		}
		return "FAIL"
	}
	var t strings.Builder
	fmt.Fprintf(&t, "%d companies × %d people, %d worker(s), %d cores, options %v\n", r.Companies, r.People, r.Workers, r.Cores, r.WorkerOptions)
	fmt.Fprintf(&t, "outcomes %v\n", r.Outcomes)
	fmt.Fprintf(&t, "starts spread over %.1f s\n", r.StartSpread)
	fmt.Fprintf(&t, "finish after start of all (s): min %.1f  p10 %.1f  p50 %.1f  p90 %.1f  max %.1f\n", r.Finish[0], r.Finish[1], r.Finish[2], r.Finish[3], r.Finish[4])
	fmt.Fprintf(&t, "per-company duration (s):      min %.1f  p10 %.1f  p50 %.1f  p90 %.1f  max %.1f\n", r.Duration[0], r.Duration[1], r.Duration[2], r.Duration[3], r.Duration[4])
	fmt.Fprintf(&t, "finished by half of the total time: %.0f %%\n", r.FinishedByHalfTime*100)
	fmt.Fprintf(&t, "Justworks: %d requests (max %d per company), %d 429s from the strict server, %d early requests\n", r.Requests, r.MaxCompanyRequests, r.RateLimited, r.EarlyRequests)
	fmt.Fprintf(&t, "PostgreSQL: probe max %.0f ms, %d failures, %d deadlocks, max %d connections to the database\n", r.DBProbeMaxMS, r.DBProbeFailures, r.Deadlocks, r.DBMaxConnections)
	fmt.Fprintf(&t, "dev server: health probe max %.0f ms, %d failures\n", r.TemporalProbeMaxMS, r.TemporalProbeFailures)
	fmt.Fprintf(&t, "worker peak RSS (MB) %v, CPU (s) %v\n", r.WorkerPeakRSSMB, r.WorkerCPUSeconds)
	fmt.Fprintf(&t, "%s  time to the last finish ≤ 180 s: %.1f s\n", pass(r.LastFinish <= 180), r.LastFinish)
	fmt.Fprintf(&t, "%s  every company's rate limit honoured (0 429s from a rolling-window server): %d\n", pass(r.RateLimited == 0), r.RateLimited)
	fmt.Fprintf(&t, "%s  every company applied: %d of %d\n", pass(r.Outcomes["applied"] == r.Companies), r.Outcomes["applied"], r.Companies)
	fmt.Fprintf(&t, "%s  database and dev server healthy (no probe failed, no deadlock)\n", pass(r.DBProbeFailures == 0 && r.TemporalProbeFailures == 0 && r.Deadlocks == 0))
	fmt.Printf("\n%s\nwrote %s\n", t.String(), filepath.Join(dir, name+".json"))
	require.NoError(b, os.WriteFile(filepath.Join(dir, name+".txt"), []byte(t.String()), 0o644))
}

// healthProbe times a trivial query and a dev-server health check every second.
type healthProbe struct {
	mu            sync.Mutex
	dbMax, tMax   time.Duration
	dbFail, tFail int
	dbConns       int
}

func (p *healthProbe) run(s *stack) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			t := time.Now()
			var conns int
			err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").Scan(&conns)
			dbd := time.Since(t)
			t = time.Now()
			hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
			_, terr := s.tc.CheckHealth(hctx, &client.CheckHealthRequest{})
			hcancel()
			td := time.Since(t)
			if ctx.Err() != nil {
				return
			}
			p.mu.Lock()
			p.dbMax, p.tMax = max(p.dbMax, dbd), max(p.tMax, td)
			p.dbConns = max(p.dbConns, conns)
			if err != nil {
				p.dbFail++
			}
			if terr != nil {
				p.tFail++
			}
			p.mu.Unlock()
		}
	}()
	return func() { cancel(); <-done }
}

// parallel runs fn(0..n-1) on width goroutines.
func parallel(n, width int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range width {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func envInt(b *testing.B, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(b, err, key)
	return n
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}

func maxOf(ts []time.Time, since time.Time) float64 {
	m := 0.0
	for _, t := range ts {
		m = max(m, t.Sub(since).Seconds())
	}
	return m
}

// cpuSeconds is the process's user + system CPU time from /proc/PID/stat.
func cpuSeconds(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(b, err)
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return float64(utime+stime) / 100 // USER_HZ
}
