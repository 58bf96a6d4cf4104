package tclient

import (
	"context"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/codec"
	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/logging"
)

// Options adjusts a dial beyond the configuration.
type Options struct {
	Keys           *codec.Keyring
	MetricsHandler client.MetricsHandler
}

// Dial connects to the configured Temporal namespace.
func Dial(ctx context.Context, cfg config.Config, log *zap.Logger, opts Options) (client.Client, error) {
	o := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.Namespace,
		Logger:    logging.SDKLogger(log),
	}
	if opts.Keys != nil {
		o.DataConverter = codec.DataConverter(opts.Keys)
		o.FailureConverter = codec.FailureConverter(opts.Keys)
	}
	if opts.MetricsHandler != nil {
		o.MetricsHandler = opts.MetricsHandler
	}
	c, err := client.DialContext(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", cfg.TemporalAddress, cfg.Namespace, err)
	}
	return c, nil
}

// SearchAttributes are Rostersync's custom search attributes.
var SearchAttributes = map[string]enums.IndexedValueType{
	"RostersyncOrg":     enums.INDEXED_VALUE_TYPE_KEYWORD,
	"RostersyncOutcome": enums.INDEXED_VALUE_TYPE_KEYWORD,
}

// EnsureSearchAttributes registers the missing custom search attributes, so
// any server (not only a dev server started with --search-attribute) works.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range SearchAttributes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	if err != nil {
		return fmt.Errorf("add search attributes %v: %w", missing, err)
	}
	return nil
}
