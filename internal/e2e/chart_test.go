package e2e

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/sandbox"
)

// `roster export --format svg` draws the synced chart (our own layout, no
// Graphviz): one box per person not removed, the head highlighted, tree
// problems in their own highlighted section; Chromium renders it, and the
// boxes it lays out do not overlap. `--format dot` describes the same tree.
func TestRosterExportDrawsTheChart(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 300})
	s.setupOrg()
	require.Equal(t, "applied", s.sync(tech).Outcome)
	x, _ := s.export()

	svg := s.mustRun("roster", "export", "--org", s.org, "--format", "svg")
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err != nil {
			require.ErrorContains(t, err, "EOF", "the SVG is not well-formed")
			break
		}
	}
	require.Equal(t, len(x.People), strings.Count(svg, `<g id="p-`), "one box per person")
	require.Equal(t, 1, strings.Count(svg, `class="box head" transform`))
	require.Contains(t, svg, `id="p-`+*x.HeadID+`"`)
	require.Equal(t, len(x.Problems), strings.Count(svg, `class="box problem" transform`), "every tree problem highlighted")

	dot := s.mustRun("roster", "export", "--org", s.org, "--format", "dot")
	require.True(t, strings.HasPrefix(dot, "digraph orgchart {"))
	require.Equal(t, len(x.People)-1-len(x.Problems), strings.Count(dot, " -> "))

	chromium := requireChromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "chart.svg")
	require.NoError(t, os.WriteFile(page, []byte(svg), 0o644))
	b := startBrowser(t, chromium, 1600, 1000, func(cdpMsg) {})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, b.navigate(ctx, "file://"+page))
	var overlaps struct {
		Boxes    int `json:"boxes"`
		Overlaps int `json:"overlaps"`
	}
	// The browser's own geometry: no two drawn boxes intersect.
	require.Eventually(t, func() bool {
		return b.eval(ctx, `(() => {
		const r = [...document.querySelectorAll('g[id^="p-"] > rect')].map(e => e.getBoundingClientRect());
		let n = 0;
		const s = r.slice().sort((a, b) => a.left - b.left);
		for (let i = 0; i < s.length; i++)
			for (let j = i + 1; j < s.length && s[j].left < s[i].right; j++)
				if (s[j].top < s[i].bottom && s[i].top < s[j].bottom) n++;
		return {boxes: r.length, overlaps: n};
	})()`, &overlaps) == nil && overlaps.Boxes == len(x.People)
	}, 30*time.Second, 200*time.Millisecond, "Chromium drew %d boxes", overlaps.Boxes)
	require.Equal(t, len(x.People), overlaps.Boxes)
	require.Zero(t, overlaps.Overlaps)
	if out := os.Getenv("ROSTERSYNC_SCREENSHOT_DIR"); out != "" {
		shot, err := b.screenshot(ctx)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(out, "orgchart.png"), shot, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(out, "orgchart.svg"), []byte(svg), 0o644))
	}
}
