package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/sandbox"
)

// The login guard's bounds (activities/loginguard.go), as an operator sees
// them: two unheard password steps, a cool-down, one more, then a stop.
const (
	maxUnheardSteps = 3
	lockThreshold   = 5 // the sandbox locks after 5 consecutive failed logins, as Justworks
	testCooldown    = "4s"
)

// wrongPassword points the org at a password Justworks rejects.
func (s *stack) wrongPassword() {
	s.t.Helper()
	wrong := s.dir + "/wrong"
	require.NoError(s.t, writeFile(wrong, "not-the-password"))
	s.mustRun("org", "set", "--org", s.org, "--password-file", wrong, "--as", tech)
}

// A backend that counts a wrong password and then answers 503: every
// verdict is lost. Through real activity retries (one new client per
// attempt, on either of two worker processes) the workers send the password three times, the sandbox's failure
// count stops at 3 of 5, the run ends failed with a message that says what
// happened and how to resume, and later runs send nothing until an operator
// re-enters the password.
func TestUnheardWrongPasswordNeverLocksTheAccount(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30}, withEnv("ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN="+testCooldown))
	s.startWorker(s.workerBin) // two worker processes share the attempts
	s.setupOrg()
	s.wrongPassword()
	s.sandbox.SetFaults(sandbox.Faults{Login: sandbox.LoginFaults{JudgeThenUnavailable: true}})
	s.sandbox.ResetStats()

	r := s.sync(tech)
	require.Equal(t, 1, r.code, "%+v", r)
	require.Equal(t, "failed", r.Outcome)
	require.Contains(t, r.Error, "3 times in a row without hearing Justworks' verdict")
	require.Contains(t, r.Error, "starter org set --org "+s.org+" --resume-logins")
	require.NotContains(t, r.Error, "not-the-password")
	acct := s.sandbox.Account(s.username)
	require.Equal(t, maxUnheardSteps, s.sandbox.Stats().LoginAttempts, "password steps")
	require.Equal(t, maxUnheardSteps, acct.MaxFailures)
	require.Less(t, acct.MaxFailures, lockThreshold)
	require.False(t, acct.Locked)
	out := s.mustRun("status", "--org", s.org)
	require.Contains(t, out, "without hearing Justworks' verdict", "starter status shows why logins stopped")

	// The next run, even with Justworks healthy again, sends nothing.
	s.sandbox.SetFaults(sandbox.Faults{})
	r = s.sync(tech)
	require.Equal(t, "failed", r.Outcome)
	require.Contains(t, r.Error, "stopped")
	require.Equal(t, maxUnheardSteps, s.sandbox.Stats().LoginAttempts)

	// The runbook's resume: the right password, re-entered.
	s.mustRun("org", "set", "--org", s.org, "--password-file", s.pwFile, "--as", tech)
	r = s.sync(tech)
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.False(t, s.sandbox.Account(s.username).Locked)
	require.Zero(t, s.count("SELECT count(*) FROM login_guard"), "a login clears the record")
}

// A wrong password answered slower than the worker's Justworks timeout: each
// verdict is lost to the timeout. The sandbox counts every attempt; it never
// reaches the lock.
func TestSlowRejectionNeverLocksTheAccount(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30}, withEnv("ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN="+testCooldown))
	s.setupOrg()
	s.wrongPassword()
	s.sandbox.SetFaults(sandbox.Faults{Login: sandbox.LoginFaults{SlowRejection: 25 * time.Second}})
	s.sandbox.ResetStats()

	r := s.sync(tech)
	require.Equal(t, "failed", r.Outcome, "%+v", r)
	require.Contains(t, r.Error, "without hearing Justworks' verdict")
	require.Contains(t, r.Error, "no answer from Justworks", "the last unheard step's reason")
	acct := s.sandbox.Account(s.username)
	require.Equal(t, maxUnheardSteps, s.sandbox.Stats().LoginAttempts)
	require.Less(t, acct.MaxFailures, lockThreshold)
	require.False(t, acct.Locked)
}

// Two steps go unheard, the cool-down passes, and the login endpoint still
// does not answer the probe: the run ends failed without a third password,
// saying so. The record outlives the run: the next run (Justworks healthy)
// sends exactly one password and applies.
func TestCooldownThenProbeEndsTheRunAndTheNextRunResumes(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30}, withEnv("ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN="+testCooldown))
	s.setupOrg()
	s.sandbox.SetFaults(sandbox.Faults{Login: sandbox.LoginFaults{JudgeThenUnavailable: true}})
	s.sandbox.ResetStats()

	done := make(chan syncOut, 1)
	go func() { done <- s.sync(tech) }()
	// After the second unheard step, the login endpoint goes down entirely.
	require.Eventually(t, func() bool { return s.sandbox.Stats().LoginAttempts >= 2 }, time.Minute, 20*time.Millisecond)
	s.sandbox.SetFaults(sandbox.Faults{Login: sandbox.LoginFaults{Unavailable: true}})
	var r syncOut
	select {
	case r = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("the sync did not end")
	}
	require.Equal(t, "failed", r.Outcome, "%+v", r)
	require.Contains(t, r.Error, "still does not answer")
	require.Contains(t, r.Error, "starter sync --org "+s.org)
	require.Equal(t, 2, s.sandbox.Stats().LoginAttempts, "no third password into a login endpoint that does not answer")
	require.Positive(t, s.sandbox.Stats().LoginProbes)

	s.sandbox.SetFaults(sandbox.Faults{})
	r = s.sync(tech)
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Equal(t, 3, s.sandbox.Stats().LoginAttempts)
}

