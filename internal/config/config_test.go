package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaults(t *testing.T) {
	c := Load(env(nil))
	require.Equal(t, DefaultDatabaseURL, c.DatabaseURL)
	require.Equal(t, DefaultTemporal, c.TemporalAddress)
	require.Contains(t, c.DatabaseURL, "connect_timeout=")
	require.Equal(t, DefaultNamespace, c.Namespace)
	require.Equal(t, DefaultTaskQueue, c.TaskQueue)
	require.Contains(t, c.CodecOrigins, "http://localhost:8233")
	require.Contains(t, c.CodecOrigins, "http://127.0.0.1:8233")
}

func noProfile(t *testing.T) string { return filepath.Join(t.TempDir(), "none.toml") }

// The temporal CLI's settings: a profile file, then TEMPORAL_* over it; a
// blank variable does not erase the profile's value.
func TestTemporalProfileAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "temporal.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
[profile.prod]
address = "prod.tmprl.example:7233"
namespace = "rostersync-prod"
[profile.prod.tls]
client_cert_path = "`+filepath.Join(dir, "missing.pem")+`"
client_key_path = "`+filepath.Join(dir, "missing.key")+`"
`), 0o600))
	c := Load(env(map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod", "TEMPORAL_ADDRESS": "  ", "TEMPORAL_NAMESPACE": "override"}))
	require.Equal(t, "prod.tmprl.example:7233", c.TemporalAddress)
	require.Equal(t, "override", c.Namespace)
	require.Equal(t, "mTLS", c.TemporalSecurity())
	_, err := c.TemporalOptions()
	require.ErrorContains(t, err, "TEMPORAL_TLS_CLIENT_CERT_PATH", "an unreadable certificate is reported before any dial")

	c = Load(env(map[string]string{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "staging"}))
	require.ErrorContains(t, c.ValidateWorker(), "TEMPORAL_PROFILE")
	_, err = c.TemporalOptions()
	require.ErrorContains(t, err, "staging")
}

func TestTemporalAPIKeyTurnsTLSOn(t *testing.T) {
	c := Load(env(map[string]string{"TEMPORAL_CONFIG_FILE": noProfile(t), "TEMPORAL_ADDRESS": "ns.acct.tmprl.cloud:7233", "TEMPORAL_API_KEY": "key-123"}))
	o, err := c.TemporalOptions()
	require.NoError(t, err)
	require.Equal(t, "ns.acct.tmprl.cloud:7233", o.HostPort)
	require.NotNil(t, o.ConnectionOptions.TLS)
	require.NotNil(t, o.Credentials)
	require.Equal(t, "TLS + API key", c.TemporalSecurity())

	c = Load(env(map[string]string{"TEMPORAL_CONFIG_FILE": noProfile(t), "TEMPORAL_API_KEY": "key-123", "TEMPORAL_TLS": "false"}))
	o, err = c.TemporalOptions()
	require.NoError(t, err)
	require.True(t, o.ConnectionOptions.TLSDisabled)
	require.Equal(t, "plaintext + API key", c.TemporalSecurity())

	c = Load(env(map[string]string{"TEMPORAL_CONFIG_FILE": noProfile(t)}))
	o, err = c.TemporalOptions()
	require.NoError(t, err)
	require.Equal(t, DefaultTemporal, o.HostPort)
	require.Equal(t, DefaultNamespace, o.Namespace)
	require.Nil(t, o.ConnectionOptions.TLS)
	require.Equal(t, "plaintext", c.TemporalSecurity())
}

func TestSMTPSettings(t *testing.T) {
	base := map[string]string{"ROSTERSYNC_SECRET_KEY": "k", "SMTP_FROM": "a@b", "TEMPORAL_CONFIG_FILE": noProfile(t)}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	require.Equal(t, SMTPOpportunistic, Load(env(with("SMTP_ADDR", "relay:587"))).SMTP.TLS)
	require.Equal(t, SMTPImplicit, Load(env(with("SMTP_ADDR", "relay:465"))).SMTP.TLS)
	require.Equal(t, SMTPStartTLS, Load(env(with("SMTP_ADDR", "relay:465", "SMTP_TLS", "STARTTLS"))).SMTP.TLS)

	pw := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pw, []byte("from-file\n"), 0o600))
	c := Load(env(with("SMTP_ADDR", "relay:587", "SMTP_USERNAME", "u", "SMTP_PASSWORD_FILE", pw)))
	require.NoError(t, c.ValidateWorker())
	require.Equal(t, "from-file", c.SMTP.Password)

	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"SMTP_ADDR", "relay:587", "SMTP_TLS", "maybe"}, "SMTP_TLS \"maybe\""},
		{[]string{"SMTP_ADDR", "relay:587", "SMTP_AUTH", "cram-md5"}, "SMTP_AUTH"},
		{[]string{"SMTP_ADDR", "relay:587", "SMTP_USERNAME", "u"}, "neither SMTP_PASSWORD nor SMTP_PASSWORD_FILE"},
		{[]string{"SMTP_ADDR", "relay:587", "SMTP_PASSWORD", "p"}, "SMTP_USERNAME is not"},
		{[]string{"SMTP_ADDR", "relay:587", "SMTP_USERNAME", "u", "SMTP_PASSWORD", "p", "SMTP_TLS", "none"}, "never sent without TLS"},
		{[]string{"SMTP_ADDR", "relay:587", "SMTP_USERNAME", "u", "SMTP_PASSWORD_FILE", pw + ".missing"}, "SMTP_PASSWORD_FILE"},
		{[]string{"SMTP_ADDR", "relay:587", "SMTP_USERNAME", "u", "SMTP_PASSWORD", "p", "SMTP_PASSWORD_FILE", pw}, "not both"},
	} {
		err := Load(env(with(tc.kv...))).ValidateWorker()
		require.ErrorContains(t, err, tc.want, "%v", tc.kv)
		require.NotContains(t, err.Error(), "from-file", "a password in an error message")
	}
}

func TestValidateWorkerNamesEveryProblem(t *testing.T) {
	err := Load(env(map[string]string{"SMTP_ADDR": "no-port", "ROSTERSYNC_JUSTWORKS_RATE_LIMIT": "fast", "ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN": "-5m"})).ValidateWorker()
	require.Error(t, err)
	for _, want := range []string{"ROSTERSYNC_SECRET_KEY", "SMTP_ADDR \"no-port\"", "SMTP_FROM", "ROSTERSYNC_JUSTWORKS_RATE_LIMIT \"fast\"", "ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN \"-5m\""} {
		require.Contains(t, err.Error(), want)
	}
	ok := Load(env(map[string]string{"ROSTERSYNC_SECRET_KEY": "k", "SMTP_ADDR": "127.0.0.1:25", "SMTP_FROM": "a@b", "ROSTERSYNC_JUSTWORKS_RATE_LIMIT": "-1"}))
	require.NoError(t, ok.ValidateWorker())
	require.Equal(t, -1.0, ok.JustworksRateLimit)
	require.Zero(t, ok.JustworksLoginCooldown, "unset: the guard's default")
	c := Load(env(map[string]string{"ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN": "90s"}))
	require.Equal(t, 90*time.Second, c.JustworksLoginCooldown)
}

func TestRunURLEscapes(t *testing.T) {
	u := RunURL("http://web:8233/", "", "sync-roster:acme co", "r/1")
	require.Equal(t, "http://web:8233/namespaces/default/workflows/sync-roster:acme%20co/r%2F1/history", u)
	require.Empty(t, RunURL("", "default", "w", "r"))
	require.False(t, strings.Contains(u, "//namespaces"))
}

func TestWorkerOptions(t *testing.T) {
	d := Load(env(map[string]string{}))
	require.Equal(t, [4]int{DefaultWorkerActivities, DefaultWorkerWorkflowTasks, DefaultWorkerPollers, DefaultWorkerCache},
		[4]int{d.WorkerActivities, d.WorkerWorkflowTasks, d.WorkerPollers, d.WorkerCache})
	c := Load(env(map[string]string{"ROSTERSYNC_WORKER_ACTIVITIES": "50", "ROSTERSYNC_WORKER_WORKFLOW_TASKS": "8",
		"ROSTERSYNC_WORKER_POLLERS": "2", "ROSTERSYNC_WORKER_CACHE": "100"}))
	require.Equal(t, [4]int{50, 8, 2, 100}, [4]int{c.WorkerActivities, c.WorkerWorkflowTasks, c.WorkerPollers, c.WorkerCache})
	err := Load(env(map[string]string{"ROSTERSYNC_WORKER_ACTIVITIES": "0", "ROSTERSYNC_WORKER_CACHE": "lots"})).ValidateWorker()
	require.ErrorContains(t, err, `ROSTERSYNC_WORKER_ACTIVITIES "0" is not a positive whole number`)
	require.ErrorContains(t, err, `ROSTERSYNC_WORKER_CACHE "lots"`)
}
