package deploycheck

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/testenv"
)

type service struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
}

func read(t *testing.T, rel string) string {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), rel))
	require.NoError(t, err)
	return string(b)
}

func compose(t *testing.T) map[string]service {
	var c struct{ Services map[string]service }
	require.NoError(t, yaml.Unmarshal([]byte(read(t, "docker-compose.yml")), &c)) // yaml.v3 applies the <<: merges
	return c.Services
}

// substitute resolves ${VAR:-default} to its default and ${VAR:?msg} to a
// placeholder, as `docker compose` would with an .env holding only the key.
func substitute(v string) string {
	return regexp.MustCompile(`\$\{([A-Z_]+)(:?[-?])([^}]*)\}`).ReplaceAllStringFunc(v, func(m string) string {
		p := regexp.MustCompile(`\$\{([A-Z_]+)(:?[-?])([^}]*)\}`).FindStringSubmatch(m)
		if strings.HasSuffix(p[2], "?") {
			return "set-in-dot-env"
		}
		return p[3]
	})
}

// builtWith is the version of module mod that the pinned binary was built with.
func builtWith(t *testing.T, bin, mod string) string {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	require.NoError(t, err)
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && (f[0] == "dep" || f[0] == "mod") && f[1] == mod {
			return strings.TrimPrefix(f[2], "v")
		}
	}
	t.Fatalf("%s has no %s", bin, mod)
	return ""
}

func TestComposeImagesArePinned(t *testing.T) {
	server := builtWith(t, testenv.Bin(t, "temporal"), "go.temporal.io/server")
	ui := builtWith(t, testenv.Bin(t, "temporal"), "github.com/temporalio/ui-server/v2")
	mailpit := builtWith(t, testenv.Bin(t, "mailpit"), "github.com/axllent/mailpit")
	want := map[string]string{"temporalio/server": server, "temporalio/ui": ui, "axllent/mailpit": "v" + mailpit}
	seen := map[string]bool{}
	for name, s := range compose(t) {
		if s.Build != nil {
			require.Equal(t, "rostersync:local", s.Image, name)
			continue
		}
		repo, tag, ok := strings.Cut(s.Image, ":")
		require.True(t, ok && tag != "" && tag != "latest", "%s: image %q is not pinned", name, s.Image)
		require.NotEqual(t, "temporalio/auto-setup", repo, "%s: auto-setup is deprecated", name)
		seen[repo] = true
		if w, ok := want[repo]; ok {
			require.Equal(t, w, tag, "%s follows the pinned tools", name)
		}
		if repo == "temporalio/admin-tools" {
			require.True(t, strings.HasPrefix(tag, server+"-"), "%s: admin-tools %s is not server %s", name, tag, server)
		}
	}
	for _, repo := range []string{"temporalio/server", "temporalio/admin-tools", "temporalio/ui", "axllent/mailpit"} {
		require.True(t, seen[repo], "no %s service", repo)
	}
}

// The worker's variables are all read by the code, and with the .env the
// header asks for, its configuration validates.
func TestComposeWorkerConfiguration(t *testing.T) {
	svc := compose(t)
	w := svc["worker"]
	code := read(t, "internal/config/config.go") + read(t, "internal/config/smtp.go") + read(t, "internal/codec/keyring.go") + read(t, "internal/justworks/baseurl.go")
	for k := range w.Environment {
		known := strings.Contains(code, `"`+k+`"`) || k == "TEMPORAL_ADDRESS" || k == "TEMPORAL_NAMESPACE" // envconfig's
		require.True(t, known, "worker variable %s is read by nothing", k)
	}
	env := map[string]string{}
	for k, v := range w.Environment {
		env[k] = substitute(v)
	}
	env["ROSTERSYNC_SECRET_KEY"] = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=" // what step 1 of the header writes to .env
	env["TEMPORAL_CONFIG_FILE"] = filepath.Join(t.TempDir(), "none.toml")
	cfg := config.Load(func(k string) string { return env[k] })
	require.NoError(t, cfg.ValidateWorker())
	require.Contains(t, cfg.DatabaseURL, "@app-db:5432/")
	require.Contains(t, cfg.DatabaseURL, "connect_timeout=")
	require.Equal(t, "temporal:7233", cfg.TemporalAddress)

	// Mail goes to the Mailpit service.
	host, port, err := net.SplitHostPort(cfg.SMTP.Addr)
	require.NoError(t, err)
	require.Contains(t, svc, host)
	require.Contains(t, svc[host].Image, "mailpit")
	require.Equal(t, "1025", port)

	// Temporal Web calls the worker's codec endpoint, published on the host
	// port the browser uses, and the worker allows Temporal Web's origin.
	_, codecPort, err := net.SplitHostPort(cfg.CodecAddr)
	require.NoError(t, err)
	require.Contains(t, w.Ports, "127.0.0.1:"+codecPort+":"+codecPort)
	ui := svc["temporal-ui"]
	u, err := url.Parse(ui.Environment["TEMPORAL_CODEC_ENDPOINT"])
	require.NoError(t, err)
	require.Equal(t, codecPort, u.Port())
	require.Subset(t, cfg.CodecOrigins, strings.Split(ui.Environment["TEMPORAL_CORS_ORIGINS"], ","))
}

func TestDockerfile(t *testing.T) {
	df := read(t, "Dockerfile")
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(read(t, "go.mod"))
	require.NotNil(t, goLine)
	require.Regexp(t, `(?m)^ARG GO_VERSION=`+regexp.QuoteMeta(goLine[1])+`$`, df)

	list := exec.Command("go", "list", "-f", `{{if eq .Name "main"}}{{.Dir}}{{end}}`, "./...")
	list.Dir = testenv.RepoRoot()
	out, err := list.Output()
	require.NoError(t, err)
	var mains, built []string
	for _, d := range strings.Fields(string(out)) {
		rel, _ := filepath.Rel(testenv.RepoRoot(), d)
		mains = append(mains, "./"+rel)
	}
	build := df[strings.Index(df, "go build"):]
	build = build[:strings.Index(build, "\n# ")]
	for _, f := range strings.Fields(build) {
		if strings.HasPrefix(f, "./") {
			built = append(built, f)
		}
	}
	sort.Strings(mains)
	sort.Strings(built)
	require.Equal(t, mains, built, "the Dockerfile builds exactly the main packages")
}
