package config

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/contrib/envconfig"
)

// Defaults shared by the worker, the starter, the scripts and the docs.
const (
	// connect_timeout: an unreachable server is an error in seconds, not a
	// hang (lib/pq has no default). See docs/deploy.md for sslmode=verify-full.
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/rostersync?sslmode=disable&connect_timeout=10"
	DefaultTemporal    = "localhost:7233"
	DefaultNamespace   = "default"
	DefaultTaskQueue   = "rostersync"
	DefaultWebURL      = "http://localhost:8233"
	DefaultCodecAddr   = "127.0.0.1:8081"
	DefaultMetricsAddr = "127.0.0.1:9090"
)

// Config is the environment of a Rostersync process. Secret values (the secret
// key, codec keys) are kept as given and never printed.
type Config struct {
	DatabaseURL string // DATABASE_URL
	// Temporal is the client configuration the temporal CLI would use: the
	// profile file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) overridden by
	// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*,
	// TEMPORAL_GRPC_META_*; see TemporalOptions.
	Temporal        envconfig.ClientConfigProfile
	TemporalAddress string // the resolved address (for messages), DefaultTemporal if none is set
	Namespace       string // the resolved namespace, DefaultNamespace if none is set
	TaskQueue       string // ROSTERSYNC_TASK_QUEUE
	SecretKey       string // ROSTERSYNC_SECRET_KEY: standard base64 of 32 bytes
	SMTP            SMTP
	WebURL          string // ROSTERSYNC_WEB_URL: Temporal Web base URL for links in emails
	CodecAddr       string // ROSTERSYNC_CODEC_ADDR: where the worker serves the codec endpoint ("off" disables)
	CodecOrigins    []string
	MetricsAddr     string // ROSTERSYNC_METRICS_ADDR: Prometheus endpoint ("off" disables)
	LogLevel        string // ROSTERSYNC_LOG_LEVEL: debug|info|warn|error
	// JustworksRateLimit is the client-side request rate per sync (req/s);
	// ROSTERSYNC_JUSTWORKS_RATE_LIMIT, negative switches it off (sandbox benchmarks only).
	JustworksRateLimit float64
	// JustworksLoginCooldown is how long the login guard sends no password
	// after two password steps went unheard; ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN
	// (a Go duration, e.g. 15m), 0 = the default (activities.DefaultLoginCooldown).
	JustworksLoginCooldown time.Duration
	// MailListLimit is how many people each section of a summary email lists
	// by name before "… and N more" (ROSTERSYNC_MAIL_LIST_LIMIT, default 500).
	MailListLimit int
	// Worker tuning (docs/benchmarks.md says how these were chosen):
	// ROSTERSYNC_WORKER_ACTIVITIES, ROSTERSYNC_WORKER_WORKFLOW_TASKS,
	// ROSTERSYNC_WORKER_POLLERS and ROSTERSYNC_WORKER_CACHE.
	WorkerActivities    int // activities run at once by one worker
	WorkerWorkflowTasks int // workflow tasks run at once by one worker
	WorkerPollers       int // pollers per task kind (workflow, activity)
	WorkerCache         int // workflows kept in the sticky cache

	invalid     []string // values that did not parse, reported by ValidateWorker
	temporalErr error    // why the Temporal profile could not be loaded, reported by TemporalOptions
}

// FromEnv reads the process environment.
func FromEnv() Config { return load(os.Getenv, os.Environ) }

// Load reads an environment through getenv and fills defaults. Without the
// whole environment, TEMPORAL_GRPC_META_* headers are not read (FromEnv reads
// them).
func Load(getenv func(string) string) Config { return load(getenv, nil) }

