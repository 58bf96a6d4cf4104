package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rostersync/rostersync/internal/justworks"
)

// benchPeople is the roster size of BenchmarkApply100k; ROSTERSYNC_BENCH_PEOPLE
// overrides it (e.g. 10000 for a quick run).
func benchPeople(b *testing.B) int {
	n := 100_000
	if v := os.Getenv("ROSTERSYNC_BENCH_PEOPLE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("ROSTERSYNC_BENCH_PEOPLE=%q is not a positive number", v)
		}
	}
	return n
}

// stageRun stages members in pages of 1000, as the fetch activity does, and
// stages the tree.
func stageRun(tb testing.TB, s *Store, orgID, runID string, members []justworks.Member) {
	tb.Helper()
	ctx := context.Background()
	if err := s.BeginRun(ctx, Run{RunID: runID, OrgID: orgID}); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < len(members); i += 1000 {
		if err := s.StageMembers(ctx, runID, int64(i), members[i:min(i+1000, len(members))]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.StageTree(ctx, runID, members[0].ID, resolve(members)); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkApply100k measures staging and applying a 100,000-person roster:
// the first sync (all hires), a re-sync with no change, and a re-sync where 1 %
// of people changed. Run with -benchtime 1x.
func BenchmarkApply100k(b *testing.B) {
	ctx := context.Background()
	n := benchPeople(b)
	s := newStore(b)
	members := roster(n)

	b.Run("stage", func(b *testing.B) {
		createOrg(b, s, "stage")
		for i := 0; b.Loop(); i++ {
			stageRun(b, s, "stage", fmt.Sprintf("stage-%d", i), members)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "people/s")
	})

	apply := func(b *testing.B, orgID, runID string) ApplyResult {
		res, err := s.ApplyRoster(ctx, ApplyParams{OrgID: orgID, RunID: runID})
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	var applied time.Duration

	b.Run("first", func(b *testing.B) {
		applied = 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			org := fmt.Sprintf("first-%d", i)
			createOrg(b, s, org)
			stageRun(b, s, org, org+"-run", members)
			b.StartTimer()
			start := time.Now()
			if res := apply(b, org, org+"-run"); res.Counts.Hires != n {
				b.Fatalf("first apply: %+v", res)
			}
			applied += time.Since(start)
		}
		b.ReportMetric(float64(n)*float64(b.N)/applied.Seconds(), "people/s")
	})

	changed := append([]justworks.Member(nil), members...)
	for i := 1; i < n; i += 100 {
		changed[i].JobTitle = ptr("Senior " + *changed[i].JobTitle)
	}
	for _, tc := range []struct {
		name    string
		roster  []justworks.Member
		updates int
	}{
		{"nochange", members, 0},
		{"1pct_changed", changed, len(changed) / 100},
	} {
		b.Run(tc.name, func(b *testing.B) {
			applied = 0
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				org := fmt.Sprintf("%s-%d", tc.name, i)
				createOrg(b, s, org)
				stageRun(b, s, org, org+"-run-1", members)
				apply(b, org, org+"-run-1")
				stageRun(b, s, org, org+"-run-2", tc.roster)
				b.StartTimer()
				start := time.Now()
				if res := apply(b, org, org+"-run-2"); res.Counts.Updates != tc.updates || res.Counts.Unchanged != n-tc.updates {
					b.Fatalf("re-apply: %+v", res)
				}
				applied += time.Since(start)
			}
			b.ReportMetric(float64(n)*float64(b.N)/applied.Seconds(), "people/s")
		})
	}
}
