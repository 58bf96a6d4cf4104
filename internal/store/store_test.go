package store

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/testenv"
)

func TestOpenCreatesMissingDatabase(t *testing.T) {
	ctx := context.Background()
	admin := testenv.AdminDatabaseURL(t)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	// A name that needs quoting, as a user's might.
	name := "rs_test_open_" + strings.ReplaceAll(t.Name(), "/", "_") + "-x"
	u.Path = "/" + name
	adminDB, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adminDB.Close()
	drop := func() { _, _ = adminDB.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)") }
	drop()
	t.Cleanup(drop)

	// Several workers starting at once all succeed.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, u.String(), zap.NewNop())
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	ctx := context.Background()
	dbURL := testenv.NewDatabase(t)
	const workers = 8
	stores := make([]*Store, workers)
	for i := range stores {
		s, err := Open(ctx, dbURL, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	// And once more, sequentially: nothing to do.
	if err := stores[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	migrations, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, stores[0], "SELECT count(*) FROM schema_migrations"); got != len(migrations) {
		t.Errorf("schema_migrations has %d rows, want %d", got, len(migrations))
	}
	// The migration lock is released.
	if got := count(t, stores[0], "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"); got != 0 {
		t.Errorf("%d advisory locks still held", got)
	}
}

func TestOrgs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)

	if _, err := s.GetOrg(ctx, "acme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetOrg of a missing org: %v, want ErrNotFound", err)
	}
	in := Org{
		ID: "acme", Name: "Acme Inc.", JustworksURL: "http://127.0.0.1:8090", Username: "sync@acme.example",
		SealedPassword: []byte{1, 2, 3}, SealedTOTPSecret: []byte{4, 5, 6}, HeadName: "Ada Lovelace",
		Notify: []string{"hr@acme.example", "cto@acme.example"}, Daily: true, DailyTime: "06:30",
		TimeZone: "America/New_York", ScheduleAs: "ops@acme.example",
	}
	created, err := s.UpsertOrg(ctx, in)
	if err != nil || !created {
		t.Fatalf("UpsertOrg = %v, %v; want created", created, err)
	}
	got, err := s.GetOrg(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if got.SafetyThreshold != DefaultSafetyThreshold {
		t.Errorf("SafetyThreshold = %v, want the default", got.SafetyThreshold)
	}
	if got.Name != in.Name || got.Username != in.Username || string(got.SealedPassword) != string(in.SealedPassword) ||
		string(got.SealedTOTPSecret) != string(in.SealedTOTPSecret) || strings.Join(got.Notify, ",") != "hr@acme.example,cto@acme.example" ||
		!got.Daily || got.DailyTime != "06:30" || got.TimeZone != in.TimeZone || got.ScheduleAs != in.ScheduleAs ||
		got.CreatedAt.IsZero() {
		t.Errorf("GetOrg = %+v, want the stored %+v", got, in)
	}

	if err := s.BlockLogin(ctx, "acme", "Justworks rejected the password"); err != nil {
		t.Fatal(err)
	}
	if err := s.BlockLogin(ctx, "nope", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("BlockLogin of a missing org: %v", err)
	}
	// Changing settings other than credentials keeps the block.
	got, _ = s.GetOrg(ctx, "acme")
	got.HeadName = "Grace Hopper"
	got.SafetyThreshold = 0.35
	if created, err := s.UpsertOrg(ctx, got); err != nil || created {
		t.Fatalf("UpsertOrg update = %v, %v", created, err)
	}
	got, _ = s.GetOrg(ctx, "acme")
	if got.LoginBlocked == "" || got.HeadName != "Grace Hopper" || got.SafetyThreshold != 0.35 {
		t.Errorf("after update: %+v", got)
	}
	// New credentials lift it.
	got.SealedPassword = []byte{9, 9}
	if _, err := s.UpsertOrg(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetOrg(ctx, "acme"); got.LoginBlocked != "" {
		t.Errorf("LoginBlocked = %q after new credentials", got.LoginBlocked)
	}

	bad := []struct {
		name string
		org  Org
	}{
		{"empty id", Org{}},
		{"threshold above 1", Org{ID: "x", SafetyThreshold: 1.5}},
		{"negative threshold", Org{ID: "x", SafetyThreshold: -0.1}},
		{"bad daily time", Org{ID: "x", DailyTime: "25:00"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.UpsertOrg(ctx, tt.org); !errors.Is(err, ErrBadInput) {
				t.Errorf("UpsertOrg: %v, want ErrBadInput", err)
			}
		})
	}
	orgs, err := s.ListOrgs(ctx)
	if err != nil || len(orgs) != 1 {
		t.Errorf("ListOrgs = %d orgs, %v", len(orgs), err)
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	createOrg(t, s, "other")

	tests := []struct {
		name      string
		org       string
		email     string
		level     domain.Level
		wantErr   error
		lookup    string
		wantLevel domain.Level
	}{
		{"owner, mixed case", "acme", " Ada@Acme.Example ", domain.LevelOwner, nil, "ada@acme.example", domain.LevelOwner},
		{"lookup ignores case", "acme", "grace@acme.example", domain.LevelAdmin, nil, "GRACE@acme.example", domain.LevelAdmin},
		{"change level", "acme", "grace@acme.example", domain.LevelMember, nil, "grace@acme.example", domain.LevelMember},
		{"other org does not see it", "other", "bob@other.example", domain.LevelTechnicalOwner, nil, "bob@other.example", domain.LevelTechnicalOwner},
		{"bad level", "acme", "eve@acme.example", "superuser", ErrBadInput, "eve@acme.example", ""},
		{"empty email", "acme", "  ", domain.LevelAdmin, ErrBadInput, "", ""},
		{"missing org", "nope", "eve@acme.example", domain.LevelAdmin, ErrNotFound, "eve@acme.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetUser(ctx, tt.org, tt.email, tt.level)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("SetUser: %v, want %v", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			level, err := s.UserLevel(ctx, tt.org, tt.lookup)
			if err != nil || level != tt.wantLevel {
				t.Errorf("UserLevel = %q, %v; want %q", level, err, tt.wantLevel)
			}
		})
	}
	if level, _ := s.UserLevel(ctx, "other", "ada@acme.example"); level != "" {
		t.Errorf("ada is %q in the other org", level)
	}
	users, err := s.Users(ctx, "acme")
	if err != nil || len(users) != 2 || users[0].Email != "ada@acme.example" {
		t.Errorf("Users = %+v, %v", users, err)
	}
	if err := s.RemoveUser(ctx, "acme", "Grace@acme.example"); err != nil {
		t.Fatal(err)
	}
	if level, _ := s.UserLevel(ctx, "acme", "grace@acme.example"); level != "" {
		t.Errorf("removed user still has level %q", level)
	}
}

func TestRunsAndSessions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")

	if err := s.BeginRun(ctx, Run{RunID: "run-1", OrgID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("BeginRun for a missing org: %v", err)
	}
	for range 2 { // idempotent
		if err := s.BeginRun(ctx, Run{RunID: "run-1", OrgID: "acme", WorkflowID: "SyncRoster:acme", RequestedBy: "ada@acme.example"}); err != nil {
			t.Fatal(err)
		}
	}
	if tok, err := s.LoadSession(ctx, "run-1"); tok != nil || err != nil {
		t.Errorf("LoadSession before save = %v, %v", tok, err)
	}
	if err := s.SaveSession(ctx, "run-1", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSession(ctx, "run-1", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.LoadSession(ctx, "run-1"); string(tok) != "sealed" || err != nil {
		t.Errorf("LoadSession = %q, %v", tok, err)
	}
	if err := s.StageMembers(ctx, "run-1", 0, roster(5)); err != nil {
		t.Fatal(err)
	}
	if err := s.StageTree(ctx, "run-1", "mem_00000", resolve(roster(5))); err != nil {
		t.Fatal(err)
	}
	c := domain.Counts{Hires: 5, Problems: 1}
	if err := s.FinishRun(ctx, "run-1", domain.OutcomeApplied, c, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, "run-404", domain.OutcomeFailed, domain.Counts{}, "boom"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FinishRun of a missing run: %v", err)
	}
	for _, table := range []string{"staging_members", "staging_tree", "staging_problems", "staging_heads", "sessions"} {
		if n := count(t, s, "SELECT count(*) FROM "+table+" WHERE run_id = 'run-1'"); n != 0 {
			t.Errorf("%s still has %d rows of the finished run", table, n)
		}
	}
	if err := s.BeginRun(ctx, Run{RunID: "run-2", OrgID: "acme", RequestedBy: "schedule"}); err != nil {
		t.Fatal(err)
	}
	runs, err := s.LastRuns(ctx, "acme", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].RunID != "run-2" || runs[1].RunID != "run-1" {
		t.Fatalf("LastRuns = %+v", runs)
	}
	if r := runs[1]; r.Outcome != domain.OutcomeApplied || r.Counts != c || r.FinishedAt == nil || r.RequestedBy != "ada@acme.example" {
		t.Errorf("finished run = %+v", r)
	}
	if r := runs[0]; r.FinishedAt != nil || r.Outcome != "" {
		t.Errorf("running run = %+v", r)
	}
}

func TestNotificationClaims(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	steps := []struct {
		name      string
		do        func() (bool, error)
		wantClaim bool
	}{
		{"first claim wins", func() (bool, error) { return s.ClaimNotification(ctx, "run-1", "hr@acme.example") }, true},
		{"second claim loses", func() (bool, error) { return s.ClaimNotification(ctx, "run-1", "hr@acme.example") }, false},
		{"other recipient", func() (bool, error) { return s.ClaimNotification(ctx, "run-1", "cto@acme.example") }, true},
		{"release", func() (bool, error) { return false, s.ReleaseNotification(ctx, "run-1", "hr@acme.example") }, false},
		{"claim after release", func() (bool, error) { return s.ClaimNotification(ctx, "run-1", "hr@acme.example") }, true},
		{"mark sent", func() (bool, error) { return false, s.MarkNotified(ctx, "run-1", "hr@acme.example") }, false},
		{"release of a sent one keeps it", func() (bool, error) { return false, s.ReleaseNotification(ctx, "run-1", "hr@acme.example") }, false},
		{"claim after sent loses", func() (bool, error) { return s.ClaimNotification(ctx, "run-1", "hr@acme.example") }, false},
		{"other run", func() (bool, error) { return s.ClaimNotification(ctx, "run-2", "hr@acme.example") }, true},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.wantClaim {
			t.Errorf("%s: claimed = %v, want %v", st.name, got, st.wantClaim)
		}
	}
	// Concurrent claims: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimNotification(ctx, "run-3", "hr@acme.example")
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent claims won, want 1", wins)
	}
}

func TestPruneAndDropStaging(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createOrg(t, s, "acme")
	for _, run := range []string{"done", "running", "crashed", "dropped"} {
		if err := s.BeginRun(ctx, Run{RunID: run, OrgID: "acme"}); err != nil {
			t.Fatal(err)
		}
		if err := s.StageMembers(ctx, run, 0, roster(3)); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSession(ctx, run, []byte("tok")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().Exec("UPDATE sync_runs SET started_at = now() - interval '2 days' WHERE run_id = 'crashed'"); err != nil {
		t.Fatal(err)
	}
	// A finished run whose staging was left behind (e.g. written after FinishRun).
	if err := s.FinishRun(ctx, "done", domain.OutcomeApplied, domain.Counts{}, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.StageMembers(ctx, "done", 3, roster(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.DropStaging(ctx, "dropped"); err != nil {
		t.Fatal(err)
	}
	if tok, _ := s.LoadSession(ctx, "dropped"); tok != nil {
		t.Error("DropStaging kept the session")
	}
	// Staging whose run record is gone (its org was deleted), and an org
	// session, which is not a run's and must stay.
	createOrg(t, s, "gone")
	if err := s.BeginRun(ctx, Run{RunID: "orphan", OrgID: "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := s.StageMembers(ctx, "orphan", 0, roster(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec("DELETE FROM orgs WHERE id = 'gone'"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSession(ctx, "org:acme:abc", []byte("tok")); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneStaging(ctx, 24*time.Hour)
	if err != nil || n != 3 {
		t.Fatalf("PruneStaging = %d, %v; want 3 (done, crashed, orphan)", n, err)
	}
	for run, want := range map[string]int{"done": 0, "crashed": 0, "running": 3, "dropped": 0, "orphan": 0} {
		if got, _ := s.StagedCount(ctx, run); got != want {
			t.Errorf("%s: %d staged, want %d", run, got, want)
		}
	}
	if tok, _ := s.LoadSession(ctx, "org:acme:abc"); tok == nil {
		t.Error("PruneStaging dropped the org's session")
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{
		"postgres://rs:s3cret-pw@127.0.0.1:1/x?sslmode=disable&connect_timeout=1",
		"postgres://rs:s3cret-pw@127.0.0.1:5432/x?sslmode=disable&bogus%zz",
	} {
		_, err := Open(ctx, u, zap.NewNop())
		if err == nil {
			t.Fatalf("Open(%q) succeeded", u)
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
