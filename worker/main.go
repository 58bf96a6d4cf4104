// Command worker runs Rostersync's Temporal worker: it applies database
// migrations, registers the workflows and activities, serves the payload codec
// endpoint for Temporal Web and the Prometheus metrics, and polls until stopped.
//
// Configuration is the environment (internal/config); see README.md and
// docs/deploy.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/logging"
	"github.com/rostersync/rostersync/internal/mail"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/internal/tclient"
	"github.com/rostersync/rostersync/internal/version"
	"github.com/rostersync/rostersync/workflows"
)

const usage = `usage: worker [-h | --help | --version]

Runs Rostersync's Temporal worker until Ctrl-C or SIGTERM: migrates the
database, then polls the task queue for syncs, emails their summaries, and
serves the payload codec endpoint and Prometheus metrics. Run as many as you
like against one Temporal namespace and database (docs/deploy.md).

It takes no arguments: configuration is the environment (README.md lists it).
Required: ROSTERSYNC_SECRET_KEY, SMTP_ADDR, SMTP_FROM. Temporal is reached the
way the temporal CLI does: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE.

examples:
  # a local dev server and a mail catcher
  ROSTERSYNC_SECRET_KEY=$(cat key) SMTP_ADDR=localhost:1025 SMTP_FROM=rostersync@example.com worker

  # Temporal Cloud with an API key, a relay with STARTTLS and a login
  TEMPORAL_ADDRESS=my-ns.a1b2c.tmprl.cloud:7233 TEMPORAL_NAMESPACE=my-ns.a1b2c \
  TEMPORAL_API_KEY=$(cat api-key) SMTP_ADDR=smtp.example.com:587 SMTP_TLS=starttls \
  SMTP_USERNAME=rostersync SMTP_PASSWORD_FILE=/run/secrets/smtp ... worker

  # a self-hosted cluster with mTLS
  TEMPORAL_ADDRESS=temporal.internal:7233 TEMPORAL_TLS_CLIENT_CERT_PATH=client.pem \
  TEMPORAL_TLS_CLIENT_KEY_PATH=client.key TEMPORAL_TLS_SERVER_CA_CERT_PATH=ca.pem ... worker
`

func main() {
	if code, done := parseArgs(os.Args[1:], os.Stdout, os.Stderr); done {
		os.Exit(code)
	}
	cfg := config.FromEnv()
	log, err := logging.New(cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("worker stopped", zap.Error(err))
		_ = log.Sync()
		// The JSON line is for log collectors; this one is for whoever
		// started the worker by hand.
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

// parseArgs handles -h/--help and --version; done says the process should
// exit with code instead of starting a worker.
func parseArgs(args []string, stdout, stderr io.Writer) (code int, done bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0, true
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, version.String("worker"))
		return 0, true
	}
	fmt.Fprintf(stderr, "worker: unexpected argument %q: the worker takes no arguments, only the environment\n\n%s", args[0], usage)
	return 2, true
}

func run(ctx context.Context, cfg config.Config, log *zap.Logger) error {
	if err := cfg.ValidateWorker(); err != nil {
		return err
	}
	sealer, err := secrets.ParseKey(cfg.SecretKey)
	if err != nil {
		return fmt.Errorf("ROSTERSYNC_SECRET_KEY: %w", err)
	}
	keys, err := codec.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	sender, err := mail.SenderFor(cfg.SMTP)
	if err != nil {
		return err
	}

	st, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}

	go pruneStaging(ctx, st, log)

	metrics, err := newMetrics(cfg.MetricsAddr, log)
	if err != nil {
		return err
	}
	defer metrics.Close()

	c, err := tclient.Dial(ctx, cfg, log, tclient.Options{Keys: keys, MetricsHandler: metrics.handler})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := tclient.EnsureSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		return err
	}
	reencodeSchedules(ctx, st, c, cfg.Namespace, keys, log)

	codecSrv, err := serveCodec(cfg, keys, log)
	if err != nil {
		return err
	}
	defer shutdown(codecSrv)

	// The sticky cache is per process and must be sized before the worker
	// starts; the other values bound what one worker takes on at once
	// (docs/benchmarks.md, "Worker options").
	worker.SetStickyWorkflowCacheSize(cfg.WorkerCache)
	w := worker.New(c, cfg.TaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     cfg.WorkerActivities,
		MaxConcurrentWorkflowTaskExecutionSize: cfg.WorkerWorkflowTasks,
		MaxConcurrentActivityTaskPollers:       cfg.WorkerPollers,
		MaxConcurrentWorkflowTaskPollers:       cfg.WorkerPollers,
		// Heartbeats reach the server at least this often, so a terminated
		// run's apply or fetch hears of it within seconds (the SDK's default
		// waits up to 80 % of the heartbeat timeout).
		MaxHeartbeatThrottleInterval: 5 * time.Second,
	})
	w.RegisterWorkflow(workflows.SyncRoster)
	w.RegisterWorkflow(workflows.DailySync)
	w.RegisterActivity(&activities.Activities{
		Store:   st,
		Secrets: sealer,
		Mail:    sender,
		Log:     log,
		// One Justworks request (a page of 100) takes well under a second;
		// the bound keeps it inside the fetch's 30 s heartbeat timeout.
		JustworksHTTP:      &http.Client{Timeout: 15 * time.Second, Transport: justworksTransport(cfg.WorkerActivities)},
		JustworksRateLimit: cfg.JustworksRateLimit,
		MailListLimit:      cfg.MailListLimit,
		LoginCooldown:      cfg.JustworksLoginCooldown,
		WebURL:             cfg.WebURL,
		Namespace:          cfg.Namespace,
	})
	log.Info("worker started", zap.String("version", version.Version), zap.String("task_queue", cfg.TaskQueue),
		zap.String("temporal", cfg.TemporalAddress), zap.String("namespace", cfg.Namespace), zap.String("temporal_security", cfg.TemporalSecurity()),
		zap.String("smtp", cfg.SMTP.Addr), zap.String("smtp_tls", cfg.SMTP.TLS), zap.Bool("smtp_login", cfg.SMTP.Username != ""),
		zap.String("codec", cfg.CodecAddr), zap.String("metrics", cfg.MetricsAddr),
		zap.Int("activities", cfg.WorkerActivities), zap.Int("workflow_tasks", cfg.WorkerWorkflowTasks),
		zap.Int("pollers", cfg.WorkerPollers), zap.Int("cache", cfg.WorkerCache))
	return w.Run(interruptCh(ctx))
}

// justworksTransport keeps connections to Justworks open for reuse: every
// company's requests go to the same host, and the default of two idle
// connections per host would open a new TCP (and TLS) connection for almost
// every request of concurrent syncs.
func justworksTransport(activities int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(100, activities)
	t.MaxIdleConnsPerHost = max(100, activities)
	return t
}

// interruptCh closes when ctx ends, the signal worker.Run stops on.
func interruptCh(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

func shutdown(srv *http.Server) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = srv.Close()
	}
}
