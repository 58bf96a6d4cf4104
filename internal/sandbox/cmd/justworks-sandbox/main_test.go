package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args  []string
		check func(t *testing.T, o options)
	}{
		{nil, func(t *testing.T, o options) {
			require.Equal(t, "127.0.0.1:8090", o.addr)
			require.Equal(t, 300, o.people)
			require.EqualValues(t, 1, o.seed)
			require.EqualValues(t, 10, o.rateLimit)
		}},
		{[]string{"--rate-limit", "0"}, func(t *testing.T, o options) { require.EqualValues(t, -1, o.rateLimit) }},
		{[]string{"--mutate-every", "7", "--latency", "5ms", "--unavailable-for", "1m", "--truncate-to", "3"}, func(t *testing.T, o options) {
			require.Equal(t, 7, o.faults.MutateEvery)
			require.Equal(t, 5*time.Millisecond, o.faults.Latency)
			require.Equal(t, time.Minute, o.faults.UnavailableFor)
			require.Equal(t, 3, o.faults.TruncateTo)
		}},
	}
	for _, tt := range tests {
		o, err := parse(tt.args)
		require.NoError(t, err)
		tt.check(t, o)
	}
	_, err := parse([]string{"stray"})
	require.Error(t, err)
}

func TestSecretPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	t.Setenv("SANDBOX_TEST_SECRET", "from-env")
	for _, tt := range []struct{ flag, file, want string }{
		{"from-flag", file, "from-flag"},
		{"", file, "from-file"},
		{"", "", "from-env"},
	} {
		got, err := secret(tt.flag, tt.file, "SANDBOX_TEST_SECRET")
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
}
