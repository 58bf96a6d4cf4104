package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rostersync/rostersync/internal/sandbox"
)

// TestSummaryEmailSaysHowManyMoreEachSectionHolds sets a small list cap on the
// real worker and checks, in the emails as received, that every capped
// section says "… and N more" with the right N: hires, terminations, title
// changes and manager moves. (The change log's kinds and the email's section
// keys once differed, and the email said nothing.)
func TestSummaryEmailSaysHowManyMoreEachSectionHolds(t *testing.T) {
	s := newStack(t, sandbox.Config{People: 60}, withEnv("ROSTERSYNC_MAIL_LIST_LIMIT=3"))
	s.setupOrg("--notify", "people@acme.example")

	first := s.sync(tech)
	require.Equal(t, "applied", first.Outcome, "%+v", first)
	msgs, err := s.smtp.WaitFor(1, 30*time.Second)
	require.NoError(t, err)
	hires := section(t, msgs[0].Text, "Hires")
	require.Len(t, hires.items, 3)
	require.Equal(t, first.Hires-3, hires.more, "hires: %q", msgs[0].Text)
	require.Contains(t, msgs[0].HTML, "… and ")

	roster := s.sandbox.Members()
	active, _ := pick(t, roster, s.sandbox.Head().ID)
	require.GreaterOrEqual(t, len(active), 16)
	s.sandbox.Mutate(func(r *sandbox.Roster) {
		for i, m := range active[:5] {
			require.True(t, r.SetTitle(m.ID, "Title "+string(rune('A'+i))))
		}
		for _, m := range active[5:10] {
			require.True(t, r.SetManager(m.ID, active[15].ID))
		}
		for _, m := range active[10:14] {
			require.True(t, r.Terminate(m.ID, "2026-11-30"))
		}
	})
	second := s.sync(tech)
	require.Equal(t, "applied", second.Outcome, "%+v", second)
	msgs, err = s.smtp.WaitFor(2, 30*time.Second)
	require.NoError(t, err)
	text := msgs[1].Text
	for _, want := range []struct {
		title string
		total int
	}{{"Terminations", 4}, {"Title changes", 5}, {"Manager changes", 5}} {
		// Updates are listed up to the cap; a section lists those of them that
		// changed its field, and says how many more there are in all.
		sec := section(t, text, want.title)
		require.NotEmpty(t, sec.items, "%s in %q", want.title, text)
		require.LessOrEqual(t, len(sec.items), 3, "%s in %q", want.title, text)
		require.Positive(t, sec.more, "%s in %q", want.title, text)
		require.Equal(t, want.total, len(sec.items)+sec.more, "%s in %q", want.title, text)
	}
}

type mailSection struct {
	items []string
	more  int
}

// section reads one section of the text email: its "  - " lines and its
// "… and N more" line.
func section(t *testing.T, text, title string) mailSection {
	t.Helper()
	lines := strings.Split(text, "\n")
	var sec mailSection
	in := false
	for _, l := range lines {
		switch {
		case !in && strings.TrimSpace(l) == title:
			in = true
		case in && strings.HasPrefix(l, "  - "):
			sec.items = append(sec.items, l)
		case in && strings.HasPrefix(strings.TrimSpace(l), "… and "):
			var n int
			_, err := fmt.Sscanf(strings.TrimSpace(l), "… and %d more", &n)
			require.NoError(t, err, l)
			sec.more = n
			return sec
		case in:
			return sec
		}
	}
	require.True(t, in, "no section %q in %q", title, text)
	return sec
}
