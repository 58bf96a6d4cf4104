package deploycheck

import (
	"encoding/json"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

type stage struct {
	name       string // AS name, else its index
	base       string // FROM image, ARGs expanded
	env        map[string]string
	runs       []string
	copies     []copyInstr
	entrypoint []string
	user       string
	files      []string // paths this stage copies in (destination paths)
}

type copyInstr struct {
	from string
	srcs []string
	dst  string
}

type dockerfile struct {
	args   map[string]string // global ARG defaults
	stages []*stage
}

// instructions splits a Dockerfile into instructions: comments dropped,
// continuation lines joined.
func instructions(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	return out
}

var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

func expandArgs(s string, args map[string]string) string {
	return argRef.ReplaceAllStringFunc(s, func(m string) string {
		name := argRef.FindStringSubmatch(m)[1]
		if v, ok := args[name]; ok {
			return v
		}
		return m
	})
}

// execForm parses a JSON exec form (["a", "b"]); ok is false for shell form.
func execForm(s string) ([]string, bool) {
	var xs []string
	if !strings.HasPrefix(strings.TrimSpace(s), "[") || json.Unmarshal([]byte(s), &xs) != nil {
		return nil, false
	}
	return xs, true
}

func parseDockerfile(t testing.TB) dockerfile {
	t.Helper()
	df := dockerfile{args: map[string]string{}}
	var cur *stage
	for _, ins := range instructions(readRepoFile(t, "Dockerfile")) {
		op, rest, _ := strings.Cut(ins, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(op) {
		case "ARG":
			if cur == nil {
				k, v, _ := strings.Cut(rest, "=")
				df.args[k] = strings.Trim(v, `"`)
			}
		case "FROM":
			fields := strings.Fields(rest)
			for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
				fields = fields[1:]
			}
			if len(fields) == 0 {
				t.Fatalf("Dockerfile: %q names no image", ins)
			}
			cur = &stage{base: expandArgs(fields[0], df.args), env: map[string]string{}}
			cur.name = strconv.Itoa(len(df.stages))
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				cur.name = fields[2]
			}
			df.stages = append(df.stages, cur)
		case "ENV":
			if cur == nil {
				continue
			}
			if !strings.Contains(strings.Fields(rest)[0], "=") {
				k, v, _ := strings.Cut(rest, " ")
				cur.env[k] = strings.TrimSpace(v)
				continue
			}
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				cur.env[k] = strings.Trim(v, `"`)
			}
		case "RUN":
			if cur != nil {
				cur.runs = append(cur.runs, rest)
			}
		case "COPY", "ADD":
			if cur == nil {
				continue
			}
			c := copyInstr{}
			fields := strings.Fields(rest)
			for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
				if v, ok := strings.CutPrefix(fields[0], "--from="); ok {
					c.from = v
				}
				fields = fields[1:]
			}
			if len(fields) < 2 {
				t.Fatalf("Dockerfile: %q: want sources and a destination", ins)
			}
			c.srcs, c.dst = fields[:len(fields)-1], fields[len(fields)-1]
			cur.copies = append(cur.copies, c)
			for _, src := range c.srcs {
				dst := c.dst
				if strings.HasSuffix(dst, "/") || len(c.srcs) > 1 {
					dst = path.Join(dst, path.Base(src))
				}
				cur.files = append(cur.files, dst)
			}
		case "ENTRYPOINT":
			if cur == nil {
				continue
			}
			xs, ok := execForm(rest)
			if !ok {
				t.Fatalf("Dockerfile: ENTRYPOINT %s: use the exec form [\"...\"] (the final image has no shell)", rest)
			}
			cur.entrypoint = xs
		case "USER":
			if cur != nil {
				cur.user = rest
			}
		}
	}
	if len(df.stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s); want a build stage and a final stage", len(df.stages))
	}
	return df
}

