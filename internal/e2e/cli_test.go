package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/testenv"
)

// runBin runs a binary with env and returns stdout, stderr and the exit code.
func runBin(t *testing.T, env []string, bin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "%s %v did not exit", bin, args)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errb.String(), code
}

// -h/--help prints usage with examples on stdout and exits 0 (the worker's
// does not start a worker); --version works everywhere; a bad flag is exit 2
// with the error on stderr and nothing on stdout.
func TestCommandLineConventions(t *testing.T) {
	worker, starter := binaries(t)
	// A complete worker environment: --help must still not start a worker.
	env := append(os.Environ(), "ROSTERSYNC_SECRET_KEY=dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=",
		"SMTP_ADDR=127.0.0.1:1", "SMTP_FROM=a@b.example", "ROSTERSYNC_CODEC_ADDR=off", "ROSTERSYNC_METRICS_ADDR=off")
	for _, tc := range []struct {
		bin  string
		args []string
		want []string
	}{
		{worker, []string{"--help"}, []string{"usage: worker", "examples:", "TEMPORAL_API_KEY"}},
		{worker, []string{"-h"}, []string{"usage: worker"}},
		{starter, []string{"--help"}, []string{"usage: starter", "examples:", "roster export"}},
		{starter, []string{"-h"}, []string{"usage: starter"}},
		{starter, []string{"help", "sync"}, []string{"usage: starter sync", "--timeout", "examples:"}},
		{starter, []string{"org", "set", "--help"}, []string{"usage: starter org set", "-totp-secret-file", "examples:"}},
		{starter, []string{"user", "set", "-h"}, []string{"usage: starter user set", "examples:"}},
		{starter, []string{"sync", "--help"}, []string{"usage: starter sync", "examples:"}},
		{starter, []string{"status", "--help"}, []string{"usage: starter status", "Read-only", "examples:"}},
		{starter, []string{"roster", "export", "--help"}, []string{"usage: starter roster export", "csv", "examples:"}},
		{worker, []string{"--version"}, []string{"worker dev", "Temporal Go SDK v"}},
		{starter, []string{"--version"}, []string{"starter dev", "Temporal Go SDK v"}},
		{starter, []string{"sync", "--version"}, []string{"starter dev"}},
	} {
		out, errOut, code := runBin(t, env, tc.bin, tc.args...)
		require.Equal(t, 0, code, "%v: stderr %s", tc.args, errOut)
		require.Empty(t, errOut, "%v", tc.args)
		for _, w := range tc.want {
			require.Contains(t, out, w, "%s %v", tc.bin, tc.args)
		}
	}

	for _, tc := range []struct {
		bin  string
		args []string
		says string
	}{
		{worker, []string{"--frobnicate"}, "takes no arguments"},
		{starter, []string{"sync", "--org", "x", "--as", "y", "--frobnicate"}, "starter sync --help"},
		{starter, []string{"sync", "--org", "x", "--as", "y", "--timeout", "5m"}, "--timeout"},
		{starter, []string{"frobnicate"}, "unknown command"},
	} {
		out, errOut, code := runBin(t, env, tc.bin, tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, errOut)
		require.Empty(t, out, "%v", tc.args)
		require.Contains(t, errOut, tc.says, "%v", tc.args)
	}

	// With --json, an error is JSON on stdout too (and text on stderr).
	out, errOut, code := runBin(t, env, starter, "status", "--org", "x", "--json", "--bogus")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "starter: flag provided but not defined")
	var j struct {
		Error    string `json:"error"`
		ExitCode int    `json:"exit_code"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &j), out)
	require.Contains(t, j.Error, "-bogus")
	require.Equal(t, 2, j.ExitCode)
}

// status and roster export read; they never create the database or its
// schema, and say what to do instead.
func TestReadOnlyCommandsNeverMigrate(t *testing.T) {
	_, starter := binaries(t)
	admin := testenv.AdminDatabaseURL(t)
	empty := testenv.NewDatabase(t) // exists, no schema
	u, err := url.Parse(admin)
	require.NoError(t, err)
	missingName := "rs_never_" + randHex(4)
	u.Path = "/" + missingName
	missing := u.String()

	db, err := sql.Open("postgres", admin)
	require.NoError(t, err)
	defer db.Close()
	emptyDB, err := sql.Open("postgres", empty)
	require.NoError(t, err)
	defer emptyDB.Close()

	for _, tc := range []struct{ dbURL, says string }{{missing, "does not exist yet"}, {empty, "no Rostersync schema"}} {
		env := append(os.Environ(), "DATABASE_URL="+tc.dbURL, "TEMPORAL_ADDRESS=127.0.0.1:1", "TEMPORAL_CONFIG_FILE=/nonexistent")
		for _, args := range [][]string{
			{"status", "--org", "acme"},
			{"status", "--org", "acme", "--json"},
			{"roster", "export", "--org", "acme"},
			{"roster", "export", "--org", "acme", "--format", "csv"},
			{"sync", "--org", "acme", "--as", "a@acme.example"},
		} {
			out, errOut, code := runBin(t, env, starter, args...)
			require.Equal(t, 2, code, "%v: %s", args, errOut)
			require.Contains(t, errOut, tc.says, "%v", args)
			if args[len(args)-1] == "--json" {
				require.Contains(t, out, tc.says)
			} else {
				require.Empty(t, out)
			}
		}
	}
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", missingName).Scan(&n))
	require.Zero(t, n, "a read-only command created the database")
	require.NoError(t, emptyDB.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&n))
	require.Zero(t, n, "a read-only command created tables")
}

// sync --wait says at once when no worker polls the task queue; --timeout
// ends the wait (exit 4) and Ctrl-C too (exit 130), and the sync goes on.
func TestSyncWaitWithoutWorker(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 10})
	s.setupOrg()
	idle := append(append([]string(nil), s.env...), "ROSTERSYNC_TASK_QUEUE=idle-"+randHex(4))
	t.Cleanup(func() { _ = s.tc.TerminateWorkflow(context.Background(), "sync-roster:"+s.org, "", "test cleanup") })

	start := time.Now()
	out, errOut, code := runBin(t, idle, s.starterBin, "sync", "--org", s.org, "--as", tech, "--wait", "--timeout", "3s")
	require.Equal(t, 4, code, "stdout %s stderr %s", out, errOut)
	require.Less(t, time.Since(start), 30*time.Second)
	require.Contains(t, errOut, "warning: no worker is polling task queue \"idle-")
	require.Contains(t, errOut, "stopped waiting after --timeout 3s; the sync goes on")
	require.Contains(t, errOut, "starter status --org "+s.org)
	d, err := describeRaw(s.tc, context.Background(), "sync-roster:"+s.org, "")
	require.NoError(t, err)
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus(), "the sync must go on")

	// Ctrl-C: join the same sync, wait, interrupt.
	cmd := exec.Command(s.starterBin, "sync", "--org", s.org, "--as", tech, "--wait")
	cmd.Env = idle
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "sync sync-roster:") }, 30*time.Second, 50*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stderr.String())
	require.Equal(t, 130, ee.ExitCode(), stderr.String())
	require.Contains(t, stderr.String(), "interrupted: stopped waiting; the sync goes on")
	require.Contains(t, stderr.String(), "temporal workflow describe --workflow-id sync-roster:"+s.org)
	d, err = describeRaw(s.tc, context.Background(), "sync-roster:"+s.org, "")
	require.NoError(t, err)
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus())

	// The worker's own queue has a poller: no warning, and the sync runs.
	require.NoError(t, s.tc.TerminateWorkflow(context.Background(), "sync-roster:"+s.org, "", "test: next start on the polled queue"))
	r := s.sync(tech)
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	_, errOut, code = s.run("sync", "--org", s.org, "--as", tech)
	require.Equal(t, 0, code, errOut)
	require.NotContains(t, errOut, "no worker is polling")
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