// The login endpoint alone fails (503, then hangs) while the rest of the
// API answers: the probe keeps the password home through the whole outage,
// and the sync logs in with one password step once it ends.
func TestLoginEndpointOutageSendsNoPassword(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30})
	s.setupOrg()
	s.sandbox.SetFaults(sandbox.Faults{Login: sandbox.LoginFaults{Unavailable: true}})
	s.sandbox.ResetStats()

	done := make(chan syncOut, 1)
	go func() { done <- s.sync(tech) }()
	require.Eventually(t, func() bool { return s.sandbox.Stats().LoginProbes >= 2 }, time.Minute, 20*time.Millisecond)
	s.sandbox.SetFaults(sandbox.Faults{Login: sandbox.LoginFaults{Hang: time.Hour}})
	probes := s.sandbox.Stats().LoginProbes
	require.Eventually(t, func() bool { return s.sandbox.Stats().LoginProbes > probes }, time.Minute, 20*time.Millisecond)
	require.Zero(t, s.sandbox.Stats().LoginAttempts, "no password during the outage")
	s.sandbox.SetFaults(sandbox.Faults{})

	var r syncOut
	select {
	case r = <-done:
	case <-time.After(4 * time.Minute):
		t.Fatal("the sync did not end")
	}
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Equal(t, 1, s.sandbox.Stats().LoginAttempts)
}

// A worker killed (SIGKILL) while its password step waits for a slow verdict
// cannot take the step's count with it: the step was counted before the
// password left. Another worker process continues the sync, and the bound
// holds across both: three password steps in all.
func TestWorkerKilledMidPasswordStepKeepsTheCount(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30}, withEnv("ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN="+testCooldown))
	s.setupOrg()
	s.wrongPassword()
	s.sandbox.SetFaults(sandbox.Faults{Login: sandbox.LoginFaults{SlowRejection: 25 * time.Second}})
	s.sandbox.ResetStats()
	s.mustRun("sync", "--org", s.org, "--as", tech)

	require.Eventually(t, func() bool { return s.sandbox.Stats().LoginAttempts == 1 }, time.Minute, 20*time.Millisecond)
	require.NoError(t, s.workers[0].Process.Kill())
	require.Equal(t, 1, s.count("SELECT unheard FROM login_guard"), "counted before the password left")
	s.startWorker(s.workerBin)

	r := s.sync(tech) // joins the running sync
	require.Equal(t, "failed", r.Outcome, "%+v", r)
	require.Contains(t, r.Error, "3 times in a row without hearing Justworks' verdict")
	acct := s.sandbox.Account(s.username)
	require.Equal(t, maxUnheardSteps, s.sandbox.Stats().LoginAttempts)
	require.Less(t, acct.MaxFailures, lockThreshold)
	require.False(t, acct.Locked)
}

// The runbook's other resume: the password was right all along (the backend
// lost the answers), so after checking the account an operator lifts the
// stop without new credentials, and the next sync logs in.
func TestResumeLoginsAfterTheGuardStopped(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 30}, withEnv("ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN="+testCooldown))
	s.setupOrg()
	s.sandbox.SetFaults(sandbox.Faults{Login: sandbox.LoginFaults{JudgeThenUnavailable: true}})
	s.sandbox.ResetStats()
	r := s.sync(tech)
	require.Equal(t, "failed", r.Outcome, "%+v", r)
	require.Contains(t, r.Error, "without hearing Justworks' verdict")
	require.Equal(t, maxUnheardSteps, s.sandbox.Stats().LoginAttempts)

	s.sandbox.SetFaults(sandbox.Faults{})
	// Re-entering the same password changes nothing (it is no new credential)...
	s.mustRun("org", "set", "--org", s.org, "--password-file", s.pwFile, "--as", tech)
	require.Contains(t, s.sync(tech).Error, "stopped")
	require.Equal(t, maxUnheardSteps, s.sandbox.Stats().LoginAttempts)
	// ...the explicit resume does.
	s.mustRun("org", "set", "--org", s.org, "--resume-logins", "--as", tech)
	require.NotContains(t, s.mustRun("status", "--org", s.org), "LOGINS STOPPED")
	r = s.sync(tech)
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Equal(t, maxUnheardSteps+1, s.sandbox.Stats().LoginAttempts)
}
