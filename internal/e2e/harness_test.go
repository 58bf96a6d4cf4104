package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/mail/mailtest"
	"github.com/rostersync/rostersync/internal/orgtree"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/tclient"
	"github.com/rostersync/rostersync/internal/testenv"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the worker and starter once per test binary, as a user would.
func binaries(t testing.TB) (worker, starter string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "rostersync-e2e-bin-")
		if buildErr != nil {
			return
		}
		for _, p := range []string{"worker", "starter"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, p), "./"+p)
			cmd.Dir = testenv.RepoRoot()
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build ./%s: %v\n%s", p, err, out)
				return
			}
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(binDir, "worker"), filepath.Join(binDir, "starter")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// stack is one test's Rostersync: a fresh database, its own task queue and
// org, a sandbox company, an SMTP peer and a worker process.
type stack struct {
	t          testing.TB
	dir        string
	org        string
	env        []string
	starterBin string
	sandbox    *sandbox.Server
	jwURL      string
	smtp       *mailtest.Server
	db         *sql.DB
	tc         client.Client
	head       string
	pwFile     string
	totpFile   string
	username   string
	workerBin  string
	workers    []*exec.Cmd
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// option adjusts a stack before its worker starts.
type option func(*stack)

// withEnv sets worker and starter environment variables.
func withEnv(kv ...string) option {
	return func(s *stack) { s.env = append(s.env, kv...) }
}

func newStack(t testing.TB, sb sandbox.Config, opts ...option) *stack {
	t.Helper()
	workerBin, starterBin := binaries(t)
	dbURL := testenv.NewDatabase(t)
	temporalAddr := testenv.TemporalAddress(t)
	s := &stack{t: t, dir: t.TempDir(), org: "acme-" + randHex(4), starterBin: starterBin}

	secret, err := sandbox.GenerateTOTPSecret()
	require.NoError(t, err)
	password := "pw-" + randHex(8)
	s.username = "people-ops@acme.example"
	sb.Username, sb.Password, sb.TOTPSecret = s.username, password, secret
	if sb.Seed == 0 {
		sb.Seed = 42
	}
	s.sandbox, err = sandbox.New(sb)
	require.NoError(t, err)
	srv := httptest.NewServer(s.sandbox)
	t.Cleanup(srv.Close)
	s.jwURL = srv.URL
	h := s.sandbox.Head()
	s.head = orgtree.DisplayName(h.GivenName, h.FamilyName, h.PreferredName)

	s.pwFile = filepath.Join(s.dir, "password")
	s.totpFile = filepath.Join(s.dir, "totp")
	require.NoError(t, os.WriteFile(s.pwFile, []byte(password+"\n"), 0o600))
	require.NoError(t, os.WriteFile(s.totpFile, []byte(secret+"\n"), 0o600))

	s.smtp = mailtest.Start(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s.env = append(os.Environ(),
		"DATABASE_URL="+dbURL,
		"TEMPORAL_ADDRESS="+temporalAddr,
		"TEMPORAL_NAMESPACE=default",
		// No developer's ~/.config/temporalio/temporal.toml profile.
		"TEMPORAL_CONFIG_FILE="+filepath.Join(s.dir, "no-temporal.toml"),
		"ROSTERSYNC_TASK_QUEUE=e2e-"+s.org,
		"ROSTERSYNC_SECRET_KEY="+base64.StdEncoding.EncodeToString(key),
		"ROSTERSYNC_CODEC_KEYS=",
		"SMTP_ADDR="+s.smtp.Addr(),
		"SMTP_FROM=rostersync@acme.example",
		"ROSTERSYNC_WEB_URL=http://127.0.0.1:8233",
		"ROSTERSYNC_CODEC_ADDR=off",
		"ROSTERSYNC_METRICS_ADDR=off",
		"ROSTERSYNC_LOG_LEVEL=info",
	)
	for _, o := range opts {
		o(s)
	}
	s.db, err = sql.Open("postgres", dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { s.db.Close() })

	keys, err := codec.FromEnv(s.getenv)
	require.NoError(t, err)
	s.tc, err = tclient.Dial(context.Background(), config.Load(s.getenv), zap.NewNop(), tclient.Options{Keys: keys})
	require.NoError(t, err)
	t.Cleanup(s.tc.Close)

	s.startWorker(workerBin)
	s.waitMigrated()
	return s
}

// waitMigrated waits until the worker has migrated the test's database:
// read-only starter commands never migrate, and on a busy machine they can
// otherwise reach the database first.
func (s *stack) waitMigrated() {
	s.t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "internal", "store", "migrations", "*.sql"))
	require.NoError(s.t, err)
	require.Eventually(s.t, func() bool {
		var n int
		return s.db.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n) == nil && n >= len(files)
	}, 2*time.Minute, 50*time.Millisecond, "the worker did not migrate the database")
}

