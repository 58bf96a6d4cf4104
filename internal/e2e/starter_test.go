package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/sandbox"
)

// Bad input to the CLI is a clear error with exit code 2 (3 for a refusal),
// and never a partial write.
func TestStarterRefusesBadInput(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 20})
	badTOTP := filepath.Join(s.dir, "bad-totp")
	require.NoError(t, writeFile(badTOTP, "not base32 at all!"))
	base := []string{"org", "set", "--org", s.org, "--name", "Acme", "--justworks-url", s.jwURL, "--username", s.username,
		"--password-file", s.pwFile, "--head", s.head, "--as", owner}

	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"malformed TOTP setup key", append(base, "--totp-secret-file", badTOTP), 2, "not a valid base32"},
		{"missing TOTP file for a new org", base, 2, "--totp-secret-file"},
		{"bad time of day", append(base, "--totp-secret-file", s.totpFile, "--daily", "25:00"), 2, "HH:MM"},
		{"unknown time zone", append(base, "--totp-secret-file", s.totpFile, "--daily", "06:00", "--tz", "Mars/Olympus"), 2, "time zone"},
		{"bad notify address", append(base, "--totp-secret-file", s.totpFile, "--notify", "not-an-email"), 2, "not an email"},
		{"plain http to a remote host", []string{"org", "set", "--org", s.org, "--name", "Acme", "--justworks-url", "http://justworks.example",
			"--username", s.username, "--password-file", s.pwFile, "--totp-secret-file", s.totpFile, "--head", s.head, "--as", owner}, 2, "use https"},
		{"no such command", []string{"frobnicate"}, 2, "usage"},
		{"sync without --as", []string{"sync", "--org", s.org}, 2, "--as"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := s.run(c.args...)
			require.Equal(t, c.code, code, "stdout %s stderr %s", out, errOut)
			require.Contains(t, errOut, c.says)
			require.False(t, strings.Contains(errOut, "panic"))
		})
	}
	_, errOut, code := s.run("status", "--org", s.org)
	require.Equal(t, 2, code, "no org may exist after refused org set: %s", errOut)

	// An existing org can only be changed by a technical owner or owner.
	s.setupOrg()
	_, errOut, code = s.run("org", "set", "--org", s.org, "--head", "Someone Else", "--as", admin)
	require.Equal(t, 3, code, errOut)
	require.Contains(t, errOut, "technical_owner")
	_, errOut, code = s.run("user", "set", "--org", s.org, "--email", "x@acme.example", "--level", "owner", "--as", tech)
	require.Equal(t, 3, code, errOut)
	out := s.mustRun("status", "--org", s.org)
	require.Contains(t, out, s.head, "the refused change must not be saved")
	require.NotContains(t, out, "Someone Else")
	pw, _ := readFile(s.pwFile)
	totp, _ := readFile(s.totpFile)
	for _, flag := range []string{"", "--json"} {
		args := []string{"status", "--org", s.org}
		if flag != "" {
			args = append(args, flag)
		}
		out := s.mustRun(args...)
		require.NotContains(t, out, strings.TrimSpace(pw), "status shows the password")
		require.NotContains(t, out, strings.TrimSpace(totp), "status shows the TOTP secret")
	}
}

// A sync of an org that does not exist fails at once with what to do.
func TestSyncOfUnknownOrgFailsFast(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 5})
	start := time.Now()
	out, errOut, code := s.run("sync", "--org", "no-such-org", "--as", tech, "--wait", "--json")
	require.Equal(t, 2, code, "stdout %s stderr %s", out, errOut)
	require.Contains(t, errOut, "starter org set")
	require.Less(t, time.Since(start), 30*time.Second)
}

// The stored password goes only where it was entered for, and an org keeps
// at least one owner.
func TestStarterGuardsCredentialsAndOwners(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 5})
	s.setupOrg()
	_, errOut, code := s.run("org", "set", "--org", s.org, "--justworks-url", "https://evil.example", "--as", tech)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "needs the password")
	_, errOut, code = s.run("org", "set", "--org", s.org, "--justworks-url", "http://evil.example", "--as", tech)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "must use https")
	out := s.mustRun("status", "--org", s.org)
	require.Contains(t, out, s.jwURL)

	_, errOut, code = s.run("user", "set", "--org", s.org, "--email", owner, "--level", "member", "--as", owner)
	require.Equal(t, 3, code, errOut)
	require.Contains(t, errOut, "last owner")
}
