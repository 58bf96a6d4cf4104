package config

import (
	"fmt"
	"net"
	"net/mail"
	"os"
	"strings"
	"time"
)

// SMTP TLS modes (SMTP_TLS).
const (
	SMTPStartTLS      = "starttls"      // STARTTLS required: no mail without it
	SMTPOpportunistic = "opportunistic" // STARTTLS when the server offers it
	SMTPImplicit      = "implicit"      // TLS from the first byte (port 465, "SMTPS")
	SMTPNone          = "none"          // plain text (a local relay or catcher)
)

// SMTP is how the worker sends summary emails. Password is a secret: it is
// never printed or logged.
type SMTP struct {
	Addr     string // SMTP_ADDR host:port
	From     string // SMTP_FROM
	TLS      string // SMTP_TLS: SMTPStartTLS, SMTPOpportunistic (default), SMTPImplicit (default on port 465), SMTPNone
	CAFile   string // SMTP_TLS_CA_FILE: PEM CAs for the server's certificate, instead of the system's
	Username string // SMTP_USERNAME: log in when set
	Password string // SMTP_PASSWORD, or the first line of SMTP_PASSWORD_FILE
	Auth     string // SMTP_AUTH: "" (PLAIN if offered, else LOGIN), "plain" or "login"
	// Timeout bounds one SMTP conversation.
	Timeout time.Duration

	invalid []string
}

func (c *Config) loadSMTP(get func(k, def string) string) {
	s := SMTP{
		Addr:     get("SMTP_ADDR", ""),
		From:     get("SMTP_FROM", ""),
		TLS:      strings.ToLower(get("SMTP_TLS", "")),
		CAFile:   get("SMTP_TLS_CA_FILE", ""),
		Username: get("SMTP_USERNAME", ""),
		Password: get("SMTP_PASSWORD", ""),
		Auth:     strings.ToLower(get("SMTP_AUTH", "")),
		Timeout:  30 * time.Second,
	}
	if s.TLS == "" {
		s.TLS = SMTPOpportunistic
		if _, port, err := net.SplitHostPort(s.Addr); err == nil && port == "465" {
			s.TLS = SMTPImplicit
		}
	}
	switch s.TLS {
	case SMTPStartTLS, SMTPOpportunistic, SMTPImplicit, SMTPNone:
	default:
		s.invalid = append(s.invalid, fmt.Sprintf("SMTP_TLS %q is not one of starttls, opportunistic, implicit, none", s.TLS))
	}
	switch s.Auth {
	case "", "plain", "login":
	default:
		s.invalid = append(s.invalid, fmt.Sprintf("SMTP_AUTH %q is not plain or login (leave it unset to pick what the server offers)", s.Auth))
	}
	if f := get("SMTP_PASSWORD_FILE", ""); f != "" {
		if s.Password != "" {
			s.invalid = append(s.invalid, "set SMTP_PASSWORD or SMTP_PASSWORD_FILE, not both")
		}
		b, err := os.ReadFile(f)
		if err != nil {
			s.invalid = append(s.invalid, fmt.Sprintf("SMTP_PASSWORD_FILE: %v", err))
		}
		s.Password, _, _ = strings.Cut(string(b), "\n")
		s.Password = strings.TrimSuffix(s.Password, "\r")
	}
	if s.Username != "" && s.Password == "" {
		s.invalid = append(s.invalid, "SMTP_USERNAME is set but neither SMTP_PASSWORD nor SMTP_PASSWORD_FILE is")
	}
	if s.Username == "" && s.Password != "" {
		s.invalid = append(s.invalid, "an SMTP password is set but SMTP_USERNAME is not")
	}
	if s.Username != "" && s.TLS == SMTPNone {
		s.invalid = append(s.invalid, "SMTP_TLS=none with SMTP_USERNAME: credentials are never sent without TLS")
	}
	c.SMTP = s
}

func (s SMTP) problems() []string {
	out := append([]string(nil), s.invalid...)
	if s.Addr == "" {
		out = append(out, "SMTP_ADDR is not set (host:port of the SMTP server for summary emails)")
	} else if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		out = append(out, fmt.Sprintf("SMTP_ADDR %q is not host:port", s.Addr))
	}
	if s.From == "" {
		out = append(out, "SMTP_FROM is not set (the sender address of summary emails)")
	} else if a, err := mail.ParseAddress(s.From); err != nil || a.Address == "" {
		out = append(out, fmt.Sprintf("SMTP_FROM %q is not an email address (e.g. rostersync@example.com or \"Rostersync <rostersync@example.com>\")", s.From))
	}
	return out
}
