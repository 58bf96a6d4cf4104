package deploycheck

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/secrets"
)

// The services the stack is built around, by their names in docker-compose.yml.
const (
	workerService  = "worker"
	starterService = "starter"
	sandboxService = "sandbox"
)

// Images whose tags follow the project's pins.
const (
	temporalImage = "temporalio/auto-setup"
	uiImage       = "temporalio/ui"
	mailpitImage  = "axllent/mailpit"
)

// temporalCLIPins are the Temporal Server and UI versions each pinned
// temporal CLI (scripts/tools.sh) embeds, from the CLI's go.mod. When the
// module cache holds that go.mod, the test reads it and checks this table.
var temporalCLIPins = map[string]struct{ server, ui string }{
	"v1.5.1": {server: "1.29.1", ui: "2.42.1"},
}

// envVar is one variable internal/config reads.
type envVar struct {
	name       string
	hasDefault bool
}

// configEnvVars parses internal/config/config.go for get("NAME", default)
// and getenv("NAME") calls: every variable the worker and starter read there.
func configEnvVars(t *testing.T) []envVar {
	t.Helper()
	path := filepath.Join(repoRoot(t), "internal", "config", "config.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var vars []envVar
	seen := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		fn, ok := call.Fun.(*ast.Ident)
		if !ok || (fn.Name != "get" && fn.Name != "getenv") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		name, err := strconv.Unquote(lit.Value)
		if err != nil || seen[name] {
			return true
		}
		seen[name] = true
		v := envVar{name: name}
		if fn.Name == "get" && len(call.Args) > 1 {
			def, isLit := call.Args[1].(*ast.BasicLit)
			v.hasDefault = !isLit || def.Value != `""`
		}
		vars = append(vars, v)
		return true
	})
	// Sanity: the parse must find the variables we know are there, so a
	// refactor of config.go fails here instead of making the checks vacuous.
	for _, must := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "ROSTERSYNC_SECRET_KEY", "SMTP_ADDR", "ROSTERSYNC_CODEC_ADDR", "ROSTERSYNC_METRICS_ADDR"} {
		if !seen[must] {
			t.Fatalf("found no %s in %s: update configEnvVars to how config reads the environment", must, path)
		}
	}
	return vars
}

// optionalWithoutDefault are variables config reads with an empty default
// that a deployment may leave empty.
var optionalWithoutDefault = map[string]string{
	"ROSTERSYNC_JUSTWORKS_RATE_LIMIT": "empty means the client's built-in rate limit",
	"ROSTERSYNC_MAIL_LIST_LIMIT":      "empty means 500 names per section",
}

func getenvOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func TestComposeServicesHaveImagesAndPinnedTags(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))
	if len(c.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	for _, name := range c.serviceNames() {
		s := c.Services[name]
		if s.Image == "" && s.Build == nil {
			t.Errorf("service %s has neither image nor build", name)
			continue
		}
		if s.Build != nil {
			continue // built here; its image name is a local tag
		}
		_, tag := splitImage(s.Image)
		switch {
		case tag == "":
			t.Errorf("service %s: image %s has no tag (pin a version)", name, s.Image)
		case tag == "latest" || strings.HasPrefix(tag, "latest-") || tag == "stable" || tag == "edge":
			t.Errorf("service %s: image %s uses a moving tag (pin a version)", name, s.Image)
		case !regexp.MustCompile(`^v?[0-9]`).MatchString(tag):
			t.Errorf("service %s: image %s: tag %q is not a version", name, s.Image, tag)
		}
	}
}

