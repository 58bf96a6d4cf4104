package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/sandbox"
	"github.com/rostersync/rostersync/internal/tclient"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// rawHistory reads a run's history the way anyone with server access but
// without the codec key would: no data converter.
func (s *stack) rawHistory(workflowID, runID string) (*historypb.History, string) {
	s.t.Helper()
	c, err := tclient.Dial(context.Background(), config.Load(s.getenv), zap.NewNop(), tclient.Options{})
	require.NoError(s.t, err)
	defer c.Close()
	it := c.GetWorkflowHistory(context.Background(), workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(s.t, err)
		h.Events = append(h.Events, e)
	}
	// The binary form holds payload bytes verbatim: clear text would show.
	b, err := proto.Marshal(h)
	require.NoError(s.t, err)
	return h, string(b)
}

// A 10,000-person first sync, at the contract's 10 requests per second, with
// a history as long as a 30-person sync's, no member data or secret in clear
// in that history, and the sync's metrics on the worker's Prometheus endpoint.
func TestTenThousandPeopleFlatEncryptedHistory(t *testing.T) {
	metrics := freeAddr(t)
	s := newStack(t, sandbox.Config{People: 10000, Seed: 11}, withEnv("ROSTERSYNC_METRICS_ADDR="+metrics))
	s.setupOrg()
	start := time.Now()
	r := s.sync(tech)
	elapsed := time.Since(start)
	require.Equal(t, "applied", r.Outcome, "%+v", r)
	require.Equal(t, 10000, r.Hires)
	h, raw := s.rawHistory(r.WorkflowID, r.RunID)
	t.Logf("10,000-person first sync: %d history events, %s wall time (starter sync --wait)", len(h.Events), elapsed.Round(time.Millisecond))
	require.Less(t, len(h.Events), 60, "history must not grow with the org")

	pw, _ := readFile(s.pwFile)
	totp, _ := readFile(s.totpFile)
	head := s.sandbox.Head()
	for what, secret := range map[string]string{
		"password": strings.TrimSpace(pw), "TOTP secret": strings.TrimSpace(totp),
		"head's name": head.FamilyName, "requester": tech, "a work email": *s.sandbox.Members()[17].WorkEmail,
	} {
		require.NotEmpty(t, secret)
		require.False(t, strings.Contains(raw, secret), "the %s appears in clear in history", what)
	}
	require.True(t, strings.Contains(raw, "binary/encrypted"), "payloads are not encrypted")

	// The sync's metrics reach the worker's Prometheus endpoint.
	var body string
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + metrics + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		// tally flushes once a second: wait for the counts, not just the names.
		n, _ := sumMetric(body, "rostersync_people_synced_total{")
		return n > 0
	}, 10*time.Second, 200*time.Millisecond)
	require.Equal(t, 10000, metricValue(t, body, "rostersync_people_synced_total{"))
	require.Equal(t, 10000, metricValue(t, body, `rostersync_changes_total{activity_type="ApplyRoster",client_name="temporal_go",kind="hire"`))
	require.Equal(t, 1, metricValue(t, body, "rostersync_sync_duration_seconds_count{"))
	require.Contains(t, body, "temporal_activity_execution_latency", "SDK metrics are missing")
}

func readFile(p string) (string, error) {
	b, err := osReadFile(p)
	return string(b), err
}

// sumMetric sums the samples of the lines that start with prefix.
func sumMetric(body, prefix string) (int, bool) {
	total, found := 0.0, false
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			total, found = total+v, true
		}
	}
	return int(total), found
}

func metricValue(t *testing.T, body, prefix string) int {
	n, found := sumMetric(body, prefix)
	require.True(t, found, "metric %s not found in:\n%s", prefix, grepLines(body, "rostersync"))
	return n
}

func grepLines(body, substr string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
