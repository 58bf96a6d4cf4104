package config

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// envLookup is envconfig's view of the environment. A blank variable counts
// as unset, as everywhere else in Rostersync (envconfig alone would let
// TEMPORAL_ADDRESS= erase a profile's address).
type envLookup struct {
	getenv  func(string) string
	environ func() []string
}

func (e envLookup) LookupEnv(k string) (string, bool) {
	v := strings.TrimSpace(e.getenv(k))
	return v, v != ""
}

func (e envLookup) Environ() []string {
	if e.environ == nil {
		return nil
	}
	var out []string
	for _, kv := range e.environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(v) != "" {
			out = append(out, k+"="+strings.TrimSpace(v))
		}
	}
	return out
}

// loadTemporal resolves the Temporal connection the way the temporal CLI
// does: the profile (TEMPORAL_PROFILE, default "default") of the config file
// (TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml; a missing
// file is fine), then the TEMPORAL_* variables over it.
func (c *Config) loadTemporal(env envLookup) {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{EnvLookup: env})
	if err != nil {
		c.temporalErr = fmt.Errorf("the temporal client configuration (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE): %w", err)
	}
	if prof.Address == "" {
		prof.Address = DefaultTemporal
	}
	if prof.Namespace == "" {
		prof.Namespace = DefaultNamespace
	}
	c.Temporal, c.TemporalAddress, c.Namespace = prof, prof.Address, prof.Namespace
}

// TemporalOptions are the client options of the configured connection:
// address, namespace, API key, TLS or mTLS, gRPC headers. An API key without
// TLS settings turns TLS on (as for Temporal Cloud); TEMPORAL_TLS=false turns
// it off. A certificate file that cannot be read is an error here, before any
// dial.
func (c Config) TemporalOptions() (client.Options, error) {
	if c.temporalErr != nil {
		return client.Options{}, c.temporalErr
	}
	o, err := c.Temporal.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("the temporal TLS settings (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH or the profile's [profile.NAME.tls]): %w", err)
	}
	return o, nil
}

// TemporalSecurity describes the connection's security for logs and error
// messages, without secrets: "plaintext", "TLS", "mTLS", plus "API key".
func (c Config) TemporalSecurity() string {
	t := c.Temporal.TLS
	s := "plaintext"
	switch {
	case t != nil && t.Disabled:
	case t != nil && (t.ClientCertPath != "" || len(t.ClientCertData) > 0):
		s = "mTLS"
	case t != nil || c.Temporal.APIKey != "":
		s = "TLS"
	}
	if c.Temporal.APIKey != "" {
		s += " + API key"
	}
	return s
}
