package justworks

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// EnvPlainHTTPHosts names hosts that may be reached over plain http besides
// loopback ones: the sandbox container of the docker-compose trial stack
// ("sandbox"). Never set it for a real Justworks account.
const EnvPlainHTTPHosts = "ROSTERSYNC_JUSTWORKS_HTTP_HOSTS"

// CheckBaseURL accepts a Justworks base URL: https, or http only to a loopback
// host (the sandbox on this machine) or a host named in EnvPlainHTTPHosts, so
// that credentials and session tokens never cross a network in clear.
func CheckBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		shown := capVendorText(raw)
		if err == nil {
			shown = u.Redacted() // a password in the URL is not repeated
		}
		return fmt.Errorf("%q is not an http(s) URL without credentials", shown)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) && !plainHTTPAllowed(u.Hostname()) {
		return fmt.Errorf("%q must use https (plain http is allowed only to this machine, e.g. the sandbox on 127.0.0.1)", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func plainHTTPAllowed(host string) bool {
	for _, h := range strings.Split(os.Getenv(EnvPlainHTTPHosts), ",") {
		if h = strings.TrimSpace(h); h != "" && strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}
