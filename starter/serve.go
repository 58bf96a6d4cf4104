package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/activities"
	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/console"
	"github.com/rostersync/rostersync/internal/logging"
	"github.com/rostersync/rostersync/internal/mail"
	"github.com/rostersync/rostersync/internal/secrets"
)

// serve runs the people-ops console until interrupted. It uses the same
// environment, store, Temporal client and codec as the other subcommands
// (docs/architecture.md says why it is a subcommand).
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cc, err := config.LoadConsole(os.Getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", cc.Addr, "listen address (ROSTERSYNC_CONSOLE_ADDR)")
	if err := parse(fs, args); err != nil {
		return err
	}
	e, err := newEnv()
	if err != nil {
		return err
	}
	defer e.Close()
	if os.Getenv("ROSTERSYNC_LOG_LEVEL") == "" {
		// A server logs what it does, unlike the one-shot subcommands.
		if e.log, err = logging.New("info"); err != nil {
			return err
		}
	}
	sealer, err := secrets.ParseKey(e.cfg.SecretKey)
	if err != nil {
		return usageErr("ROSTERSYNC_SECRET_KEY: %v", err)
	}
	// The console needs what a worker needs: the secret key (it seals
	// credentials), Temporal, and SMTP (invitations go out as summaries do).
	if err := e.cfg.ValidateWorker(); err != nil {
		return usageErr("%v", err)
	}
	sender, err := mail.SenderFor(e.cfg.SMTP)
	if err != nil {
		return usageErr("%v", err)
	}
	st, err := e.Store(ctx)
	if err != nil {
		return err
	}
	c, err := e.Temporal(ctx)
	if err != nil {
		return err
	}
	acts := &activities.Activities{Store: st, Secrets: sealer, Log: e.log, JustworksHTTP: &http.Client{Timeout: 15 * time.Second},
		JustworksRateLimit: e.cfg.JustworksRateLimit}
	cfg := console.Config{BaseURL: cc.URL, TaskQueue: e.cfg.TaskQueue, Namespace: e.cfg.Namespace, WebURL: e.cfg.WebURL, SessionIdle: cc.SessionIdle}
	if cc.OIDCIssuer != "" {
		cfg.OIDC = &console.OIDCConfig{Issuer: cc.OIDCIssuer, ClientID: cc.OIDCClientID, ClientSecret: cc.OIDCClientSecret}
	}
	srv, err := console.New(ctx, cfg, console.Deps{
		Store: st, Temporal: c, DataConverter: e.dc, FailureConverter: e.fc, Sealer: sealer,
		Mail: sender, Log: e.log,
		TestConnection: func(ctx context.Context, org string) error { return activities.TestLogin(ctx, acts, org) },
	})
	if err != nil {
		return usageErr("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usageErr("console: listen on %s: %v", *addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 3 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	fmt.Fprintf(stdout, "console listening on %s, reachable at %s\n", ln.Addr(), cc.URL)
	e.log.Info("console listening", zap.String("addr", ln.Addr().String()), zap.String("url", cc.URL))
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
