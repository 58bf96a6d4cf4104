package config

import (
	"fmt"
	"strings"
	"time"
)

// Defaults of the people-ops console (`starter serve`).
const (
	DefaultConsoleAddr = "127.0.0.1:8080"
)

// Console is the console's own environment; the rest (database, Temporal,
// secret key, SMTP) is the shared Config.
type Console struct {
	Addr string // ROSTERSYNC_CONSOLE_ADDR: where it listens
	// URL is where people reach it (ROSTERSYNC_CONSOLE_URL): links in
	// invitations and the single sign-on redirect. Default http://localhost:PORT.
	URL string
	// SessionIdle ends a session unused for that long
	// (ROSTERSYNC_CONSOLE_SESSION_IDLE, a Go duration; default 1h).
	SessionIdle time.Duration
	// Single sign-on (all three, or none): ROSTERSYNC_OIDC_ISSUER,
	// ROSTERSYNC_OIDC_CLIENT_ID, ROSTERSYNC_OIDC_CLIENT_SECRET.
	OIDCIssuer, OIDCClientID, OIDCClientSecret string
}

// LoadConsole reads the console's environment through getenv.
func LoadConsole(getenv func(string) string) (Console, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Console{
		Addr:             get("ROSTERSYNC_CONSOLE_ADDR", DefaultConsoleAddr),
		OIDCIssuer:       get("ROSTERSYNC_OIDC_ISSUER", ""),
		OIDCClientID:     get("ROSTERSYNC_OIDC_CLIENT_ID", ""),
		OIDCClientSecret: get("ROSTERSYNC_OIDC_CLIENT_SECRET", ""),
		SessionIdle:      time.Hour,
	}
	_, port, _ := strings.Cut(c.Addr, ":")
	c.URL = strings.TrimRight(get("ROSTERSYNC_CONSOLE_URL", "http://localhost:"+port), "/")
	var problems []string
	if v := get("ROSTERSYNC_CONSOLE_SESSION_IDLE", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			problems = append(problems, fmt.Sprintf("ROSTERSYNC_CONSOLE_SESSION_IDLE %q is not a duration of a minute or more (e.g. 30m)", v))
		} else {
			c.SessionIdle = d
		}
	}
	set := 0
	for _, v := range []string{c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret} {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		problems = append(problems, "single sign-on needs all of ROSTERSYNC_OIDC_ISSUER, ROSTERSYNC_OIDC_CLIENT_ID and ROSTERSYNC_OIDC_CLIENT_SECRET")
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(problems, "; "))
	}
	return c, nil
}
