package orgtree

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

func ptr(s string) *string { return &s }

func TestDisplayName(t *testing.T) {
	tests := []struct {
		given, family string
		preferred     *string
		want          string
	}{
		{"Ada", "Lovelace", nil, "Ada Lovelace"},
		{"Augusta", "Lovelace", ptr("Ada"), "Ada Lovelace"},
		{"Augusta", "Lovelace", ptr("   "), "Augusta Lovelace"},
		{"Augusta", "Lovelace", ptr(""), "Augusta Lovelace"},
		{"  Mary Ann ", "O'Brien-Smith  ", nil, "Mary Ann  O'Brien-Smith"},
		{"", "Prince", nil, "Prince"},
		{"Cher", "", nil, "Cher"},
		{"", "", nil, ""},
		{"José", "Álvarez", nil, "José Álvarez"},
		{"太郎", "山田", nil, "太郎 山田"},
	}
	for _, tt := range tests {
		if got := DisplayName(tt.given, tt.family, tt.preferred); got != tt.want {
			t.Errorf("DisplayName(%q, %q, %v) = %q, want %q", tt.given, tt.family, tt.preferred, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	nfd := "Jose\u0301 A\u0301lvarez" // José Álvarez, decomposed
	tests := []struct{ in, want string }{
		{"José Álvarez", "jose alvarez"},
		{nfd, "jose alvarez"},
		{"JOSE ALVAREZ", "jose alvarez"},
		{"  José \t\n Álvarez  ", "jose alvarez"},
		{"José\u00a0Álvarez", "jose alvarez"}, // no-break space
		{"Straße", "strasse"},
		{"İlker Çelik", "ilker celik"},
		{"Zoë O'Brien-Smith", "zoe o'brien-smith"},
		{"Łukasz", "łukasz"}, // ł is a letter, not l with a mark
		{"山田 太郎", "山田 太郎"},
		{"", ""},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFindHead(t *testing.T) {
	people := []Person{
		{ID: "mem_ceo", GivenName: "Jose\u0301", FamilyName: "Álvarez", Status: "active"},
		{ID: "mem_cto", GivenName: "Augusta", FamilyName: "Lovelace", PreferredName: ptr("Ada"), Status: "active"},
		{ID: "mem_old", GivenName: "Grace", FamilyName: "Hopper", Status: "terminated"},
		{ID: "mem_g2", GivenName: "Grace", FamilyName: "Hopper", Status: "on_leave"},
		{ID: "mem_twin2", GivenName: "Sam", FamilyName: "Lee", Status: "active"},
		{ID: "mem_twin1", GivenName: "Samuel", FamilyName: "Lee", PreferredName: ptr("Sam"), Status: "active"},
		{ID: "mem_alan", GivenName: "Alan", FamilyName: "Turing", Status: "active"},
		// A later copy of an id wins: this Alan is no longer active.
		{ID: "mem_alan", GivenName: "Alan", FamilyName: "Turing", Status: "terminated"},
	}
	tests := []struct {
		name      string
		want      string
		ambiguous []string
		closest   []string
		notFound  bool
	}{
		{name: "José Álvarez", want: "mem_ceo"},
		{name: "  jose   ALVAREZ ", want: "mem_ceo"},
		{name: "Ada Lovelace", want: "mem_cto"},
		{name: "Augusta Lovelace", want: "mem_cto"},
		{name: "Sam Lee", ambiguous: []string{"mem_twin1", "mem_twin2"}},
		{name: "Samuel Lee", want: "mem_twin1"},
		{name: "Grace Hopper", notFound: true, closest: []string{"Sam Lee"}},
		{name: "Alan Turing", notFound: true},
		{name: "Ada Lovelac", notFound: true, closest: []string{"Ada Lovelace"}},
		{name: "", notFound: true},
		{name: "   ", notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindHead(people, tt.name)
			var nf *HeadNotFoundError
			var amb *AmbiguousHeadError
			switch {
			case tt.want != "":
				if err != nil || got != tt.want {
					t.Fatalf("FindHead = %q, %v; want %q", got, err, tt.want)
				}
			case tt.ambiguous != nil:
				if !errors.As(err, &amb) || !reflect.DeepEqual(amb.IDs, tt.ambiguous) || amb.Name != tt.name {
					t.Fatalf("FindHead = %q, %v; want ambiguous %v", got, err, tt.ambiguous)
				}
			case tt.notFound:
				if !errors.As(err, &nf) || nf.Name != tt.name {
					t.Fatalf("FindHead = %q, %v; want not found", got, err)
				}
				if tt.closest != nil && !reflect.DeepEqual(nf.Closest[:len(tt.closest)], tt.closest) {
					t.Fatalf("closest = %q, want prefix %q", nf.Closest, tt.closest)
				}
				if len(nf.Closest) > 3 {
					t.Fatalf("closest has %d names", len(nf.Closest))
				}
				if err.Error() == "" {
					t.Fatal("empty message")
				}
			}
		})
	}
}

func TestFindHeadEmptyRoster(t *testing.T) {
	_, err := FindHead(nil, "Ada Lovelace")
	var nf *HeadNotFoundError
	if !errors.As(err, &nf) || len(nf.Closest) != 0 {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkFindHead200k(b *testing.B) {
	people := benchRoster(200_000, false)
	people[len(people)-1].GivenName, people[len(people)-1].FamilyName = "Ada", "Lovelace"
	for _, tc := range []struct{ name, head string }{{"match", "Ada Lovelace"}, {"no_match", "Grace Hopper"}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = FindHead(people, tc.head)
			}
		})
	}
}

// TestNearestMatchesSorting checks the top-3 selection against sorting every
// distinct name by its smallest distance.
func TestNearestMatchesSorting(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var top nearest
		best := map[string]int{}
		for range r.IntN(12) {
			name, d := string(rune('a'+r.IntN(6))), r.IntN(5)
			top.offer(name, d)
			if old, ok := best[name]; !ok || d < old {
				best[name] = d
			}
		}
		var want []scored
		for n, d := range best {
			want = append(want, scored{n, d})
		}
		sort.Slice(want, func(i, j int) bool {
			return want[i].dist < want[j].dist || want[i].dist == want[j].dist && want[i].name < want[j].name
		})
		want = want[:min(len(want), maxClosest)]
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(top.list, want) {
			t.Fatalf("top = %v, want %v", top.list, want)
		}
	}
}