func TestComposeImagesMatchProjectPins(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))

	cli := toolVersion(t, "temporal")
	want, known := temporalCLIPins[cli]
	modFile := filepath.Join(goEnv(t, "GOMODCACHE"), "cache", "download", "github.com", "temporalio", "cli", "@v", cli+".mod")
	if b, err := os.ReadFile(modFile); err == nil {
		server := regexp.MustCompile(`(?m)^\s*go\.temporal\.io/server v(\S+)`).FindStringSubmatch(string(b))
		ui := regexp.MustCompile(`(?m)^\s*github\.com/temporalio/ui-server/v2 v(\S+)`).FindStringSubmatch(string(b))
		if server == nil || ui == nil {
			t.Fatalf("%s names no Temporal server or UI version", modFile)
		}
		if known && (want.server != server[1] || want.ui != ui[1]) {
			t.Errorf("temporalCLIPins[%s] = %+v, but the CLI's go.mod has server %s, UI %s", cli, want, server[1], ui[1])
		}
		want.server, want.ui, known = server[1], ui[1], true
	}
	if !known {
		t.Fatalf("scripts/tools.sh pins temporal CLI %s: add its Server and UI versions (its go.mod) to temporalCLIPins", cli)
	}

	for _, img := range []struct{ repo, tag, why string }{
		{temporalImage, want.server, "Temporal Server of temporal CLI " + cli},
		{uiImage, want.ui, "UI server of temporal CLI " + cli},
		{mailpitImage, toolVersion(t, "mailpit"), "mailpit in scripts/tools.sh"},
	} {
		name, s := c.serviceByImage(t, img.repo)
		if _, tag := splitImage(s.Image); tag != img.tag {
			t.Errorf("service %s: image %s, want tag %s (%s)", name, s.Image, img.tag, img.why)
		}
	}
}

func TestComposeWorkerEnvironment(t *testing.T) {
	env := defaultEnv(t)
	c := loadCompose(t, env)
	w := c.service(t, workerService)
	raw := parseRaw(t).service(t, workerService)

	names := append(configEnvVars(t), envVar{name: codec.EnvCodecKeys}, envVar{name: codec.EnvSecretKey})
	for _, v := range names {
		if _, ok := raw.Environment[v.name]; !ok {
			t.Errorf("worker: %s is not in its environment (list every variable the worker reads, empty for the default, so .env can set it)", v.name)
			continue
		}
		if !v.hasDefault && w.Environment[v.name] == "" {
			if _, ok := optionalWithoutDefault[v.name]; !ok && v.name != codec.EnvCodecKeys {
				t.Errorf("worker: %s has no default in internal/config and is empty", v.name)
			}
		}
	}

	cfg := config.Load(getenvOf(w.Environment))
	if err := cfg.ValidateWorker(); err != nil {
		t.Errorf("worker environment: %v", err)
	}
	if _, err := secrets.ParseKey(cfg.SecretKey); err != nil {
		t.Errorf("worker %s: %v", codec.EnvSecretKey, err)
	}
	if _, err := codec.FromEnv(getenvOf(w.Environment)); err != nil {
		t.Errorf("worker codec keys: %v", err)
	}
	if w.Environment[codec.EnvSecretKey] != env[codec.EnvSecretKey] {
		t.Errorf("worker %s is not taken from the environment", codec.EnvSecretKey)
	}
	if w.Restart == "" || w.Restart == "no" {
		t.Errorf("worker: restart is %q; it exits on a lost connection and must come back", w.Restart)
	}
}

func TestComposeSecretKeyIsRequired(t *testing.T) {
	_, err := parseCompose(readRepoFile(t, "docker-compose.yml"), map[string]string{})
	if err == nil || !strings.Contains(err.Error(), codec.EnvSecretKey) {
		t.Fatalf("without %s, interpolation should fail naming it (${%s:?...}); got %v", codec.EnvSecretKey, codec.EnvSecretKey, err)
	}
}

