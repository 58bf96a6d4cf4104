package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"golang.org/x/time/rate"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/testenv"
)

// BenchmarkPerf is the performance report (`make perf`): for each size it
// measures, in one run against the real dev server, PostgreSQL, sandbox and
// worker binary:
//
//	floor     the bare floor: every page fetched over loopback from
//	          pre-rendered JSON and decoded, the rows in one COPY into an
//	          unindexed table, nothing else (the yardstick)
//	first     a first sync into an empty org chart
//	nochange  a resync with nothing changed
//	changed   a resync with 1 % of people changed (titles, managers, hires,
//	          terminations)
//
// and prints, per scenario, wall time, ratio to the floor, roster rows
// written, history events, the worker's peak RSS and Justworks requests, as a
// table, JSON and a log-log plot, then each target with PASS or FAIL.
//
// Environment: ROSTERSYNC_PERF_PEOPLE (comma-separated sizes, default
// 1000,10000), ROSTERSYNC_PERF_RATE_LIMITED=1 (the contract's 10 req/s on
// both sides; the floor then paces its requests as the client does),
// ROSTERSYNC_PERF_OUT (directory for perf.json, perf.md, perf.png, perf.svg;
// default .tmp/perf).
func BenchmarkPerf(b *testing.B) {
	sizes := perfSizes(b)
	limited := os.Getenv("ROSTERSYNC_PERF_RATE_LIMITED") == "1"
	out := os.Getenv("ROSTERSYNC_PERF_OUT")
	if out == "" {
		out = filepath.Join(testenv.RepoRoot(), ".tmp", "perf")
	}
	require.NoError(b, os.MkdirAll(out, 0o755))
	rep := perfReport{Started: time.Now().UTC().Format(time.RFC3339), RateLimited: limited, Cores: numCPU()}
	for _, n := range sizes {
		rep.Rows = append(rep.Rows, perfSize(b, n, limited)...)
	}
	rep.Targets = perfTargets(rep)
	rep.write(b, out)
}

func perfSizes(b *testing.B) []int {
	spec := os.Getenv("ROSTERSYNC_PERF_PEOPLE")
	if spec == "" {
		spec = "1000,10000"
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		require.NoError(b, err, "ROSTERSYNC_PERF_PEOPLE")
		out = append(out, n)
	}
	return out
}

type perfRow struct {
	People      int     `json:"people"`
	Scenario    string  `json:"scenario"` // floor, first, nochange, changed
	Seconds     float64 `json:"seconds"`
	Ratio       float64 `json:"ratio_to_floor"`
	RowsWritten int     `json:"rows_written"` // people + change log + problems rows written
	Events      int     `json:"history_events"`
	PeakRSSMB   float64 `json:"worker_peak_rss_mb"`
	Requests    int     `json:"justworks_requests"`
	RateLimited int     `json:"justworks_429s"`
	Outcome     string  `json:"outcome,omitempty"`
	// Steps are each activity's time from scheduled to completed, and
	// "workflow" from the first event to the last, from the history.
	Steps map[string]float64 `json:"steps,omitempty"`
	// FloorRuns are the floor's two measurements (before and after the
	// scenarios); Seconds is their mean.
	FloorRuns []float64 `json:"floor_runs,omitempty"`
}

type perfTarget struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail,omitempty"`
}

type perfReport struct {
	Started     string       `json:"started"`
	RateLimited bool         `json:"rate_limited"`
	Cores       int          `json:"cores"`
	Rows        []perfRow    `json:"rows"`
	Targets     []perfTarget `json:"targets"`
}

// perfRateLimit is the contract's limit, and what the client aims at under it.
const perfRateLimit = 10

