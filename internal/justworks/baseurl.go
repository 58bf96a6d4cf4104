package justworks

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckBaseURL accepts a Justworks base URL: https, or http only to a loopback
// host (the sandbox on this machine), so that credentials and session tokens
// never cross a network in clear.
func CheckBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
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
