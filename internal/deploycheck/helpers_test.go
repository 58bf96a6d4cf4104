package deploycheck

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// repoRoot is the module root (the directory holding go.mod).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

func readRepoFile(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// randomSecretKey is a valid ROSTERSYNC_SECRET_KEY (standard base64 of 32 bytes).
func randomSecretKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ---- Compose variable interpolation -------------------------------------

// interpolate expands Compose's ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt}, $VAR and $$
// against env (a missing key is an unset variable).
func interpolate(s string, env map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("%q: lone $ at the end", s)
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i++
		case next == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("%q: unterminated ${", s)
			}
			expr := s[i+2 : i+2+end]
			v, err := expand(expr, env)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += 2 + end
		case next == '_' || next >= 'A' && next <= 'Z' || next >= 'a' && next <= 'z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			b.WriteString(env[s[i+1:j]])
			i = j - 1
		default:
			return "", fmt.Errorf("%q: invalid use of $ (write $$ for a literal dollar)", s)
		}
	}
	return b.String(), nil
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)

func expand(expr string, env map[string]string) (string, error) {
	name := varName.FindString(expr)
	if name == "" {
		return "", fmt.Errorf("${%s}: not a variable name", expr)
	}
	v, set := env[name]
	op := expr[len(name):]
	switch {
	case op == "":
		return v, nil
	case strings.HasPrefix(op, ":-"):
		if v == "" {
			return op[2:], nil
		}
		return v, nil
	case strings.HasPrefix(op, "-"):
		if !set {
			return op[1:], nil
		}
		return v, nil
	case strings.HasPrefix(op, ":?"):
		if v == "" {
			return "", fmt.Errorf("required variable %s is missing a value: %s", name, op[2:])
		}
		return v, nil
	case strings.HasPrefix(op, "?"):
		if !set {
			return "", fmt.Errorf("required variable %s is missing a value: %s", name, op[1:])
		}
		return v, nil
	case strings.HasPrefix(op, ":+"):
		if v != "" {
			return op[2:], nil
		}
		return "", nil
	case strings.HasPrefix(op, "+"):
		if set {
			return op[1:], nil
		}
		return "", nil
	}
	return "", fmt.Errorf("${%s}: unknown operator %q", expr, op)
}