func perfSize(b *testing.B, n int, limited bool) []perfRow {
	sb := sandbox.Config{People: n, Seed: 5, RateLimit: -1}
	var opts []option
	if limited {
		sb.RateLimit, sb.RateWindow = perfRateLimit, sandbox.RateRolling // the strictest counting
	} else {
		opts = append(opts, withEnv("ROSTERSYNC_JUSTWORKS_RATE_LIMIT=-1"))
	}
	s := newStack(b, sb, opts...)
	s.setupOrg()

	var pace float64 // requests per second of the floor: the client's own pace under a limit
	if limited {
		c, err := justworks.New(justworks.Config{BaseURL: s.jwURL, RateLimit: perfRateLimit}, justworks.Credentials{})
		require.NoError(b, err)
		pace = c.Rate()
	}
	// The floor is measured before and after the scenarios and the ratios
	// use the mean: on a shared machine the load drifts within a run.
	floor := s.bareFloor(pace)
	fmt.Printf("people=%d floor (before) %s\n", n, floor.Round(time.Millisecond))

	scenario := func(name, wantOutcome string) perfRow {
		s.sandbox.ResetStats()
		clearPeakRSS(b, s.workers[0].Process.Pid)
		var since time.Time
		require.NoError(b, s.db.QueryRow("SELECT now()").Scan(&since))
		start := time.Now()
		r := s.sync(tech)
		d := time.Since(start)
		require.Equal(b, wantOutcome, r.Outcome, "%s: %+v", name, r)
		h, _ := s.rawHistory(r.WorkflowID, r.RunID)
		st := s.sandbox.Stats()
		row := perfRow{
			People: n, Scenario: name, Seconds: d.Seconds(), Ratio: d.Seconds() / floor.Seconds(),
			RowsWritten: s.rowsWritten(since, r.RunID), Events: len(h.Events),
			PeakRSSMB: peakRSSMB(b, s.workers[0].Process.Pid), Requests: st.Requests, RateLimited: st.RateLimited,
			Outcome: r.Outcome, Steps: stepTimes(h),
		}
		fmt.Printf("people=%d %-8s %8.3f s  %5.2f× floor (before)  rows %7d  events %3d  rss %6.1f MB  requests %5d  429s %d  steps %s\n",
			n, name, row.Seconds, row.Ratio, row.RowsWritten, row.Events, row.PeakRSSMB, row.Requests, row.RateLimited, formatSteps(row.Steps))
		return row
	}
	var rows []perfRow
	rows = append(rows, scenario("first", "applied"))
	rows = append(rows, scenario("nochange", "no_changes"))
	s.sandbox.Mutate(func(r *sandbox.Roster) { changeOnePercent(r) })
	rows = append(rows, scenario("changed", "applied"))
	after := s.bareFloor(pace)
	fmt.Printf("people=%d floor (after) %s\n", n, after.Round(time.Millisecond))
	mean := (floor + after) / 2
	for i := range rows {
		rows[i].Ratio = rows[i].Seconds / mean.Seconds()
	}
	return append([]perfRow{{People: n, Scenario: "floor", Seconds: mean.Seconds(), Ratio: 1,
		FloorRuns: []float64{floor.Seconds(), after.Seconds()}}}, rows...)
}

// stepTimes reads each activity's scheduled-to-completed time from the history.
func stepTimes(h *historypb.History) map[string]float64 {
	out := map[string]float64{}
	scheduled := map[int64]*historypb.HistoryEvent{}
	evs := h.GetEvents()
	for _, e := range evs {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[e.GetEventId()] = e
		}
		if a := e.GetActivityTaskCompletedEventAttributes(); a != nil {
			if sch, ok := scheduled[a.GetScheduledEventId()]; ok {
				name := sch.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
				out[name] += e.GetEventTime().AsTime().Sub(sch.GetEventTime().AsTime()).Seconds()
			}
		}
	}
	if len(evs) > 1 {
		out["workflow"] = evs[len(evs)-1].GetEventTime().AsTime().Sub(evs[0].GetEventTime().AsTime()).Seconds()
	}
	return out
}