// TestComposeNoLiteralSecrets: secret-looking variables take their values
// from the environment (${VAR} or ${VAR:-trial default}), never a literal.
func TestComposeNoLiteralSecrets(t *testing.T) {
	raw := parseRaw(t)
	secretName := regexp.MustCompile(`(?i)(PASSWORD|PWD|SECRET|_KEYS?$|TOKEN)`)
	reference := regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}$`)
	for _, name := range raw.serviceNames() {
		for k, v := range raw.Services[name].Environment {
			if secretName.MatchString(k) && v != "" && !reference.MatchString(v) {
				t.Errorf("service %s: %s is a literal; use ${%s...}", name, k, k)
			}
			if u, err := url.Parse(v); err == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && !reference.MatchString(pw) {
					t.Errorf("service %s: %s holds a literal password", name, k)
				}
			}
		}
	}
}

// parseRaw is docker-compose.yml without interpolation.
func parseRaw(t *testing.T) composeFile {
	t.Helper()
	c, err := parseCompose(readRepoFile(t, "docker-compose.yml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bindsAll reports whether a listen address accepts connections from other
// containers (and so through a published port).
func bindsAll(addr string) (port int, ok bool, err error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, false, err
	}
	port, err = strconv.Atoi(p)
	if err != nil {
		return 0, false, err
	}
	return port, host == "" || host == "0.0.0.0" || host == "::", nil
}

func TestComposeWorkerEndpointsArePublished(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))
	w := c.service(t, workerService)
	cfg := config.Load(getenvOf(w.Environment))
	for _, ep := range []struct{ what, env, addr string }{
		{"codec endpoint", "ROSTERSYNC_CODEC_ADDR", cfg.CodecAddr},
		{"metrics endpoint", "ROSTERSYNC_METRICS_ADDR", cfg.MetricsAddr},
	} {
		if ep.addr == "off" {
			t.Errorf("worker: %s is off (%s=off); the stack uses it", ep.what, ep.env)
			continue
		}
		port, all, err := bindsAll(ep.addr)
		if err != nil {
			t.Errorf("worker: %s=%q: %v", ep.env, ep.addr, err)
			continue
		}
		if !all {
			t.Errorf("worker: %s=%q listens on one interface only; in a container that is unreachable through a published port (use 0.0.0.0:%d)", ep.env, ep.addr, port)
		}
		if _, ok := w.publishedFor(port); !ok {
			t.Errorf("worker: %s listens on :%d, but the worker publishes no such port (ports: %+v)", ep.what, port, w.Ports)
		}
	}
}

// origin is scheme://host[:port] of a URL.
func origin(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Fatalf("%q is not an absolute URL", raw)
	}
	return u.Scheme + "://" + u.Host
}

func isLoopbackHost(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

func TestComposeUIAndCodecLineUp(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))
	w := c.service(t, workerService)
	cfg := config.Load(getenvOf(w.Environment))
	uiName, ui := c.serviceByImage(t, uiImage)

	// The browser loads Temporal Web from the published UI port: that is
	// ROSTERSYNC_WEB_URL (the links in emails).
	uiPort := 8080
	if p := ui.Environment["TEMPORAL_UI_PORT"]; p != "" {
		uiPort, _ = strconv.Atoi(p)
	}
	uiPub, ok := ui.publishedFor(uiPort)
	if !ok {
		t.Fatalf("%s: the UI listens on :%d but does not publish it", uiName, uiPort)
	}
	web, err := url.Parse(cfg.WebURL)
	if err != nil {
		t.Fatalf("ROSTERSYNC_WEB_URL %q: %v", cfg.WebURL, err)
	}
	if !isLoopbackHost(web.Hostname()) || web.Port() != strconv.Itoa(uiPub.Published) {
		t.Errorf("ROSTERSYNC_WEB_URL=%s, but Temporal Web is published on host port %d", cfg.WebURL, uiPub.Published)
	}

	// The browser calls the codec endpoint: it must be the worker's codec
	// port as published on the host.
	endpoint := ui.Environment["TEMPORAL_CODEC_ENDPOINT"]
	if endpoint == "" {
		t.Fatalf("%s: TEMPORAL_CODEC_ENDPOINT is not set; Temporal Web would show encrypted payloads", uiName)
	}
	eu, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("TEMPORAL_CODEC_ENDPOINT %q: %v", endpoint, err)
	}
	codecPort, _, err := bindsAll(cfg.CodecAddr)
	if err != nil {
		t.Fatalf("ROSTERSYNC_CODEC_ADDR %q: %v", cfg.CodecAddr, err)
	}
	codecPub, ok := w.publishedFor(codecPort)
	switch {
	case !ok:
		t.Errorf("the worker does not publish its codec port %d", codecPort)
	case !isLoopbackHost(eu.Hostname()):
		t.Errorf("TEMPORAL_CODEC_ENDPOINT=%s: the browser calls it, so it must be a host address (localhost), not a service name", endpoint)
	case eu.Port() != strconv.Itoa(codecPub.Published):
		t.Errorf("TEMPORAL_CODEC_ENDPOINT=%s, but the worker publishes its codec endpoint on host port %d", endpoint, codecPub.Published)
	}

	// The codec endpoint lets Temporal Web's origin call it, and the UI's
	// CORS origins are the same set.
	if !slices.Contains(cfg.CodecOrigins, origin(t, cfg.WebURL)) {
		t.Errorf("ROSTERSYNC_CODEC_ORIGINS %v lacks Temporal Web's origin %s", cfg.CodecOrigins, origin(t, cfg.WebURL))
	}
	var cors []string
	for _, o := range strings.Split(ui.Environment["TEMPORAL_CORS_ORIGINS"], ",") {
		if o = strings.TrimSpace(o); o != "" {
			cors = append(cors, o)
		}
	}
	got, want := slices.Clone(cors), slices.Clone(cfg.CodecOrigins)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s TEMPORAL_CORS_ORIGINS %v differ from the worker's ROSTERSYNC_CODEC_ORIGINS %v", uiName, got, want)
	}
	for _, o := range cfg.CodecOrigins {
		ou, err := url.Parse(o)
		if err != nil || !isLoopbackHost(ou.Hostname()) || ou.Port() != strconv.Itoa(uiPub.Published) {
			t.Errorf("codec origin %s is not Temporal Web as published (host port %d)", o, uiPub.Published)
		}
	}

	if ui.Environment["TEMPORAL_ADDRESS"] != cfg.TemporalAddress {
		t.Errorf("%s TEMPORAL_ADDRESS=%q, worker TEMPORAL_ADDRESS=%q", uiName, ui.Environment["TEMPORAL_ADDRESS"], cfg.TemporalAddress)
	}
}

// TestComposeConnections: the worker's database, Temporal and SMTP addresses
// name services of the stack, with the credentials those services are given,
// with the trial defaults and with every knob turned.
func TestComposeConnections(t *testing.T) {
	overrides := map[string]string{
		"APP_DB_PASSWORD":      "app-pw-from-env",
		"TEMPORAL_DB_PASSWORD": "temporal-pw-from-env",
		"TEMPORAL_NAMESPACE":   "trial",
		"SMTP_FROM":            "ops@example.com",
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{{"defaults", nil}, {"overrides", overrides}} {
		t.Run(tc.name, func(t *testing.T) {
			env := defaultEnv(t)
			for k, v := range tc.env {
				env[k] = v
			}
			c := loadCompose(t, env)
			w := c.service(t, workerService)
			cfg := config.Load(getenvOf(w.Environment))
			for k, v := range tc.env {
				if _, set := w.Environment[k]; set && w.Environment[k] != v {
					t.Errorf("worker %s=%q, want %q from the environment", k, w.Environment[k], v)
				}
			}
			checkDatabase(t, c, cfg.DatabaseURL)
			checkTemporal(t, c, cfg)
			checkSMTP(t, c, cfg.SMTPAddr)
			if tc.env != nil && cfg.Namespace != tc.env["TEMPORAL_NAMESPACE"] {
				t.Errorf("worker namespace %q, want %q from TEMPORAL_NAMESPACE", cfg.Namespace, tc.env["TEMPORAL_NAMESPACE"])
			}
		})
	}
}

func checkDatabase(t *testing.T, c composeFile, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	db, ok := c.Services[u.Hostname()]
	if !ok {
		t.Fatalf("DATABASE_URL host %q is not a service", u.Hostname())
	}
	if repo, _ := splitImage(db.Image); repo != "postgres" {
		t.Errorf("DATABASE_URL host %s runs %s, not postgres", u.Hostname(), db.Image)
	}
	if u.Port() != "" && u.Port() != "5432" {
		t.Errorf("DATABASE_URL port %s; postgres listens on 5432", u.Port())
	}
	if _, ok := c.service(t, workerService).DependsOn[u.Hostname()]; !ok {
		t.Errorf("the worker does not depend on its database service %s", u.Hostname())
	}
	user := db.Environment["POSTGRES_USER"]
	if user == "" {
		user = "postgres"
	}
	dbName := db.Environment["POSTGRES_DB"]
	if dbName == "" {
		dbName = user
	}
	pw, _ := u.User.Password()
	if u.User.Username() != user || pw != db.Environment["POSTGRES_PASSWORD"] {
		t.Errorf("DATABASE_URL user/password do not match service %s's POSTGRES_USER/POSTGRES_PASSWORD", u.Hostname())
	}
	if strings.TrimPrefix(u.Path, "/") != dbName {
		t.Errorf("DATABASE_URL database %q, but service %s creates %q", strings.TrimPrefix(u.Path, "/"), u.Hostname(), dbName)
	}
}

func checkTemporal(t *testing.T, c composeFile, cfg config.Config) {
	t.Helper()
	host, port, err := net.SplitHostPort(cfg.TemporalAddress)
	if err != nil {
		t.Fatalf("TEMPORAL_ADDRESS %q: %v", cfg.TemporalAddress, err)
	}
	name, tmp := c.serviceByImage(t, temporalImage)
	if host != name || port != "7233" {
		t.Errorf("TEMPORAL_ADDRESS=%s, want %s:7233", cfg.TemporalAddress, name)
	}
	if got := tmp.Environment["DEFAULT_NAMESPACE"]; got != cfg.Namespace && (got != "" || cfg.Namespace != "default") {
		t.Errorf("auto-setup creates namespace %q, the worker uses %q", got, cfg.Namespace)
	}
	if tmp.Healthcheck != nil && !slices.Contains(tmp.Healthcheck.Test, cfg.Namespace) && strings.Contains(strings.Join(tmp.Healthcheck.Test, " "), "namespace") {
		t.Errorf("%s healthcheck %v does not check the worker's namespace %q", name, tmp.Healthcheck.Test, cfg.Namespace)
	}
	if tmp.Environment["DB"] != "postgres12" && tmp.Environment["DB"] != "postgres12_pgx" {
		t.Errorf("%s DB=%q, want postgres12", name, tmp.Environment["DB"])
	}
	if tmp.Environment["DB_PORT"] != "5432" {
		t.Errorf("%s DB_PORT=%q, want 5432 (auto-setup defaults to MySQL's 3306)", name, tmp.Environment["DB_PORT"])
	}
	seed := tmp.Environment["POSTGRES_SEEDS"]
	db, ok := c.Services[seed]
	if !ok {
		t.Fatalf("%s POSTGRES_SEEDS=%q is not a service", name, seed)
	}
	if _, ok := tmp.DependsOn[seed]; !ok {
		t.Errorf("%s does not depend on its database %s", name, seed)
	}
	if tmp.Environment["POSTGRES_USER"] != db.Environment["POSTGRES_USER"] || tmp.Environment["POSTGRES_PWD"] != db.Environment["POSTGRES_PASSWORD"] {
		t.Errorf("%s POSTGRES_USER/POSTGRES_PWD do not match service %s's POSTGRES_USER/POSTGRES_PASSWORD", name, seed)
	}
	if _, ok := c.service(t, workerService).DependsOn[name]; !ok {
		t.Errorf("the worker does not depend on %s", name)
	}
}

func checkSMTP(t *testing.T, c composeFile, addr string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("SMTP_ADDR %q: %v", addr, err)
	}
	name, mp := c.serviceByImage(t, mailpitImage)
	smtpPort := "1025" // mailpit's default --smtp
	if v := mp.Environment["MP_SMTP_BIND_ADDR"]; v != "" {
		_, smtpPort, _ = net.SplitHostPort(v)
	}
	if host != name || port != smtpPort {
		t.Errorf("SMTP_ADDR=%s, want %s:%s", addr, name, smtpPort)
	}
}

// TestComposeStarterMatchesWorker: the CLI reaches the same database,
// Temporal namespace and task queue, with the same keys, as the worker.
func TestComposeStarterMatchesWorker(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))
	w, s := c.service(t, workerService), c.service(t, starterService)
	if s.Build == nil && s.Image != w.Image {
		t.Errorf("starter image %q is not the worker's %q", s.Image, w.Image)
	}
	if len(s.Profiles) == 0 {
		t.Errorf("the starter has no profile: `docker compose up` would run it as a service")
	}
	wc, sc := config.Load(getenvOf(w.Environment)), config.Load(getenvOf(s.Environment))
	for _, f := range []struct{ what, w, s string }{
		{"DATABASE_URL", wc.DatabaseURL, sc.DatabaseURL},
		{"TEMPORAL_ADDRESS", wc.TemporalAddress, sc.TemporalAddress},
		{"TEMPORAL_NAMESPACE", wc.Namespace, sc.Namespace},
		{"ROSTERSYNC_TASK_QUEUE", wc.TaskQueue, sc.TaskQueue},
		{codec.EnvSecretKey, wc.SecretKey, sc.SecretKey},
		{codec.EnvCodecKeys, w.Environment[codec.EnvCodecKeys], s.Environment[codec.EnvCodecKeys]},
		{"ROSTERSYNC_WEB_URL", wc.WebURL, sc.WebURL},
	} {
		if f.w != f.s {
			t.Errorf("%s differs between worker and starter", f.what)
		}
	}
	if _, ok := parseRaw(t).service(t, starterService).Environment[codec.EnvCodecKeys]; !ok {
		t.Errorf("starter: %s is not in its environment", codec.EnvCodecKeys)
	}
}

func TestComposeDependsOnAndHealthchecks(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))
	built := c.builtServices()
	for _, name := range c.serviceNames() {
		s := c.Services[name]
		for dep, cond := range s.DependsOn {
			target, ok := c.Services[dep]
			if !ok {
				t.Errorf("service %s depends on %s, which is not a service", name, dep)
				continue
			}
			switch cond {
			case "service_started", "service_completed_successfully":
			case "service_healthy":
				if target.Healthcheck == nil || target.Healthcheck.Disable || len(target.Healthcheck.Test) == 0 {
					t.Errorf("service %s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			default:
				t.Errorf("service %s: depends_on %s: unknown condition %q", name, dep, cond)
			}
			if len(s.Profiles) == 0 && len(target.Profiles) > 0 {
				t.Errorf("service %s (always on) depends on %s, which only runs with profile %v", name, dep, target.Profiles)
			}
		}
		if h := s.Healthcheck; h != nil && len(h.Test) > 0 && slices.Contains(built, name) && h.Test[0] != "CMD" && h.Test[0] != "NONE" {
			t.Errorf("service %s runs the distroless image (no shell) but its healthcheck is %v; use [\"CMD\", ...]", name, h.Test)
		}
	}
}

func TestComposeVolumes(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))
	root := repoRoot(t)
	for _, name := range c.serviceNames() {
		for _, v := range c.Services[name].Volumes {
			src, _, ok := strings.Cut(v, ":")
			if !ok {
				continue // anonymous volume
			}
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") || strings.HasPrefix(src, "~") {
				if strings.HasPrefix(src, ".") {
					if _, err := os.Stat(filepath.Join(root, src)); err != nil {
						t.Errorf("service %s mounts %s, which is not in the repository: %v", name, src, err)
					}
				}
				continue
			}
			if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s mounts volume %s, which is not declared under volumes:", name, src)
			}
		}
	}
}

// TestComposeBuiltServices: services built here use the Dockerfile, one image
// name, and entrypoints that the Dockerfile puts into the image.
func TestComposeBuiltServices(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))
	df := parseDockerfile(t)
	final := df.stages[len(df.stages)-1]
	built := c.builtServices()
	for _, want := range []string{workerService, starterService, sandboxService} {
		if !slices.Contains(built, want) {
			t.Errorf("service %s is not built from the Dockerfile", want)
		}
	}
	image := ""
	for _, name := range built {
		s := c.Services[name]
		ctx, file := ".", "Dockerfile"
		switch b := s.Build.(type) {
		case string:
			ctx = b
		case map[string]any:
			if v, ok := b["context"].(string); ok {
				ctx = v
			}
			if v, ok := b["dockerfile"].(string); ok {
				file = v
			}
		}
		if filepath.Clean(ctx) != "." || filepath.Clean(file) != "Dockerfile" {
			t.Errorf("service %s builds %s/%s, want the repository's Dockerfile", name, ctx, file)
		}
		if image == "" {
			image = s.Image
		} else if s.Image != image {
			t.Errorf("service %s tags image %q, others %q: one image serves them all", name, s.Image, image)
		}
		entry := final.entrypoint
		if len(s.Entrypoint) > 0 {
			entry = s.Entrypoint
		}
		if len(entry) == 0 || !slices.Contains(final.files, entry[0]) {
			t.Errorf("service %s runs %v, which the Dockerfile's final stage does not contain (it has %v)", name, entry, final.files)
		}
	}
}

// TestComposeSandboxFlags runs the sandbox binary with the service's flags
// (plus --print-head, which exits before serving): they must parse, and the
// listen address must be reachable through the published port.
func TestComposeSandboxFlags(t *testing.T) {
	c := loadCompose(t, defaultEnv(t))
	s := c.service(t, sandboxService)
	if len(s.Profiles) == 0 {
		t.Errorf("the sandbox has no profile: a real deployment would run it")
	}
	args := []string(s.Command)
	for i, a := range args {
		if a == "--addr" || a == "-addr" {
			if i+1 >= len(args) {
				t.Fatal("--addr without a value")
			}
			port, all, err := bindsAll(args[i+1])
			if err != nil || !all {
				t.Errorf("sandbox --addr %s: must listen on all interfaces (%v)", args[i+1], err)
			}
			if _, ok := s.publishedFor(port); !ok {
				t.Errorf("sandbox listens on :%d but publishes no such port", port)
			}
		}
		if a == "--write-secrets" && i+1 < len(args) {
			mounted := false
			for _, v := range s.Volumes {
				if parts := strings.Split(v, ":"); len(parts) >= 2 && parts[1] == args[i+1] {
					mounted = true
				}
			}
			if !mounted {
				t.Errorf("sandbox writes its credentials to %s, which is not a volume (the starter could not read them)", args[i+1])
			}
		}
	}
	bin := filepath.Join(t.TempDir(), "justworks-sandbox")
	build := exec.Command("go", "build", "-o", bin, "./internal/sandbox/cmd/justworks-sandbox")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the sandbox: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, bin, append(slices.Clone(args), "--print-head")...)
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Errorf("justworks-sandbox %v --print-head: %v\n%s", args, err, stderr.String())
	}
}

// TestComposeConfig asks Docker Compose itself, where it is installed, to
// validate the file (every profile), and to refuse it without the secret key.
func TestComposeConfig(t *testing.T) {
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Skipf("docker compose is not installed (%v); the other tests in this package check the file without it", err)
	}
	root := repoRoot(t)
	emptyEnvFile := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(emptyEnvFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != codec.EnvSecretKey && !strings.HasPrefix(k, "COMPOSE_") {
			base = append(base, kv)
		}
	}
	compose := func(env []string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "docker", "compose", "--env-file", emptyEnvFile,
			"--project-directory", root, "-f", filepath.Join(root, "docker-compose.yml"),
			"--profile", "tools", "--profile", "sandbox", "config", "-q")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := compose(append(slices.Clone(base), codec.EnvSecretKey+"="+randomSecretKey(t))); err != nil {
		t.Errorf("docker compose config: %v\n%s", err, out)
	}
	if out, err := compose(base); err == nil || !strings.Contains(out, codec.EnvSecretKey) {
		t.Errorf("docker compose config without %s: want an error naming it, got %v\n%s", codec.EnvSecretKey, err, out)
	}
}
