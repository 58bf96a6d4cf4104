package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/sandbox"
)

// No employee name reaches the worker's log at info level: not in a failed
// sync (the head-not-found error quotes the closest names, and the SDK logs
// every activity error), not in an applied one.
func TestWorkerLogNamesNoEmployee(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 60})
	s.setupOrg("--head", s.head+"x") // a typo: the closest name is the real head's
	r := s.sync(tech)
	require.Equal(t, "failed", r.Outcome, "%+v", r)
	require.Contains(t, r.Error, s.head, "the operator still sees the closest names")

	s.mustRun("org", "set", "--org", s.org, "--head", s.head, "--as", owner)
	r = s.sync(tech)
	require.Equal(t, "applied", r.Outcome, "%+v", r)

	logs := s.workerLogs()
	require.Contains(t, logs, "HeadNotFound", "the failure is still logged, by its type")
	for _, m := range s.sandbox.Members() {
		for _, n := range []string{name(m), m.GivenName + " " + m.FamilyName} {
			require.NotContains(t, logs, n, "employee %s named in the worker log", m.ID)
		}
	}
}

// workerLogs is everything the stack's workers wrote so far.
func (s *stack) workerLogs() string {
	s.t.Helper()
	files, err := filepath.Glob(filepath.Join(s.dir, "worker-*.log"))
	require.NoError(s.t, err)
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(s.t, err)
		b.Write(data)
	}
	return b.String()
}