func load(getenv func(string) string, environ func() []string) Config {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL: get("DATABASE_URL", DefaultDatabaseURL),
		TaskQueue:   get("ROSTERSYNC_TASK_QUEUE", DefaultTaskQueue),
		SecretKey:   strings.TrimSpace(getenv("ROSTERSYNC_SECRET_KEY")),
		WebURL:      strings.TrimRight(get("ROSTERSYNC_WEB_URL", DefaultWebURL), "/"),
		CodecAddr:   get("ROSTERSYNC_CODEC_ADDR", DefaultCodecAddr),
		MetricsAddr: get("ROSTERSYNC_METRICS_ADDR", DefaultMetricsAddr),
		LogLevel:    get("ROSTERSYNC_LOG_LEVEL", "info"),
	}
	c.loadTemporal(envLookup{getenv: getenv, environ: environ})
	c.loadSMTP(get)
	c.CodecOrigins = splitList(get("ROSTERSYNC_CODEC_ORIGINS", c.WebURL+","+strings.Replace(c.WebURL, "localhost", "127.0.0.1", 1)+","+strings.Replace(c.WebURL, "127.0.0.1", "localhost", 1)))
	if v := get("ROSTERSYNC_JUSTWORKS_RATE_LIMIT", ""); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			c.JustworksRateLimit = f
		} else {
			c.invalid = append(c.invalid, fmt.Sprintf("ROSTERSYNC_JUSTWORKS_RATE_LIMIT %q is not a number (requests per second)", v))
		}
	}
	if v := get("ROSTERSYNC_MAIL_LIST_LIMIT", ""); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			c.MailListLimit = n
		} else {
			c.invalid = append(c.invalid, fmt.Sprintf("ROSTERSYNC_MAIL_LIST_LIMIT %q is not a positive whole number (names listed per email section)", v))
		}
	}
	for _, v := range []struct {
		key string
		dst *int
		def int
	}{
		{"ROSTERSYNC_WORKER_ACTIVITIES", &c.WorkerActivities, DefaultWorkerActivities},
		{"ROSTERSYNC_WORKER_WORKFLOW_TASKS", &c.WorkerWorkflowTasks, DefaultWorkerWorkflowTasks},
		{"ROSTERSYNC_WORKER_POLLERS", &c.WorkerPollers, DefaultWorkerPollers},
		{"ROSTERSYNC_WORKER_CACHE", &c.WorkerCache, DefaultWorkerCache},
	} {
		*v.dst = v.def
		if raw := get(v.key, ""); raw != "" {
			if n, err := strconv.Atoi(raw); err == nil && n > 0 {
				*v.dst = n
			} else {
				c.invalid = append(c.invalid, fmt.Sprintf("%s %q is not a positive whole number", v.key, raw))
			}
		}
	}
	if v := get("ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN", ""); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			c.JustworksLoginCooldown = d
		} else {
			c.invalid = append(c.invalid, fmt.Sprintf("ROSTERSYNC_JUSTWORKS_LOGIN_COOLDOWN %q is not a positive duration (e.g. 15m)", v))
		}
	}
	return c
}

// Worker tuning defaults, from the many-companies benchmark (docs/benchmarks.md).
const (
	DefaultWorkerActivities    = 200
	DefaultWorkerWorkflowTasks = 50
	DefaultWorkerPollers       = 4
	DefaultWorkerCache         = 2000
)

// ValidateWorker checks what a worker needs before it connects to anything.
func (c Config) ValidateWorker() error {
	problems := append([]string(nil), c.invalid...)
	if c.SecretKey == "" {
		problems = append(problems, "ROSTERSYNC_SECRET_KEY is not set (standard base64 of 32 random bytes, e.g. `head -c32 /dev/urandom | base64`)")
	}
	if c.temporalErr != nil {
		problems = append(problems, c.temporalErr.Error())
	}
	problems = append(problems, c.SMTP.problems()...)
	if len(problems) > 0 {
		return fmt.Errorf("configuration: %s", strings.Join(problems, "; "))
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// RunURL links to a run's history in Temporal Web ("" without a Web URL).
func RunURL(webURL, namespace, workflowID, runID string) string {
	if webURL == "" {
		return ""
	}
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", strings.TrimRight(webURL, "/"),
		url.PathEscape(namespace), url.PathEscape(workflowID), url.PathEscape(runID))
}
