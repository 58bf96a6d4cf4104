package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/logging"
	"github.com/rostersync/rostersync/internal/store"
	"github.com/rostersync/rostersync/internal/tclient"
)

// env is what a subcommand connects to, opened lazily and closed once.
type env struct {
	cfg   config.Config
	log   *zap.Logger
	store *store.Store
	tc    client.Client
	dc    converter.DataConverter
	fc    converter.FailureConverter
}

func newEnv() (*env, error) {
	cfg := config.FromEnv()
	// The CLI talks to people on stderr; its structured log is for problems only.
	level := cfg.LogLevel
	if os.Getenv("ROSTERSYNC_LOG_LEVEL") == "" {
		level = "error"
	}
	log, err := logging.New(level)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return &env{cfg: cfg, log: log}, nil
}

func (e *env) Store(ctx context.Context) (*store.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	st, err := store.Open(ctx, e.cfg.DatabaseURL, e.log)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	// Migrations are idempotent and locked, so the CLI can run before any worker.
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	e.store = st
	return st, nil
}

func (e *env) Temporal(ctx context.Context) (client.Client, error) {
	if e.tc != nil {
		return e.tc, nil
	}
	keys, err := codec.FromEnv(os.Getenv)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	c, err := tclient.Dial(ctx, e.cfg, e.log, tclient.Options{Keys: keys})
	if err != nil {
		return nil, err
	}
	e.tc, e.dc, e.fc = c, codec.DataConverter(keys), codec.FailureConverter(keys)
	return c, nil
}

func (e *env) Close() {
	if e.tc != nil {
		e.tc.Close()
	}
	if e.store != nil {
		_ = e.store.Close()
	}
	_ = e.log.Sync()
}

// ReadStore opens the database for the commands that only read (status,
// roster export, sync): it never creates the database or migrates it, and
// says so when the schema is missing or behind this build.
func (e *env) ReadStore(ctx context.Context) (*store.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	st, err := store.OpenExisting(ctx, e.cfg.DatabaseURL, e.log)
	if errors.Is(err, store.ErrSchema) {
		return nil, usageErr("%v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	e.store = st
	return st, nil
}

// existingOrg opens the store and loads an org, or says it does not exist.
func (e *env) existingOrg(ctx context.Context, id string) (*store.Store, store.Org, error) {
	st, err := e.Store(ctx)
	if err != nil {
		return nil, store.Org{}, err
	}
	return e.loadOrg(ctx, st, id)
}

// readOrg is existingOrg for the commands that only read (see ReadStore).
func (e *env) readOrg(ctx context.Context, id string) (*store.Store, store.Org, error) {
	st, err := e.ReadStore(ctx)
	if err != nil {
		return nil, store.Org{}, err
	}
	return e.loadOrg(ctx, st, id)
}

func (e *env) loadOrg(ctx context.Context, st *store.Store, id string) (*store.Store, store.Org, error) {
	org, err := st.GetOrg(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, org, usageErr("org %s does not exist; create it with `starter org set`", id)
	}
	return st, org, err
}