func (s *stack) getenv(k string) string {
	for i := len(s.env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(s.env[i], k+"="); ok {
			return v
		}
	}
	return ""
}

// startWorker starts a worker process; it is stopped when the test ends.
func (s *stack) startWorker(bin string) *exec.Cmd {
	s.workerBin = bin
	logPath := filepath.Join(s.dir, fmt.Sprintf("worker-%d.log", len(s.workers)))
	logf, err := os.Create(logPath)
	require.NoError(s.t, err)
	cmd := exec.Command(bin)
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, logf, logf
	require.NoError(s.t, cmd.Start())
	s.workers = append(s.workers, cmd)
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if s.t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			s.t.Logf("worker log %s (tail):\n%s", logPath, b)
		}
	})
	return cmd
}

// run runs the starter with args and returns stdout, stderr and the exit code.
func (s *stack) run(args ...string) (string, string, int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.starterBin, args...)
	cmd.Env = s.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("starter %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// mustRun runs the starter and fails the test unless it exits 0.
func (s *stack) mustRun(args ...string) string {
	s.t.Helper()
	out, errOut, code := s.run(args...)
	require.Equal(s.t, 0, code, "starter %v\nstdout: %s\nstderr: %s", args, out, errOut)
	return out
}

const owner, tech, admin = "owner@acme.example", "tech@acme.example", "admin@acme.example"

// setupOrg connects the org with a technical owner and an admin.
func (s *stack) setupOrg(extra ...string) {
	s.t.Helper()
	args := append([]string{"org", "set", "--org", s.org, "--name", "Acme <Test> & Co", "--justworks-url", s.jwURL,
		"--username", s.username, "--password-file", s.pwFile, "--totp-secret-file", s.totpFile,
		"--head", s.head, "--notify", "people@acme.example,cfo@acme.example", "--daily", "06:30", "--tz", "Europe/Berlin",
		"--as", owner}, extra...)
	s.mustRun(args...)
	s.mustRun("user", "set", "--org", s.org, "--email", tech, "--level", "technical_owner", "--as", owner)
	s.mustRun("user", "set", "--org", s.org, "--email", admin, "--level", "admin", "--as", owner)
}

type syncOut struct {
	WorkflowID   string `json:"workflow_id"`
	RunID        string `json:"run_id"`
	Outcome      string `json:"outcome"`
	Hires        int    `json:"hires"`
	Terminations int    `json:"terminations"`
	Rehires      int    `json:"rehires"`
	Returned     int    `json:"returned"`
	Skipped      int    `json:"skipped"`
	Updates      int    `json:"updates"`
	Unchanged    int    `json:"unchanged"`
	Removed      int    `json:"removed"`
	Problems     int    `json:"problems"`
	Error        string `json:"error"`
	code         int
}

// sync runs `starter sync --wait --json` as who and decodes its JSON.
func (s *stack) sync(who string) syncOut {
	s.t.Helper()
	out, errOut, code := s.run("sync", "--org", s.org, "--as", who, "--wait", "--json")
	var r syncOut
	require.NoError(s.t, json.Unmarshal([]byte(out), &r), "stdout: %s\nstderr: %s", out, errOut)
	r.code = code
	return r
}

type exported struct {
	Org      string           `json:"org"`
	HeadID   *string          `json:"head_id"`
	People   []map[string]any `json:"people"`
	Problems []map[string]any `json:"problems"`
}

func (s *stack) export() (exported, string) {
	s.t.Helper()
	out := s.mustRun("roster", "export", "--org", s.org, "--format", "json")
	var x exported
	require.NoError(s.t, json.Unmarshal([]byte(out), &x))
	return x, out
}

func (s *stack) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	require.NoError(s.t, s.db.QueryRow(query, args...).Scan(&n))
	return n
}
