package orgtree

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// DisplayName is the name Rostersync shows: the preferred name when Justworks
// has a non-blank one, else the given name, then a space and the family name,
// trimmed. Inner whitespace is kept as sent, so that the store (which builds
// the same string) and this package agree byte for byte.
func DisplayName(given, family string, preferred *string) string {
	first := given
	if preferred != nil && strings.TrimSpace(*preferred) != "" {
		first = *preferred
	}
	return strings.TrimSpace(first + " " + family)
}

// Normalize maps a name to its matching key: case-folded, accents removed
// (whatever the input's normalization form), whitespace runs collapsed to one
// space and trimmed. It is for comparing names, never for showing them.
func Normalize(name string) string {
	if ascii(name) {
		return normalizeASCII(name)
	}
	// Fold first: folding can produce combining marks (İ → i + U+0307), which
	// the next step removes.
	s := cases.Fold().String(name)
	s = norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// normalizeASCII is Normalize for ASCII input, where folding is lowering and
// there are no marks: most names, and the cost of FindHead on large rosters.
func normalizeASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
