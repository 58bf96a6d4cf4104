// Command worker runs Rostersync's Temporal worker: it applies database
// migrations, registers the workflows and activities, serves the payload codec
// endpoint for Temporal Web and the Prometheus metrics, and polls until stopped.
//
// Configuration is the environment (internal/config); see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/rostersync/rostersync/workflows"
)

func main() {
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
		os.Exit(1)
	}
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

	codecSrv, err := serveCodec(cfg, keys, log)
	if err != nil {
		return err
	}
	defer shutdown(codecSrv)

	w := worker.New(c, cfg.TaskQueue, worker.Options{})
	w.RegisterWorkflow(workflows.SyncRoster)
	w.RegisterWorkflow(workflows.DailySync)
	w.RegisterActivity(&activities.Activities{
		Store:   st,
		Secrets: sealer,
		Mail:    mail.Sender{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Timeout: cfg.MailTimeout},
		Log:     log,
		// One Justworks request (a page of 100) takes well under a second;
		// the bound keeps it inside the fetch's 30 s heartbeat timeout.
		JustworksHTTP:      &http.Client{Timeout: 15 * time.Second},
		JustworksRateLimit: cfg.JustworksRateLimit,
		MailListLimit:      cfg.MailListLimit,
		WebURL:             cfg.WebURL,
		Namespace:          cfg.Namespace,
	})
	log.Info("worker started", zap.String("task_queue", cfg.TaskQueue), zap.String("temporal", cfg.TemporalAddress),
		zap.String("namespace", cfg.Namespace), zap.String("codec", cfg.CodecAddr), zap.String("metrics", cfg.MetricsAddr))
	return w.Run(interruptCh(ctx))
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