func formatSteps(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%.2f", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// changeOnePercent changes 1 % of the roster: 40 % of those get a new title,
// 30 % move to their manager's manager, 15 % are hired, 15 % terminated.
func changeOnePercent(r *sandbox.Roster) {
	ids := r.IDs()
	k := max(1, len(ids)/100)
	step := max(1, len(ids)/k)
	var picked []string
	for i := step / 2; i < len(ids) && len(picked) < k; i += step {
		if ids[i] != r.HeadID() {
			picked = append(picked, ids[i])
		}
	}
	for i, id := range picked {
		m, _ := r.Get(id)
		switch q := i * 100 / len(picked); {
		case q < 40:
			r.SetTitle(id, "Principal "+strconv.Itoa(i))
		case q < 70:
			if m.ManagerID != nil {
				if boss, ok := r.Get(*m.ManagerID); ok && boss.ManagerID != nil {
					r.SetManager(id, *boss.ManagerID)
					continue
				}
			}
			r.SetTitle(id, "Staff "+strconv.Itoa(i))
		case q < 85:
			email := fmt.Sprintf("new.hire%d@sandbox.example", i)
			r.Hire(justworks.Member{GivenName: "New", FamilyName: "Hire " + strconv.Itoa(i), WorkEmail: &email, ManagerID: m.ManagerID})
		default:
			if m.Status != justworks.StatusTerminated {
				r.Terminate(id, "")
			}
		}
	}
}

// rowsWritten counts the roster rows the sync wrote: people rows written
// since the sync started, its change-log rows and its problem rows.
func (s *stack) rowsWritten(since time.Time, runID string) int {
	return s.count(`SELECT (SELECT count(*) FROM people WHERE written_at >= $1)
		+ (SELECT count(*) FROM change_log WHERE run_id = $2)
		+ (SELECT count(*) FROM problems WHERE run_id = $2)`, since, runID)
}

// bareFloor fetches every page of the roster over loopback from pre-rendered
// JSON, decodes it, and COPYs all rows in one COPY into an unindexed table.
// pace > 0 spaces the requests as a rate-limited client does.
func (s *stack) bareFloor(pace float64) time.Duration {
	members := s.sandbox.Members()
	const pageSize = 100
	var pages [][]byte
	for i := 0; i < len(members); i += pageSize {
		next := any(nil)
		if i+pageSize < len(members) {
			next = strconv.Itoa(len(pages) + 1)
		}
		body, err := json.Marshal(map[string]any{"members": members[i:min(i+pageSize, len(members))], "next_cursor": next})
		require.NoError(s.t, err)
		pages = append(pages, body)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(pages[i])
	}))
	defer srv.Close()
	_, err := s.db.Exec(`DROP TABLE IF EXISTS floor_members;
		CREATE TABLE floor_members (id text COLLATE "C", given_name text, family_name text, preferred_name text,
			work_email text, job_title text, department_id text, department_name text, manager_id text COLLATE "C",
			employment_type text, status text, start_date date, termination_date date, location_name text,
			location_city text, location_state text, location_country text, updated_at timestamptz)`)
	require.NoError(s.t, err)
	hc := &http.Client{}
	var lim *rate.Limiter
	if pace > 0 {
		lim = rate.NewLimiter(rate.Limit(pace), 1)
	}
	ctx := context.Background()

	start := time.Now()
	var all []justworks.Member
	for cursor := "0"; cursor != ""; {
		if lim != nil {
			require.NoError(s.t, lim.Wait(ctx))
		}
		resp, err := hc.Get(srv.URL + "/v1/members?limit=100&cursor=" + cursor)
		require.NoError(s.t, err)
		var page struct {
			Members    []justworks.Member `json:"members"`
			NextCursor *string            `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		require.NoError(s.t, err)
		all = append(all, page.Members...)
		cursor = ""
		if page.NextCursor != nil {
			cursor = *page.NextCursor
		}
	}
	tx, err := s.db.Begin()
	require.NoError(s.t, err)
	stmt, err := tx.Prepare(`COPY floor_members (id, given_name, family_name, preferred_name, work_email,
		job_title, department_id, department_name, manager_id, employment_type, status, start_date,
		termination_date, location_name, location_city, location_state, location_country, updated_at) FROM STDIN`)
	require.NoError(s.t, err)
	for _, m := range all {
		var depID, depName, locName, locCity, locState, locCountry sql.NullString
		if d := m.Department; d != nil {
			depID, depName = sql.NullString{String: d.ID, Valid: true}, sql.NullString{String: d.Name, Valid: true}
		}
		if l := m.WorkLocation; l != nil {
			locName, locCity = nullStr(l.Name), nullStr(l.City)
			locState, locCountry = nullStr(l.State), nullStr(l.Country)
		}
		_, err := stmt.Exec(m.ID, m.GivenName, m.FamilyName, m.PreferredName, m.WorkEmail, m.JobTitle, depID, depName,
			m.ManagerID, m.EmploymentType, m.Status, nullStr(m.StartDate), m.TerminationDate, locName, locCity, locState,
			locCountry, m.UpdatedAt)
		require.NoError(s.t, err)
	}
	_, err = stmt.Exec()
	require.NoError(s.t, err)
	require.NoError(s.t, stmt.Close())
	require.NoError(s.t, tx.Commit())
	d := time.Since(start)
	require.Equal(s.t, len(members), s.count("SELECT count(*) FROM floor_members"))
	return d
}

func nullStr(v any) sql.NullString {
	switch v := v.(type) {
	case string:
		return sql.NullString{String: v, Valid: v != ""}
	case *string:
		if v == nil {
			return sql.NullString{}
		}
		return sql.NullString{String: *v, Valid: true}
	}
	return sql.NullString{String: fmt.Sprint(v), Valid: true}
}

// clearPeakRSS resets the process's peak RSS (VmHWM) so the next reading is
// the peak of what follows.
func clearPeakRSS(b *testing.B, pid int) {
	require.NoError(b, os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0))
}

// peakRSSMB reads the process's VmHWM.
func peakRSSMB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(b, err)
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			require.NoError(b, err)
			return float64(kb) / 1024
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

func numCPU() int {
	raw, _ := os.ReadFile("/proc/cpuinfo")
	return max(1, strings.Count(string(raw), "processor\t:"))
}

func (r perfReport) row(n int, scenario string) (perfRow, bool) {
	for _, x := range r.Rows {
		if x.People == n && x.Scenario == scenario {
			return x, true
		}
	}
	return perfRow{}, false
}

// perfTargets checks the targets at 100,000 (else the largest size
// measured, said so) and the per-size ones at every size.
func perfTargets(r perfReport) []perfTarget {
	largest := 0
	for _, x := range r.Rows {
		largest = max(largest, x.People)
	}
	at := 100_000
	if _, ok := r.row(at, "first"); !ok {
		at = largest
	}
	where := fmt.Sprintf(" at %d", at)
	var ts []perfTarget
	if r.RateLimited {
		for _, x := range r.Rows {
			if x.Scenario == "floor" {
				continue
			}
			ts = append(ts, perfTarget{Name: fmt.Sprintf("%s sync of %d at 10 req/s ≤ 1.03× the rate-limited fetch", x.Scenario, x.People),
				Value: fmt.Sprintf("%.3f×", x.Ratio), Pass: x.Ratio <= 1.03})
			ts = append(ts, perfTarget{Name: fmt.Sprintf("%s sync of %d: no 429 from a strict (rolling-window) server", x.Scenario, x.People),
				Value: strconv.Itoa(x.RateLimited), Pass: x.RateLimited == 0})
		}
		return ts
	}
	first, _ := r.row(at, "first")
	noch, _ := r.row(at, "nochange")
	ch, _ := r.row(at, "changed")
	ts = append(ts,
		perfTarget{Name: "first sync ≤ 2.5× the bare floor" + where, Value: fmt.Sprintf("%.2f×", first.Ratio), Pass: first.Ratio <= 2.5},
		perfTarget{Name: "no-change resync writes 0 rows" + where, Value: strconv.Itoa(noch.RowsWritten), Pass: noch.RowsWritten == 0},
		perfTarget{Name: "no-change resync ≤ 1.5× the bare floor" + where, Value: fmt.Sprintf("%.2f×", noch.Ratio), Pass: noch.Ratio <= 1.5},
		perfTarget{Name: "1 % changed ≤ 1.2× the no-change resync" + where, Value: fmt.Sprintf("%.2f×", ch.Seconds/noch.Seconds), Pass: ch.Seconds <= 1.2*noch.Seconds},
	)
	maxEvents := 0
	for _, x := range r.Rows {
		maxEvents = max(maxEvents, x.Events)
	}
	ts = append(ts, perfTarget{Name: "history events ≤ 100 at every size", Value: strconv.Itoa(maxEvents), Pass: maxEvents <= 100})
	rssAt := 200_000
	if _, ok := r.row(rssAt, "first"); !ok {
		rssAt = largest
	}
	peak := 0.0
	for _, x := range r.Rows {
		if x.People == rssAt {
			peak = math.Max(peak, x.PeakRSSMB)
		}
	}
	ts = append(ts, perfTarget{Name: fmt.Sprintf("worker peak RSS ≤ 300 MB at %d", rssAt), Value: fmt.Sprintf("%.0f MB", peak), Pass: peak <= 300})
	return ts
}

func (r perfReport) table() string {
	var b strings.Builder
	b.WriteString("| people | scenario | wall time | × floor | rows written | history events | worker peak RSS | Justworks requests | 429s |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, x := range r.Rows {
		if x.Scenario == "floor" {
			fmt.Fprintf(&b, "| %d | bare floor (mean of %s) | %.3f s | 1.00 | %d (COPY) | – | – | %d | – |\n",
				x.People, floorRuns(x.FloorRuns), x.Seconds, x.People, (x.People+99)/100)
			continue
		}
		fmt.Fprintf(&b, "| %d | %s | %.3f s | %.2f | %d | %d | %.0f MB | %d | %d |\n",
			x.People, x.Scenario, x.Seconds, x.Ratio, x.RowsWritten, x.Events, x.PeakRSSMB, x.Requests, x.RateLimited)
	}
	b.WriteString("\n| target | value | result |\n|---|---:|---|\n")
	for _, t := range r.Targets {
		res := "FAIL"
		if t.Pass {
			res = "PASS"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.Name, t.Value, res)
	}
	return b.String()
}

func floorRuns(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%.3f", f)
	}
	return strings.Join(parts, " and ")
}

func (r perfReport) write(b *testing.B, dir string) {
	name := "perf"
	if r.RateLimited {
		name = "perf-limited"
	}
	js, err := json.MarshalIndent(r, "", "  ")
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(filepath.Join(dir, name+".json"), append(js, '\n'), 0o644))
	tbl := r.table()
	require.NoError(b, os.WriteFile(filepath.Join(dir, name+".md"), []byte(tbl), 0o644))

	p := plot{title: "Rostersync sync time against roster size", xLabel: "people", yLabel: "seconds"}
	if r.RateLimited {
		p.title += " at 10 req/s"
	}
	styles := []struct {
		scenario, name string
		c              color.RGBA
		dash           bool
	}{
		{"floor", "bare floor", color.RGBA{90, 90, 90, 255}, true},
		{"first", "first sync", color.RGBA{200, 60, 40, 255}, false},
		{"nochange", "no-change resync", color.RGBA{40, 110, 200, 255}, false},
		{"changed", "1% changed", color.RGBA{40, 160, 80, 255}, false},
	}
	for _, st := range styles {
		sr := series{name: st.name, color: st.c, dash: st.dash}
		for _, x := range r.Rows {
			if x.Scenario == st.scenario {
				sr.xs, sr.ys = append(sr.xs, float64(x.People)), append(sr.ys, x.Seconds)
			}
		}
		p.series = append(p.series, sr)
	}
	img, err := p.PNG()
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(filepath.Join(dir, name+".png"), img, 0o644))
	require.NoError(b, os.WriteFile(filepath.Join(dir, name+".svg"), p.SVG(), 0o644))

	fmt.Printf("\n%s\n", tbl)
	for _, t := range r.Targets {
		res := "FAIL"
		if t.Pass {
			res = "PASS"
		}
		fmt.Printf("%s  %s: %s\n", res, t.Name, t.Value)
	}
	fmt.Printf("\nwrote %s/%s.{json,md,png,svg}\n", dir, name)
}
