package sandbox

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/rostersync/rostersync/internal/justworks"
)

var testDay = time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC)

func displayName(m justworks.Member) string {
	given := m.GivenName
	if m.PreferredName != nil {
		given = *m.PreferredName
	}
	return strings.TrimSpace(given + " " + m.FamilyName)
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := generate(2000, 42, "", testDay)
	b := generate(2000, 42, "", testDay.Add(3*time.Hour)) // same day
	c := generate(2000, 43, "", testDay)
	ja, _ := json.Marshal(a.members)
	jb, _ := json.Marshal(b.members)
	jc, _ := json.Marshal(c.members)
	require.Equal(t, string(ja), string(jb), "same seed and day must give the same roster")
	require.Equal(t, a.company, b.company)
	require.NotEqual(t, string(ja), string(jc), "another seed must give another roster")
}

// checkRoster asserts the invariants every generated roster keeps.
func checkRoster(t *testing.T, g generated, people int) {
	t.Helper()
	require.Len(t, g.members, people)
	byID := make(map[string]*justworks.Member, people)
	heads := 0
	for i := range g.members {
		m := &g.members[i]
		if i > 0 && g.members[i-1].ID >= m.ID {
			t.Fatalf("ids not sorted and unique at %d: %s, %s", i, g.members[i-1].ID, m.ID)
		}
		byID[m.ID] = m
		if m.ManagerID == nil {
			heads++
		}
		if m.UpdatedAt.IsZero() || m.StartDate == "" {
			t.Fatalf("%s lacks updated_at or start_date", m.ID)
		}
	}
	require.Equal(t, 1, heads, "exactly one member without a manager")
	head := byID[g.headID]
	require.NotNil(t, head)
	require.Nil(t, head.ManagerID)
	require.Equal(t, justworks.StatusActive, head.Status)
	require.Equal(t, "Chief Executive Officer", *head.JobTitle)
	headName := displayName(*head)
	for i := range g.members {
		m := &g.members[i]
		if m.ManagerID != nil {
			mgr, ok := byID[*m.ManagerID]
			if !ok || mgr.Status == justworks.StatusTerminated {
				t.Fatalf("manager of %s is missing or terminated", m.ID)
			}
		}
		if m.ID != g.headID && displayName(*m) == headName {
			t.Fatalf("%s shares the head's display name %q", m.ID, headName)
		}
	}
}

func TestGenerateSizes(t *testing.T) {
	for _, people := range []int{1, 2, 9, 300, MaxPeople} {
		t.Run(strconv.Itoa(people), func(t *testing.T) {
			start := time.Now()
			g := generate(people, 7, "", testDay)
			took := time.Since(start)
			checkRoster(t, g, people)
			if people == MaxPeople {
				t.Logf("generated %d people in %s", people, took)
				require.Less(t, took, 3*time.Second)
			}
		})
	}
}

func TestGenerateVariety(t *testing.T) {
	g := generate(3000, 1, "", testDay)
	today := testDay.Format(time.DateOnly)
	byID := map[string]justworks.Member{}
	for _, m := range g.members {
		byID[m.ID] = m
	}
	depth := func(m justworks.Member) int {
		d := 0
		for m.ManagerID != nil {
			m = byID[*m.ManagerID]
			d++
		}
		return d
	}
	seen := map[string]int{}
	count := func(k string, ok bool) {
		if ok {
			seen[k]++
		}
	}
	reports := map[string]int{}
	maxDepth := 0
	for _, m := range g.members {
		maxDepth = max(maxDepth, depth(m))
		if m.ManagerID != nil {
			reports[*m.ManagerID]++
		}
		seen["status:"+m.Status]++
		seen["type:"+m.EmploymentType]++
		switch m.Status {
		case justworks.StatusPending:
			require.Greater(t, m.StartDate, today, "pending starts in the future")
		case justworks.StatusTerminated:
			require.NotNil(t, m.TerminationDate)
			require.LessOrEqual(t, *m.TerminationDate, today, "terminated in the past")
		}
		count("scheduled", m.Status == justworks.StatusActive && m.TerminationDate != nil && *m.TerminationDate > today)
		name := m.GivenName + " " + m.FamilyName
		for _, sc := range []*unicode.RangeTable{unicode.Cyrillic, unicode.Greek, unicode.Han, unicode.Arabic, unicode.Hangul} {
			count("script:"+scriptName(sc), strings.IndexFunc(name, func(r rune) bool { return unicode.Is(sc, r) }) >= 0)
		}
		count("nfd", !norm.NFC.IsNormalString(name))
		count("accented-nfc", norm.NFC.IsNormalString(name) && strings.ContainsAny(name, "éöüñçåø"))
		count("apostrophe", strings.Contains(name, "'"))
		count("hyphen", strings.Contains(name, "-"))
		count("extra-space", name != strings.Join(strings.Fields(name), " "))
		count("preferred", m.PreferredName != nil)
		count("no-email", m.WorkEmail == nil)
		count("no-title", m.JobTitle == nil)
		count("no-department", m.Department == nil)
		count("no-location", m.WorkLocation == nil)
	}
	for _, k := range []string{
		"status:active", "status:pending", "status:on_leave", "status:terminated", "scheduled",
		"type:full_time", "type:part_time", "type:contractor", "type:intern",
		"script:cyrillic", "script:greek", "script:han", "script:arabic", "script:hangul",
		"nfd", "accented-nfc", "apostrophe", "hyphen", "extra-space", "preferred",
		"no-email", "no-title", "no-department", "no-location",
	} {
		require.Positive(t, seen[k], "roster has %s", k)
	}
	require.Greater(t, seen["status:active"], 3000/2, "mostly active")
	require.GreaterOrEqual(t, maxDepth, 3, "tree several levels deep")
	for mgr, n := range reports {
		require.LessOrEqual(t, n, 8, "span of %s", mgr)
	}
}

func scriptName(t *unicode.RangeTable) string {
	for name, tab := range unicode.Scripts {
		if tab == t {
			return strings.ToLower(name)
		}
	}
	return "?"
}

func TestAppendMemberMatchesEncodingJSON(t *testing.T) {
	g := generate(3000, 3, "", testDay)
	odd := g.members[0]
	odd.GivenName = "quote\" back\\ <tag> & \b\f\n\r\t\x01 \u2028\u2029 bad\xff"
	odd.UpdatedAt = time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for _, m := range append(g.members, odd) {
		want, err := json.Marshal(m)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendMember(nil, &m)))
	}
}
