package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/rostersync/rostersync/internal/justworks"
)

// CompanyPrefix is the path prefix under which Companies serves one company:
// company KEY's contract lives at /c/KEY/v1/..., so its base URL is
// SERVER/c/KEY.
const CompanyPrefix = "/c/"

var companyKey = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Companies serves many companies from one process, as Justworks serves
// every customer: each company is a Server of its own, with its own account,
// roster, faults, statistics and per-token rate limit. It is an
// http.Handler, safe for concurrent use.
type Companies struct {
	byKey map[string]*Server
}

// NewCompanies makes one Server per config; keys name them in URLs
// (lower-case letters, digits and dashes).
func NewCompanies(cfgs map[string]Config) (*Companies, error) {
	c := &Companies{byKey: make(map[string]*Server, len(cfgs))}
	for key, cfg := range cfgs {
		if !companyKey.MatchString(key) {
			return nil, fmt.Errorf("sandbox: company key %q must be lower-case letters, digits and dashes", key)
		}
		srv, err := New(cfg)
		if err != nil {
			return nil, fmt.Errorf("sandbox: company %s: %w", key, err)
		}
		c.byKey[key] = srv
	}
	return c, nil
}

// Company is the server of company key, or nil.
func (c *Companies) Company(key string) *Server { return c.byKey[key] }

// Keys lists the companies' keys in order.
func (c *Companies) Keys() []string {
	keys := make([]string, 0, len(c.byKey))
	for k := range c.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// BaseURL is company key's base URL under server (e.g. an httptest URL).
func BaseURL(server, key string) string {
	return strings.TrimRight(server, "/") + CompanyPrefix + key
}

// ServeHTTP hands /c/KEY/rest to company KEY's server as /rest.
func (c *Companies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, CompanyPrefix)
	key, path, _ := strings.Cut(rest, "/")
	srv := c.byKey[key]
	if !ok || srv == nil {
		writeError(w, http.StatusNotFound, justworks.CodeNotFound, "no such company: "+r.URL.Path)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + path
	r2.URL.RawPath = ""
	srv.ServeHTTP(w, r2)
}
