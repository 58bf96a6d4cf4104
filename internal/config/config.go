package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults shared by the worker, the starter, the scripts and the docs.
const (
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/rostersync?sslmode=disable"
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
	DatabaseURL     string // DATABASE_URL
	TemporalAddress string // TEMPORAL_ADDRESS
	Namespace       string // TEMPORAL_NAMESPACE
	TaskQueue       string // ROSTERSYNC_TASK_QUEUE
	SecretKey       string // ROSTERSYNC_SECRET_KEY: standard base64 of 32 bytes
	SMTPAddr        string // SMTP_ADDR host:port
	SMTPFrom        string // SMTP_FROM
	WebURL          string // ROSTERSYNC_WEB_URL: Temporal Web base URL for links in emails
	CodecAddr       string // ROSTERSYNC_CODEC_ADDR: where the worker serves the codec endpoint ("off" disables)
	CodecOrigins    []string
	MetricsAddr     string // ROSTERSYNC_METRICS_ADDR: Prometheus endpoint ("off" disables)
	LogLevel        string // ROSTERSYNC_LOG_LEVEL: debug|info|warn|error
	// JustworksRateLimit is the client-side request rate per sync (req/s);
	// ROSTERSYNC_JUSTWORKS_RATE_LIMIT, negative switches it off (sandbox benchmarks only).
	JustworksRateLimit float64
	// MailTimeout bounds one SMTP conversation.
	MailTimeout time.Duration
	// MailListLimit is how many people each section of a summary email lists
	// by name before "… and N more" (ROSTERSYNC_MAIL_LIST_LIMIT, default 500).
	MailListLimit int

	invalid []string // values that did not parse, reported by ValidateWorker
}

// FromEnv reads the process environment.
func FromEnv() Config { return Load(os.Getenv) }

// Load reads an environment through getenv and fills defaults.
func Load(getenv func(string) string) Config {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL:     get("DATABASE_URL", DefaultDatabaseURL),
		TemporalAddress: get("TEMPORAL_ADDRESS", DefaultTemporal),
		Namespace:       get("TEMPORAL_NAMESPACE", DefaultNamespace),
		TaskQueue:       get("ROSTERSYNC_TASK_QUEUE", DefaultTaskQueue),
		SecretKey:       strings.TrimSpace(getenv("ROSTERSYNC_SECRET_KEY")),
		SMTPAddr:        get("SMTP_ADDR", ""),
		SMTPFrom:        get("SMTP_FROM", ""),
		WebURL:          strings.TrimRight(get("ROSTERSYNC_WEB_URL", DefaultWebURL), "/"),
		CodecAddr:       get("ROSTERSYNC_CODEC_ADDR", DefaultCodecAddr),
		MetricsAddr:     get("ROSTERSYNC_METRICS_ADDR", DefaultMetricsAddr),
		LogLevel:        get("ROSTERSYNC_LOG_LEVEL", "info"),
		MailTimeout:     30 * time.Second,
	}
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
	return c
}

// ValidateWorker checks what a worker needs before it connects to anything.
func (c Config) ValidateWorker() error {
	problems := append([]string(nil), c.invalid...)
	if c.SecretKey == "" {
		problems = append(problems, "ROSTERSYNC_SECRET_KEY is not set (standard base64 of 32 random bytes, e.g. `head -c32 /dev/urandom | base64`)")
	}
	if c.SMTPAddr == "" {
		problems = append(problems, "SMTP_ADDR is not set (host:port of the SMTP server for summary emails)")
	} else if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
		problems = append(problems, fmt.Sprintf("SMTP_ADDR %q is not host:port", c.SMTPAddr))
	}
	if c.SMTPFrom == "" {
		problems = append(problems, "SMTP_FROM is not set (the sender address of summary emails)")
	} else if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || a.Address == "" {
		problems = append(problems, fmt.Sprintf("SMTP_FROM %q is not an email address (e.g. rostersync@example.com or \"Rostersync <rostersync@example.com>\")", c.SMTPFrom))
	}
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
