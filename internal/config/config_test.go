package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaults(t *testing.T) {
	c := Load(env(nil))
	require.Equal(t, DefaultDatabaseURL, c.DatabaseURL)
	require.Equal(t, DefaultTemporal, c.TemporalAddress)
	require.Equal(t, DefaultNamespace, c.Namespace)
	require.Equal(t, DefaultTaskQueue, c.TaskQueue)
	require.Contains(t, c.CodecOrigins, "http://localhost:8233")
	require.Contains(t, c.CodecOrigins, "http://127.0.0.1:8233")
}

func TestValidateWorkerNamesEveryProblem(t *testing.T) {
	err := Load(env(map[string]string{"SMTP_ADDR": "no-port", "ROSTERSYNC_JUSTWORKS_RATE_LIMIT": "fast"})).ValidateWorker()
	require.Error(t, err)
	for _, want := range []string{"ROSTERSYNC_SECRET_KEY", "SMTP_ADDR \"no-port\"", "SMTP_FROM", "ROSTERSYNC_JUSTWORKS_RATE_LIMIT \"fast\""} {
		require.Contains(t, err.Error(), want)
	}
	ok := Load(env(map[string]string{"ROSTERSYNC_SECRET_KEY": "k", "SMTP_ADDR": "127.0.0.1:25", "SMTP_FROM": "a@b", "ROSTERSYNC_JUSTWORKS_RATE_LIMIT": "-1"}))
	require.NoError(t, ok.ValidateWorker())
	require.Equal(t, -1.0, ok.JustworksRateLimit)
}

func TestRunURLEscapes(t *testing.T) {
	u := RunURL("http://web:8233/", "", "sync-roster:acme co", "r/1")
	require.Equal(t, "http://web:8233/namespaces/default/workflows/sync-roster:acme%20co/r%2F1/history", u)
	require.Empty(t, RunURL("", "default", "w", "r"))
	require.False(t, strings.Contains(u, "//namespaces"))
}
