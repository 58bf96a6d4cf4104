package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/mail/mailtest"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/workflows"
)

// The fault suite (issue 8, part 5): syncs through the real worker binary,
// dev server, PostgreSQL, sandbox and SMTP peer, each under one fault, with
// the same checks after every sync:
//
//   - the stored org chart equals the roster (after syncs whose roster held
//     still while they ran; the next such sync proves convergence);
//   - no change-log row duplicated, and each run logged exactly its counts;
//   - at most one email per run and recipient;
//   - the sandbox account never locked;
//   - no secret or employee name in the worker logs, no secret, name or
//     work email in clear in any run's history.
//
// The short variant runs in `make test` (about 13 syncs of 300 people, a
// few minutes). The long one is one command (docs/faults.md):
//
//	ROSTERSYNC_FAULTS=long make test ARGS='-run TestFaultSuite -v ./internal/e2e'
//
// ROSTERSYNC_FAULTS_SEED fixes the random choices (kill points, roster
// changes, order); ROSTERSYNC_FAULTS_REPORT=FILE writes the figures as
// Markdown.
func TestFaultSuite(t *testing.T) {
	long := os.Getenv("ROSTERSYNC_FAULTS") == "long"
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("ROSTERSYNC_FAULTS_SEED"); v != "" {
		var err error
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err)
	}
	people, plan := 300, shortPlan
	if long {
		people, plan = 3000, longPlan(seed)
	}
	t.Logf("fault suite: %s, %d people, seed %d (ROSTERSYNC_FAULTS_SEED=%d repeats it)",
		map[bool]string{true: "long", false: "short"}[long], people, seed, seed)

	f := &faultSuite{
		s:     newStack(t, sandbox.Config{People: people, Seed: int64(seed%1000) + 1}),
		rng:   rand.New(rand.NewPCG(seed, seed^0x5eed)),
		kinds: map[string]int{},
		kills: map[string]int{},
	}
	f.s.setupOrg()
	f.started = time.Now()
	for i, kind := range plan {
		sc, ok := scenarios[kind]
		require.True(t, ok, "unknown scenario %q", kind)
		t.Logf("sync %d/%d: %s (%s since the first)", i+1, len(plan), kind, time.Since(f.started).Round(time.Second))
		f.runScenario(t, fmt.Sprintf("%02d-%s", i+1, kind), kind, sc)
		if long {
			f.report(t, long, people, seed) // figures so far, should a later sync fail
		}
	}
	f.checkHistories(t)
	f.report(t, long, people, seed)
}

// scenario is one sync under one fault.
type scenario struct {
	// before sets the fault up (sandbox, SMTP) before the sync starts.
	before func(f *faultSuite)
	// during injects a crash into the running sync; nil for none. It kills
	// the worker, changes the roster, and starts a new worker.
	during func(t *testing.T, f *faultSuite, wfID string)
	// unstable: the roster changes while the sync pages, so the stored
	// chart need not equal the final roster until the next sync.
	unstable bool
	// missing names a fix that has not landed: when the sync fails the way
	// that fix prevents, the scenario is skipped with this message.
	missing func(r syncResult) string
}

var shortPlan = []string{
	"baseline", "crash-fetch", "pg-terminate-apply", "crash-apply", "crash-notify",
	"rate-limit-storm", "token-expiry", "cursor-expiry", "login-outage",
	"roster-changes-while-paging", "drift-shape", "drift-enums", "baseline",
}

// longPlan: 22 syncs (and a convergence sync after each moving roster),
// every kind at least once, every crash point at least twice (login: once,
// and notify mid-send once: each costs the 2-minute StartToClose of an
// activity without heartbeats), in a seeded random order after the first
// clean sync.
func longPlan(seed uint64) []string {
	kinds := []string{
		"crash-login", "crash-fetch", "crash-fetch",
		"crash-apply", "crash-apply", "crash-apply-timed", "crash-apply-timed",
		"crash-notify", "crash-notify", "crash-notify-mid-send",
		"pg-terminate-apply", "pg-terminate-apply", "rate-limit-storm", "token-expiry", "cursor-expiry",
		"login-outage", "roster-changes-while-paging", "short-pages", "drift-shape", "drift-enums",
	}
	r := rand.New(rand.NewPCG(seed, 7))
	r.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	return append(append([]string{"baseline"}, kinds...), "baseline")
}

