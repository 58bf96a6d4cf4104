package activities_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/orgtree"
)

// countingMetrics is a client.MetricsHandler that sums counters by name.
type countingMetrics struct {
	mu     *sync.Mutex
	counts map[string]int64
}

func newCountingMetrics() countingMetrics {
	return countingMetrics{mu: &sync.Mutex{}, counts: map[string]int64{}}
}

func (m countingMetrics) WithTags(map[string]string) client.MetricsHandler { return m }
func (m countingMetrics) Counter(name string) client.MetricsCounter        { return counter{m, name} }
func (m countingMetrics) Gauge(string) client.MetricsGauge                 { return nopGauge{} }
func (m countingMetrics) Timer(string) client.MetricsTimer                 { return nopTimer{} }
func (m countingMetrics) get(name string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[name]
}

type counter struct {
	m    countingMetrics
	name string
}

func (c counter) Inc(n int64) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.m.counts[c.name] += n
}

type nopGauge struct{}

func (nopGauge) Update(float64) {}

type nopTimer struct{}

func (nopTimer) Record(time.Duration) {}

// A retried apply (its first attempt committed, the answer was lost) reads
// back the first result; the changes are counted once, not per attempt.
func TestApplyRetryCountsChangesOnce(t *testing.T) {
	f := newFixture(t, 40)
	m := newCountingMetrics()
	var ts testsuite.WorkflowTestSuite
	ts.SetMetricsHandler(m)
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(f.a)
	for _, step := range []any{f.a.Login, f.a.FetchMembers} {
		_, err := env.ExecuteActivity(step, f.run)
		require.NoError(t, err)
	}
	h := f.sb.Head()
	_, err := env.ExecuteActivity(f.a.ResolveOrgTree, activities.ResolveInput{RunRef: f.run, HeadName: orgtree.DisplayName(h.GivenName, h.FamilyName, h.PreferredName)})
	require.NoError(t, err)
	for attempt := 1; attempt <= 3; attempt++ {
		v, err := env.ExecuteActivity(f.a.ApplyRoster, activities.ApplyInput{RunRef: f.run})
		require.NoError(t, err)
		var res activities.ApplyResult
		require.NoError(t, v.Get(&res))
		require.Equal(t, domain.OutcomeApplied, res.Outcome)
		require.Equal(t, 40, res.Counts.Hires)
	}
	require.EqualValues(t, 1, m.get("rostersync_sync_applies"), "applies counted")
	require.EqualValues(t, 40, m.get("rostersync_changes"), "changes counted")
	require.EqualValues(t, 40, m.get("rostersync_people_synced"), "people counted")
}
