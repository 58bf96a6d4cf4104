package main

import (
	"fmt"
	"io"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	"github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.uber.org/zap"
)

// workerMetrics is the Prometheus endpoint: the SDK's metrics (task latencies,
// activity failures) and Rostersync's own (people synced, changes by kind,
// sync duration, problems, Justworks errors by code), all recorded through
// the SDK's metrics handler so they share one registry and one scrape.
type workerMetrics struct {
	handler client.MetricsHandler
	closer  io.Closer
}

func newMetrics(addr string, log *zap.Logger) (*workerMetrics, error) {
	if addr == "" || addr == "off" {
		return &workerMetrics{closer: io.NopCloser(nil)}, nil
	}
	reporter, err := prometheus.Configuration{ListenAddress: addr, TimerType: "histogram"}.NewReporter(
		prometheus.ConfigurationOptions{
			Registry: prom.NewRegistry(),
			OnError:  func(err error) { log.Warn("metrics", zap.Error(err)) },
		})
	if err != nil {
		return nil, fmt.Errorf("metrics endpoint on %s: %w", addr, err)
	}
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       prometheus.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	log.Info("metrics endpoint listening", zap.String("addr", "http://"+addr+"/metrics"))
	return &workerMetrics{handler: sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), closer: closer}, nil
}

func (m *workerMetrics) Close() error { return m.closer.Close() }