var scenarios = map[string]scenario{
	"baseline": {},
	"crash-login": {
		// Every request answers after 3 s, so the login is caught in flight.
		before: func(f *faultSuite) { f.s.sandbox.SetFaults(sandbox.Faults{Latency: 3 * time.Second}) },
		during: func(t *testing.T, f *faultSuite, wfID string) {
			f.waitActivity(t, wfID, "Login", 1)
			time.Sleep(time.Duration(f.rng.IntN(2000)) * time.Millisecond)
			f.crash(t, "login")
		},
	},
	"crash-fetch": {
		before: func(f *faultSuite) { f.s.sandbox.SetFaults(sandbox.Faults{Latency: 150 * time.Millisecond}) },
		during: func(t *testing.T, f *faultSuite, wfID string) {
			pages := max(1, f.people()/100)
			after := 1 + f.rng.IntN(max(1, pages-1))
			base := f.s.sandbox.Stats().MemberRequests
			require.Eventually(t, func() bool { return f.s.sandbox.Stats().MemberRequests >= base+after }, 3*time.Minute, 20*time.Millisecond, "the fetch never started")
			f.crash(t, "fetch")
		},
	},
	"crash-apply": {
		// The apply is held on its lock, inside its transaction, and the
		// worker is killed there; PostgreSQL rolls the transaction back.
		during: func(t *testing.T, f *faultSuite, wfID string) {
			release := f.s.holdApplyLock()
			defer release()
			require.Eventually(t, func() bool { return f.s.applyWaiters() == 1 }, 3*time.Minute, 50*time.Millisecond, "the apply never started")
			f.crash(t, "apply", release)
		},
	},
	"crash-apply-timed": {
		// Killed at a random moment after the apply started (it may have
		// committed or not).
		during: func(t *testing.T, f *faultSuite, wfID string) {
			f.waitActivity(t, wfID, "ApplyRoster", 1)
			time.Sleep(time.Duration(f.rng.IntN(400)) * time.Millisecond)
			f.crash(t, "apply")
		},
	},
	"crash-notify": {
		// The SMTP server answers 451 to every recipient: the notify attempt
		// fails and waits for its retry; the worker is killed then.
		before: func(f *faultSuite) { f.s.smtp.SetFault(mailtest.CmdRcpt, 451) },
		during: func(t *testing.T, f *faultSuite, wfID string) {
			f.waitActivity(t, wfID, "SendSyncSummary", 2)
			f.s.smtp.SetFault(mailtest.CmdRcpt, 0)
			f.crash(t, "notify")
		},
	},
	"crash-notify-mid-send": {
		during: func(t *testing.T, f *faultSuite, wfID string) {
			f.waitActivity(t, wfID, "SendSyncSummary", 1)
			f.crash(t, "notify")
		},
	},
	"pg-terminate-apply": {
		// The apply's connection is terminated by PostgreSQL while the apply
		// waits inside its transaction.
		during: func(t *testing.T, f *faultSuite, wfID string) {
			release := f.s.holdApplyLock()
			defer release()
			require.Eventually(t, func() bool { return f.s.applyWaiters() == 1 }, 3*time.Minute, 50*time.Millisecond, "the apply never started")
			require.Equal(t, 1, f.s.count(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()
				AND wait_event_type = 'Lock' AND query LIKE '%rostersync.apply:%' AND pid <> pg_backend_pid()`))
			f.dbKills++
		},
	},
	"rate-limit-storm": {
		before: func(f *faultSuite) {
			f.s.sandbox.SetFaults(sandbox.Faults{RateLimitEvery: 3, RetryAfter: time.Second})
		},
	},
	"token-expiry": {
		before: func(f *faultSuite) { f.s.sandbox.SetFaults(sandbox.Faults{TokenExpiryAfter: 3}) },
	},
	"cursor-expiry": {
		// One cursor expires half-way through the roster; the fetch pages
		// again from the start and then gets through. (A fixed "every Nth"
		// with N below the page count would expire every pass: the fault is
		// lifted once it has fired.)
		before: func(f *faultSuite) {
			f.cursorBase = f.s.sandbox.Stats().MemberRequests
			f.s.sandbox.SetFaults(sandbox.Faults{CursorExpireEvery: max(2, f.people()/200)})
		},
		during: func(t *testing.T, f *faultSuite, wfID string) {
			fired := f.cursorBase + max(2, f.people()/200) + 1 // the first page has no cursor
			require.Eventually(t, func() bool { return f.s.sandbox.Stats().MemberRequests >= fired }, 3*time.Minute, 10*time.Millisecond)
			f.s.sandbox.SetFaults(sandbox.Faults{})
			f.cursorExpiries++
		},
	},
	"login-outage": {
		// Every endpoint, login included, answers 5xx for 8 s.
		before: func(f *faultSuite) {
			f.s.sandbox.SetFaults(sandbox.Faults{UnavailableFrom: 0, UnavailableFor: 8 * time.Second})
		},
	},
	"roster-changes-while-paging": {
		before:   func(f *faultSuite) { f.s.sandbox.SetFaults(sandbox.Faults{MutateEvery: 2}) },
		unstable: true,
	},
	"short-pages": {
		before: func(f *faultSuite) { f.s.sandbox.SetFaults(sandbox.Faults{ShortPageEvery: 2}) },
	},
	"drift-shape": {
		// Keys of empty values left out, fields the contract does not know.
		before: func(f *faultSuite) { f.s.sandbox.SetDrift(sandbox.Drift{OmitEmpty: true, ExtraFields: true}) },
	},
	"drift-enums": {
		// A status and an employment type the contract does not list.
		before: func(f *faultSuite) {
			f.s.sandbox.Mutate(func(r *sandbox.Roster) {
				ids := f.leaves(r)
				r.Update(ids[0], func(m *justworks.Member) { m.Status = "suspended" })
				r.Update(ids[1], func(m *justworks.Member) { m.EmploymentType = "seasonal" })
			})
		},
		missing: func(r syncResult) string {
			if r.Outcome == "failed" && strings.Contains(r.Error, "is not one of") {
				return "part 3 of issue 8 (a value outside the documented enums is stored as received and reported) has not landed: " + r.Error
			}
			return ""
		},
	},
}

type faultSuite struct {
	s       *stack
	rng     *rand.Rand
	started time.Time
	syncs   int
	kinds   map[string]int // faults by kind
	kills   map[string]int // SIGKILLs by point
	changes int            // roster changes made between a crash and the restart
	dbKills int            // apply connections terminated by PostgreSQL
	// cursorBase and cursorExpiries: member requests before the cursor
	// scenario, and cursors expired by it.
	cursorBase, cursorExpiries int
	runs                       []runRef
	skipped                    []string
	checks                     int
	// expect is the roster the running sync must store (nil: the sandbox's
	// current one); unstable says the running sync's chart is not checked.
	expect   []justworks.Member
	unstable bool
}

type runRef struct{ wfID, runID string }

type syncResult struct {
	workflows.SyncSummary
	Error string
}

func (f *faultSuite) people() int { return len(f.s.sandbox.Members()) }

// runScenario runs one sync under the scenario's fault and checks it. A check
// that a missing fix makes fail is skipped as a subtest named for the
// scenario, whose skip message names the fix; the suite goes on.
func (f *faultSuite) runScenario(t *testing.T, name, kind string, sc scenario) {
	s := f.s
	clear := func() {
		s.sandbox.SetFaults(sandbox.Faults{})
		s.sandbox.SetDrift(sandbox.Drift{})
		s.smtp.SetFault(mailtest.CmdRcpt, 0)
	}
	defer clear()
	if sc.before != nil {
		sc.before(f)
	}
	f.kinds[kind]++
	ctx := context.Background()
	s.mustRun("sync", "--org", s.org, "--as", tech)
	wfID := workflows.WorkflowID(s.org)
	d, err := describeRaw(s.tc, ctx, wfID, "")
	require.NoError(t, err)
	runID := d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	f.runs = append(f.runs, runRef{wfID, runID})
	if sc.during != nil {
		sc.during(t, f, wfID)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var r syncResult
	if err := s.tc.GetWorkflow(wctx, wfID, runID).Get(wctx, &r.SyncSummary); err != nil {
		r.Outcome, r.Error = "failed", workflows.FailureMessage(err)
	}
	f.syncs++
	expect, unstable := f.expect, f.unstable || sc.unstable
	f.expect, f.unstable = nil, false
	if sc.missing != nil {
		if why := sc.missing(r); why != "" {
			f.skipped = append(f.skipped, kind+": "+why)
			f.undoEnumDrift()
			t.Run(name, func(t *testing.T) { t.Skip(why) })
			return
		}
	}
	require.Contains(t, []string{"applied", "no_changes"}, string(r.Outcome), "%+v", r)
	clear()
	f.check(t, runID, r, expect, !unstable)
	if unstable {
		// The roster moved under the fetch: the next clean sync must
		// bring the chart in line.
		t.Logf("sync %s-converge: baseline after a moving roster", name)
		f.kinds["convergence sync"]++
		f.runScenario(t, name+"-converge", "baseline", scenarios["baseline"])
		f.kinds["baseline"]--
	}
}

// crash SIGKILLs the worker (no goodbye), changes the roster, and starts a
// new worker; before runs between the kill and the restart.
func (f *faultSuite) crash(t *testing.T, point string, before ...func()) {
	s := f.s
	w := s.workers[len(s.workers)-1]
	require.NoError(t, w.Process.Kill())
	_, _ = w.Process.Wait()
	f.kills[point]++
	s.sandbox.SetFaults(sandbox.Faults{})
	switch point {
	case "apply", "notify":
		// The run had fetched before the crash: it must apply exactly that
		// roster, not the one changed below.
		f.expect = s.sandbox.Members()
	case "fetch":
		// Pages before the crash were read before the change, pages after
		// it after: the chart is checked by the next clean sync.
		f.unstable = true
	}
	f.changeRoster()
	for _, fn := range before {
		fn()
	}
	s.startWorker(s.workerBin)
	s.waitWorkerReady(len(s.workers) - 1)
}

// changeRoster hires one person, retitles one and terminates one, as HR
// might between a crash and the restart.
func (f *faultSuite) changeRoster() {
	f.s.sandbox.Mutate(func(r *sandbox.Roster) {
		leaves := f.leaves(r)
		r.Hire(justworks.Member{GivenName: "Crash", FamilyName: fmt.Sprintf("Hire%d", f.changes), EmploymentType: justworks.EmploymentFullTime,
			Status: justworks.StatusActive, StartDate: "2026-11-02", ManagerID: strp(r.HeadID()), JobTitle: strp("Engineer")})
		r.SetTitle(leaves[f.rng.IntN(len(leaves))], fmt.Sprintf("Title after crash %d", f.changes))
		r.Terminate(leaves[f.rng.IntN(len(leaves))], "2026-11-30")
	})
	f.changes += 3
}

// leaves are active members other than the head who manage nobody, by id.
func (f *faultSuite) leaves(r *sandbox.Roster) []string {
	members := r.Members()
	managers := map[string]bool{}
	for _, m := range members {
		if m.ManagerID != nil {
			managers[*m.ManagerID] = true
		}
	}
	var ids []string
	for _, m := range members {
		if m.Status == justworks.StatusActive && m.ID != r.HeadID() && !managers[m.ID] && m.TerminationDate == nil {
			ids = append(ids, m.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// undoEnumDrift puts documented values back, so later syncs are not blocked
// by a missing fix.
func (f *faultSuite) undoEnumDrift() {
	f.s.sandbox.Mutate(func(r *sandbox.Roster) {
		for _, m := range r.Members() {
			if m.Status == "suspended" {
				r.Update(m.ID, func(m *justworks.Member) { m.Status = justworks.StatusActive })
			}
			if m.EmploymentType == "seasonal" {
				r.Update(m.ID, func(m *justworks.Member) { m.EmploymentType = justworks.EmploymentFullTime })
			}
		}
	})
}

// waitActivity waits until the run's pending activity is name, at attempt
// minAttempt or later.
func (f *faultSuite) waitActivity(t *testing.T, wfID, name string, minAttempt int32) {
	require.Eventually(t, func() bool {
		d, err := describeRaw(f.s.tc, context.Background(), wfID, "")
		if err != nil {
			return false
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetActivityType().GetName() == name && pa.GetAttempt() >= minAttempt {
				return true
			}
		}
		return false
	}, 5*time.Minute, 20*time.Millisecond, "activity %s (attempt ≥ %d) never pending", name, minAttempt)
}

// check verifies the invariants after one sync.
func (f *faultSuite) check(t *testing.T, runID string, r syncResult, expect []justworks.Member, stable bool) {
	s := f.s
	// Each run logged exactly its counts, and nobody twice.
	require.Zero(t, s.count(`SELECT count(*) FROM (SELECT run_id, member_id FROM change_log WHERE org_id = $1
		GROUP BY 1, 2 HAVING count(*) > 1) d`, s.org), "a change-log row is duplicated")
	changed := r.Hires + r.Terminations + r.Rehires + r.Updates + r.Removed
	require.Equal(t, changed, s.count("SELECT count(*) FROM change_log WHERE run_id = $1", runID), "change log of run %s vs its counts %+v", runID, r.Counts)
	f.checks += 2

	// At most one email per run and recipient.
	seen := map[string]int{}
	for _, m := range s.smtp.Messages() {
		seen[m.Header.Get("Message-Id")+" "+strings.Join(m.To, ",")]++
	}
	for k, n := range seen {
		require.LessOrEqual(t, n, 1, "email %s sent %d times", k, n)
	}
	f.checks++

	require.False(t, s.sandbox.Locked(s.username), "the Justworks account is locked")
	f.checks++

	logs := s.workerLogs()
	for _, secret := range f.secrets() {
		require.NotContains(t, logs, secret, "a secret is in the worker log")
	}
	for _, m := range s.sandbox.Members() {
		require.NotContains(t, logs, name(m), "employee %s named in the worker log", m.ID)
	}
	f.checks += 2

	if stable {
		if expect == nil {
			expect = s.sandbox.Members()
		}
		f.checkChart(t, expect)
		f.checks++
	}
}

func (f *faultSuite) secrets() []string {
	pw, err := osReadFile(f.s.pwFile)
	require.NoError(f.s.t, err)
	totp, err := osReadFile(f.s.totpFile)
	require.NoError(f.s.t, err)
	return []string{strings.TrimSpace(string(pw)), strings.TrimSpace(string(totp)), f.s.getenv("ROSTERSYNC_SECRET_KEY"), "Bearer "}
}

// checkChart compares the stored chart with the sandbox's roster: every
// member stored with its values and the manager the tree rules give, and
// everyone stored but gone from the roster marked removed.
func (f *faultSuite) checkChart(t *testing.T, members []justworks.Member) {
	people := make([]orgtree.Person, len(members))
	for i, m := range members {
		people[i] = orgtree.Person{ID: m.ID, GivenName: m.GivenName, FamilyName: m.FamilyName, PreferredName: m.PreferredName, ManagerID: m.ManagerID, Status: m.Status}
	}
	tree := orgtree.Resolve(people, f.s.sandbox.Head().ID) // the head is never changed here
	x, _ := f.s.export()
	stored := map[string]map[string]any{}
	for _, p := range x.People {
		stored[p["id"].(string)] = p
	}
	str := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, m := range members {
		p, ok := stored[m.ID]
		require.True(t, ok, "member %s is not stored", m.ID)
		// Names are stored without surrounding spaces (docs/contracts.md).
		want := map[string]any{"given_name": strings.TrimSpace(m.GivenName), "family_name": strings.TrimSpace(m.FamilyName), "status": m.Status,
			"employment_type": m.EmploymentType, "job_title": str(m.JobTitle), "work_email": str(m.WorkEmail), "manager_id": nil}
		if mgr, ok := tree.Managers[m.ID]; ok {
			want["manager_id"] = mgr
		}
		for k, v := range want {
			require.Equal(t, v, p[k], "member %s: %s", m.ID, k)
		}
		delete(stored, m.ID)
	}
	for id, p := range stored {
		require.Equal(t, "removed", p["status"], "%s is stored but not in the roster", id)
	}
}

// checkHistories reads every run's history as someone without the codec key
// would: no secret, employee name or work email in clear.
func (f *faultSuite) checkHistories(t *testing.T) {
	var needles []string
	for _, m := range f.s.sandbox.Members() {
		needles = append(needles, name(m))
		if m.WorkEmail != nil {
			needles = append(needles, *m.WorkEmail)
		}
	}
	needles = append(needles, f.secrets()...)
	for _, r := range f.runs {
		d, err := describeRaw(f.s.tc, context.Background(), r.wfID, r.runID)
		require.NoError(t, err)
		require.NotEqual(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus())
		_, raw := f.s.rawHistory(r.wfID, r.runID)
		for _, n := range needles {
			require.NotContains(t, raw, n, "history of %s holds a secret or personal data in clear", r.runID)
		}
		f.checks++
	}
}

func (f *faultSuite) report(t *testing.T, long bool, people int, seed uint64) {
	var b strings.Builder
	mode := map[bool]string{true: "long", false: "short"}[long]
	fmt.Fprintf(&b, "| figure | %s run (seed %d, %d people) |\n|---|---|\n", mode, seed, people)
	fmt.Fprintf(&b, "| syncs run | %d |\n", f.syncs)
	total := 0
	for _, n := range f.kills {
		total += n
	}
	fmt.Fprintf(&b, "| worker SIGKILLs | %d (%s) |\n", total, joinCounts(f.kills))
	fmt.Fprintf(&b, "| apply connections killed (pg_terminate_backend) | %d |\n", f.dbKills)
	fmt.Fprintf(&b, "| cursors expired mid-roster | %d |\n", f.cursorExpiries)
	fmt.Fprintf(&b, "| syncs by fault kind | %s |\n", joinCounts(f.kinds))
	fmt.Fprintf(&b, "| roster changes between a crash and the restart | %d |\n", f.changes)
	fmt.Fprintf(&b, "| invariant checks passed | %d |\n", f.checks)
	fmt.Fprintf(&b, "| checks skipped (fix not landed) | %d |\n", len(f.skipped))
	fmt.Fprintf(&b, "| wall time | %s |\n", time.Since(f.started).Round(time.Second))
	for _, s := range f.skipped {
		fmt.Fprintf(&b, "\nskipped: %s\n", s)
	}
	t.Logf("fault suite figures:\n%s", b.String())
	if path := os.Getenv("ROSTERSYNC_FAULTS_REPORT"); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
}

func joinCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