// interpolateTree interpolates every string value (not keys) of a decoded
// YAML document, as Compose does.
func interpolateTree(v any, env map[string]string, path string) (any, error) {
	switch x := v.(type) {
	case string:
		s, err := interpolate(x, env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return s, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := interpolateTree(e, env, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := interpolateTree(e, env, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// ---- docker-compose.yml ---------------------------------------------------

type composeFile struct {
	Name     string             `yaml:"name"`
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string       `yaml:"image"`
	Build       any          `yaml:"build"`
	Entrypoint  stringList   `yaml:"entrypoint"`
	Command     stringList   `yaml:"command"`
	Environment envMap       `yaml:"environment"`
	Ports       []portMap    `yaml:"ports"`
	DependsOn   dependsOn    `yaml:"depends_on"`
	Healthcheck *healthcheck `yaml:"healthcheck"`
	Volumes     []string     `yaml:"volumes"`
	Profiles    []string     `yaml:"profiles"`
	Restart     string       `yaml:"restart"`
}

type healthcheck struct {
	Test    stringList `yaml:"test"`
	Disable bool       `yaml:"disable"`
}

// stringList is Compose's "string or list of strings" (entrypoint, command,
// healthcheck test); a string form is kept as one element.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	var xs []string
	if err := n.Decode(&xs); err != nil {
		return err
	}
	*l = xs
	return nil
}

// envMap is a service's environment, from the mapping or the KEY=VALUE list
// form. A key without a value (passed through from the shell) maps to "".
type envMap map[string]string

func (m *envMap) UnmarshalYAML(n *yaml.Node) error {
	out := envMap{}
	switch n.Kind {
	case yaml.MappingNode:
		var raw map[string]any
		if err := n.Decode(&raw); err != nil {
			return err
		}
		for k, v := range raw {
			if v == nil {
				out[k] = ""
			} else {
				out[k] = fmt.Sprint(v)
			}
		}
	case yaml.SequenceNode:
		var raw []string
		if err := n.Decode(&raw); err != nil {
			return err
		}
		for _, kv := range raw {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
	default:
		return fmt.Errorf("line %d: environment must be a mapping or a list", n.Line)
	}
	*m = out
	return nil
}

// portMap is one published port: host IP, host port, container port.
type portMap struct {
	HostIP    string
	Published int
	Target    int
}

func (p *portMap) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var long struct {
			Target    int    `yaml:"target"`
			Published string `yaml:"published"`
			HostIP    string `yaml:"host_ip"`
		}
		if err := n.Decode(&long); err != nil {
			return err
		}
		p.Target, p.HostIP = long.Target, long.HostIP
		if long.Published != "" {
			pub, err := strconv.Atoi(long.Published)
			if err != nil {
				return fmt.Errorf("line %d: published port %q is not a single port", n.Line, long.Published)
			}
			p.Published = pub
		}
		return nil
	}
	s := strings.TrimSuffix(strings.TrimSuffix(n.Value, "/tcp"), "/udp")
	parts := strings.Split(s, ":")
	var hostPort, target string
	switch len(parts) {
	case 1:
		target = parts[0]
	case 2:
		hostPort, target = parts[0], parts[1]
	case 3:
		p.HostIP, hostPort, target = parts[0], parts[1], parts[2]
	default:
		return fmt.Errorf("line %d: port %q: unsupported form", n.Line, n.Value)
	}
	var err error
	if p.Target, err = strconv.Atoi(target); err != nil {
		return fmt.Errorf("line %d: port %q: container port is not a single port", n.Line, n.Value)
	}
	if hostPort != "" {
		if p.Published, err = strconv.Atoi(hostPort); err != nil {
			return fmt.Errorf("line %d: port %q: host port is not a single port", n.Line, n.Value)
		}
	}
	return nil
}

// dependsOn maps each dependency to its condition (service_started for the
// list form).
type dependsOn map[string]string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	out := dependsOn{}
	switch n.Kind {
	case yaml.SequenceNode:
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		for _, name := range names {
			out[name] = "service_started"
		}
	case yaml.MappingNode:
		var long map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := n.Decode(&long); err != nil {
			return err
		}
		for name, c := range long {
			if c.Condition == "" {
				c.Condition = "service_started"
			}
			out[name] = c.Condition
		}
	default:
		return fmt.Errorf("line %d: depends_on must be a list or a mapping", n.Line)
	}
	*d = out
	return nil
}

// loadCompose parses docker-compose.yml after interpolating it with env.
func loadCompose(t testing.TB, env map[string]string) composeFile {
	t.Helper()
	c, err := parseCompose(readRepoFile(t, "docker-compose.yml"), env)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func parseCompose(text string, env map[string]string) (composeFile, error) {
	var c composeFile
	var tree map[string]any
	if err := yaml.Unmarshal([]byte(text), &tree); err != nil {
		return c, fmt.Errorf("docker-compose.yml: %w", err)
	}
	if env == nil {
		// Raw: no interpolation, for looking at what is written in the file.
		return c, decodeVia(tree, &c)
	}
	resolved, err := interpolateTree(tree, env, "")
	if err != nil {
		return c, fmt.Errorf("docker-compose.yml: interpolation: %w", err)
	}
	return c, decodeVia(resolved, &c)
}

// decodeVia re-encodes a generic tree and decodes it into the typed form
// (anchors and merge keys are already resolved in the tree).
func decodeVia(tree any, out *composeFile) error {
	b, err := yaml.Marshal(tree)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	return dec.Decode(out)
}

// defaultEnv is the smallest environment a trial needs: the required secret.
func defaultEnv(t testing.TB) map[string]string {
	return map[string]string{"ROSTERSYNC_SECRET_KEY": randomSecretKey(t)}
}

func (c composeFile) service(t testing.TB, name string) service {
	t.Helper()
	s, ok := c.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q (services: %s)", name, strings.Join(c.serviceNames(), ", "))
	}
	return s
}

func (c composeFile) serviceNames() []string {
	var names []string
	for n := range c.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// serviceByImage is the one service running the image repository repo
// (whatever its tag).
func (c composeFile) serviceByImage(t testing.TB, repo string) (string, service) {
	t.Helper()
	var found []string
	for _, n := range c.serviceNames() {
		if r, _ := splitImage(c.Services[n].Image); r == repo && c.Services[n].Build == nil {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one service with image %s, found %v", repo, found)
	}
	return found[0], c.Services[found[0]]
}

// builtServices are the services built from the repository's Dockerfile.
func (c composeFile) builtServices() []string {
	var names []string
	for _, n := range c.serviceNames() {
		if c.Services[n].Build != nil {
			names = append(names, n)
		}
	}
	return names
}

// publishedFor is the host port a service publishes for a container port.
func (s service) publishedFor(target int) (portMap, bool) {
	for _, p := range s.Ports {
		if p.Target == target {
			return p, true
		}
	}
	return portMap{}, false
}

// splitImage splits "repo:tag" or "repo:tag@digest" (a registry host may
// have a port, so the tag is after the last slash).
func splitImage(ref string) (repo, tag string) {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndexByte(ref, '/')
	if colon := strings.LastIndexByte(ref, ':'); colon > slash {
		return ref[:colon], ref[colon+1:]
	}
	return ref, ""
}

// ---- the project's pins -----------------------------------------------------

// toolVersion is the version scripts/tools.sh pins for a tool.
func toolVersion(t testing.TB, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*"` + regexp.QuoteMeta(name) + `\s+(\S+)\s+(v\S+)"`)
	m := re.FindStringSubmatch(readRepoFile(t, "scripts/tools.sh"))
	if m == nil {
		t.Fatalf("scripts/tools.sh pins no %s", name)
	}
	return m[2]
}

// goEnv runs `go env NAME`.
func goEnv(t testing.TB, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

func TestInterpolate(t *testing.T) {
	env := map[string]string{"SET": "v", "EMPTY": ""}
	for in, want := range map[string]string{
		"a${SET}b":         "avb",
		"$SET/x":           "v/x",
		"${UNSET:-d}":      "d",
		"${EMPTY:-d}":      "d",
		"${EMPTY-d}":       "",
		"${UNSET-d}":       "d",
		"${SET:?m}":        "v",
		"${SET:+alt}":      "alt",
		"${EMPTY:+alt}":    "",
		"${EMPTY+alt}":     "alt",
		"$$HOME":           "$HOME",
		"${UNSET}":         "",
		"p:${UNSET:-a b}q": "p:a bq",
	} {
		got, err := interpolate(in, env)
		if err != nil || got != want {
			t.Errorf("interpolate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"${EMPTY:?need it}", "${UNSET?need it}", "${UNSET", "a$", "$(cmd)"} {
		if got, err := interpolate(in, env); err == nil {
			t.Errorf("interpolate(%q) = %q, want an error", in, got)
		}
	}
}
