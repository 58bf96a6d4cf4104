package tclient

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

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

// Dial connects to the configured Temporal namespace (config.TemporalOptions:
// the temporal CLI's environment variables and profile file). It fails within
// seconds when the server cannot be reached or refuses the connection, with a
// message that names the setting to check.
func Dial(ctx context.Context, cfg config.Config, log *zap.Logger, opts Options) (client.Client, error) {
	o, err := cfg.TemporalOptions()
	if err != nil {
		return nil, err
	}
	o.Logger = logging.SDKLogger(log)
	if opts.Keys != nil {
		o.DataConverter = codec.DataConverter(opts.Keys)
		o.FailureConverter = codec.FailureConverter(opts.Keys)
	}
	if opts.MetricsHandler != nil {
		o.MetricsHandler = opts.MetricsHandler
	}
	c, err := client.DialContext(ctx, o)
	if err != nil {
		return nil, &DialError{Address: cfg.TemporalAddress, Namespace: cfg.Namespace, Security: cfg.TemporalSecurity(), Err: err}
	}
	return c, nil
}

// DialError is a failed connection to Temporal, with a hint at the setting
// that is most likely wrong.
type DialError struct {
	Address, Namespace, Security string
	Err                          error
}

func (e *DialError) Unwrap() error { return e.Err }

func (e *DialError) Error() string {
	return fmt.Sprintf("connect to Temporal at %s (namespace %s, %s): %v; %s", e.Address, e.Namespace, e.Security, e.Err, e.Hint())
}

// Hint says what to check, from what the failure looks like.
func (e *DialError) Hint() string {
	msg := e.Err.Error()
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(msg, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has("certificate required", "bad certificate", "unknown certificate authority", "certificate_required"):
		return "the server wants a client certificate it trusts: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (see docs/deploy.md)"
	case has("x509:", "certificate signed by unknown authority", "certificate is valid for"):
		return "the server's certificate is not trusted: set TEMPORAL_TLS_SERVER_CA_CERT_PATH (and TEMPORAL_TLS_SERVER_NAME if the name differs)"
	case has("first record does not look like a TLS handshake"):
		return "the server does not speak TLS: set TEMPORAL_TLS=false"
	case has("Unauthenticated", "PermissionDenied", "Request unauthorized", "permission denied"):
		return "the server refused the credentials: check TEMPORAL_API_KEY (or the client certificate) and TEMPORAL_NAMESPACE"
	case has("NotFound", "not found") && strings.Contains(strings.ToLower(msg), "namespace"):
		return "check TEMPORAL_NAMESPACE"
	case e.Security != "plaintext" && !strings.Contains(e.Security, "API key") && has("EOF", "connection reset", "broken pipe", "server preface", "connection closed"):
		// With TLS 1.3 the server checks the client certificate after the
		// client's half of the handshake, so a refusal arrives as a closed
		// connection, not as an alert.
		return "the server closed the TLS connection, as a server that requires mTLS does when the client certificate is missing or not trusted: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH to a certificate its CA signed"
	case e.Security == "plaintext" && has("EOF", "connection reset", "broken pipe", "server preface", "connection closed"):
		return "the server closed a plaintext connection; if it requires TLS, set TEMPORAL_TLS=true (and the TEMPORAL_TLS_* certificate settings)"
	case errors.Is(e.Err, context.DeadlineExceeded) || has("DeadlineExceeded", "connection refused", "no such host"):
		return "check TEMPORAL_ADDRESS (host:port) and that the server is up and reachable from here"
	}
	return "check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and the TEMPORAL_TLS_* settings (docs/deploy.md)"
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
		// A locked-down cluster (or Temporal Cloud) does not let a worker
		// change the namespace: say how an administrator does it once.
		var cmds []string
		for name := range missing {
			cmds = append(cmds, fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type Keyword", namespace, name))
		}
		sort.Strings(cmds)
		return fmt.Errorf("register search attributes: %w; an administrator can register them with: %s (on Temporal Cloud: tcld namespace search-attributes add)", err, strings.Join(cmds, "; "))
	}
	return nil
}
