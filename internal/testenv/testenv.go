// Package testenv gives tests the real services that the test command
// (scripts/test.sh) started: PostgreSQL and the Temporal dev server. Run alone
// (plain `go test`), tests that need them skip with a hint; under the test
// command (ROSTERSYNC_REQUIRE_SERVICES=1) a missing service fails the test, so
// CI never passes by skipping.
package testenv

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	_ "github.com/lib/pq" // PostgreSQL driver
)

const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("ROSTERSYNC_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is not available; the test command should have started it", what)
	}
	t.Skipf("%s is not available; run the whole suite with `make test`", what)
}

// AdminDatabaseURL is a URL to a PostgreSQL server where tests may create databases.
func AdminDatabaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("ROSTERSYNC_TEST_DATABASE_URL")
	if u == "" {
		u = defaultAdminURL
	}
	db, err := sql.Open("postgres", u)
	if err == nil {
		defer db.Close()
		db.SetConnMaxLifetime(time.Second)
		err = db.Ping()
	}
	if err != nil {
		missing(t, "PostgreSQL ("+err.Error()+")")
	}
	return u
}

// NewDatabase creates an empty database for one test and drops it afterwards;
// it returns the database's URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminDatabaseURL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "rs_test_" + hex.EncodeToString(b)
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// TemporalAddress is the host:port of the test command's Temporal dev server.
func TemporalAddress(t testing.TB) string {
	t.Helper()
	a := os.Getenv("ROSTERSYNC_TEST_TEMPORAL_ADDRESS")
	if a == "" {
		missing(t, "the Temporal dev server (ROSTERSYNC_TEST_TEMPORAL_ADDRESS)")
	}
	return a
}

// RepoRoot is the module root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Bin is the path of a pinned tool under bin/ (built by `make tools`); tests that
// need it skip or fail like a missing service.
func Bin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(), "bin", name)
	if _, err := os.Stat(p); err != nil {
		missing(t, p+" (run `make tools`)")
	}
	return p
}