// buildStage is the stage that runs `go build`.
func (df dockerfile) buildStage(t testing.TB) *stage {
	t.Helper()
	var found []*stage
	for _, s := range df.stages {
		for _, r := range s.runs {
			if strings.Contains(r, "go build") {
				found = append(found, s)
				break
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one Dockerfile stage running go build, found %d", len(found))
	}
	return found[0]
}

func TestDockerfileGoVersionMatchesGoMod(t *testing.T) {
	df := parseDockerfile(t)
	b := df.buildStage(t)
	repo, tag := splitImage(b.base)
	if repo != "golang" && repo != "docker.io/library/golang" {
		t.Fatalf("the build stage starts from %s, want golang", b.base)
	}
	m := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	want := m[1] + "." + m[2]
	tm := regexp.MustCompile(`^(\d+)\.(\d+)(\.\d+)?(-|$)`).FindStringSubmatch(tag)
	if tm == nil {
		t.Fatalf("build stage image %s: tag %q does not start with a Go version", b.base, tag)
	}
	if got := tm[1] + "." + tm[2]; got != want {
		t.Errorf("build stage image %s is Go %s, go.mod says go %s", b.base, got, want)
	}
}

// mainPackages lists the module's main packages as ./relative paths, as go
// list sees them (build constraints included).
func mainPackages(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	cmd := exec.Command("go", "list", "-f", `{{if eq .Name "main"}}{{.Dir}}{{end}}`, "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []string
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(rel))
	}
	sort.Strings(pkgs)
	if len(pkgs) == 0 {
		t.Fatal("go list found no main package")
	}
	return pkgs
}

func TestDockerfileBuildsExactlyTheMainPackages(t *testing.T) {
	df := parseDockerfile(t)
	b := df.buildStage(t)
	var built []string
	var buildRun, outDir string
	for _, r := range b.runs {
		if !strings.Contains(r, "go build") {
			continue
		}
		buildRun = r
		fields := strings.Fields(r)
		for i, f := range fields {
			if strings.HasPrefix(f, "./") {
				built = append(built, "./"+path.Clean(strings.TrimPrefix(f, "./")))
			}
			if f == "-o" && i+1 < len(fields) {
				outDir = fields[i+1]
			}
		}
	}
	sort.Strings(built)
	if want := mainPackages(t); !slices.Equal(built, want) {
		t.Errorf("the Dockerfile builds %v; the module's main packages are %v", built, want)
	}

	if !strings.Contains(buildRun, "-trimpath") {
		t.Error("go build runs without -trimpath")
	}
	if !strings.Contains(buildRun, "--mount=type=cache,target=/go/pkg/mod") || !strings.Contains(buildRun, "--mount=type=cache,target=/root/.cache/go-build") {
		t.Error("go build runs without cache mounts for the module and build caches")
	}
	if b.env["CGO_ENABLED"] != "0" && !strings.Contains(buildRun, "CGO_ENABLED=0") {
		t.Error("CGO_ENABLED=0 is not set for go build (the final image has no libc)")
	}
	if !strings.HasSuffix(outDir, "/") {
		t.Fatalf("go build -o %q: want a directory (ending in /) holding one binary per package", outDir)
	}

	// Every binary reaches the final stage.
	final := df.stages[len(df.stages)-1]
	var copied []string
	for _, c := range final.copies {
		if c.from == b.name {
			copied = append(copied, c.srcs...)
		}
	}
	for _, pkg := range built {
		bin := path.Join(outDir, path.Base(pkg))
		if !slices.Contains(copied, bin) {
			t.Errorf("the final stage does not copy %s (built from %s)", bin, pkg)
		}
	}
}

func TestDockerfileFinalStage(t *testing.T) {
	df := parseDockerfile(t)
	final := df.stages[len(df.stages)-1]
	repo, tag := splitImage(final.base)
	if !strings.HasPrefix(repo, "gcr.io/distroless/static") || tag == "" || tag == "latest" {
		t.Errorf("final stage starts from %s, want a tagged gcr.io/distroless/static image", final.base)
	}
	if u := strings.Split(final.user, ":")[0]; u == "" || u == "root" || u == "0" {
		t.Errorf("final stage runs as %q, want a non-root user", final.user)
	}
	if len(final.entrypoint) == 0 || path.Base(final.entrypoint[0]) != "worker" || !slices.Contains(final.files, final.entrypoint[0]) {
		t.Errorf("final stage ENTRYPOINT %v, want the worker binary it copies in (%v)", final.entrypoint, final.files)
	}
}

// dockerignored reports whether .dockerignore patterns exclude rel (a
// slash-separated path in the build context): the last matching pattern
// wins, "!" re-includes, and a pattern matching a parent excludes its tree.
func dockerignored(patterns []string, rel string) bool {
	ignored := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		p = path.Clean(p)
		re := globRegexp(p)
		for q := rel; ; q = path.Dir(q) {
			if re.MatchString(q) {
				ignored = !neg
				break
			}
			if !strings.Contains(q, "/") {
				break
			}
		}
	}
	return ignored
}

func globRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func TestDockerignore(t *testing.T) {
	var patterns []string
	for _, line := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	// What must stay out: history, local tools, and the trial's secrets.
	for _, rel := range []string{".git/config", ".env", "bin/staticcheck", ".tmp/demo.env"} {
		if !dockerignored(patterns, rel) {
			t.Errorf(".dockerignore lets %s into the build context", rel)
		}
	}
	// What the build needs: go.mod, go.sum and every file (Go and embedded)
	// of the module's packages the binaries are built from.
	root := repoRoot(t)
	module := regexp.MustCompile(`(?m)^module (\S+)`).FindStringSubmatch(readRepoFile(t, "go.mod"))[1]
	cmd := exec.Command("go", append([]string{"list", "-deps", "-f",
		`{{if .Module}}{{if eq .Module.Path "` + module + `"}}{{range .GoFiles}}{{$.Dir}}/{{.}} {{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}} {{end}}{{end}}{{end}}`},
		mainPackages(t)...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	needed := append([]string{"go.mod", "go.sum"}, strings.Fields(string(out))...)
	if len(needed) < 5 {
		t.Fatalf("go list -deps found only %v", needed)
	}
	for _, f := range needed {
		rel := f
		if filepath.IsAbs(f) {
			if rel, err = filepath.Rel(root, f); err != nil {
				t.Fatal(err)
			}
		}
		if rel = filepath.ToSlash(rel); dockerignored(patterns, rel) {
			t.Errorf(".dockerignore excludes %s, which the build needs", rel)
		}
	}
}

func TestDockerignoreMatcher(t *testing.T) {
	patterns := []string{".git", "**/testdata", "*.test", "docs", "!docs/keep.md"}
	for rel, want := range map[string]bool{
		".git/HEAD":                 true,
		"internal/x/testdata/a.txt": true,
		"testdata/a":                true,
		"store.test":                true,
		"internal/store.test":       false, // "*.test" is anchored at the root
		"docs/a.md":                 true,
		"docs/keep.md":              false,
		"internal/store/store.go":   false,
		"gitignore":                 false,
	} {
		if got := dockerignored(patterns, rel); got != want {
			t.Errorf("dockerignored(%q) = %v, want %v", rel, got, want)
		}
	}
}
