package mail

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/rostersync/rostersync/internal/config"
)

// SenderFor is the SMTP client the configuration describes: the one way the
// worker (summaries) and the console (invitations) send mail.
func SenderFor(c config.SMTP) (Sender, error) {
	s := Sender{Addr: c.Addr, From: c.From, Timeout: c.Timeout, TLS: c.TLS,
		Username: c.Username, Password: c.Password, Auth: c.Auth}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return s, fmt.Errorf("SMTP_TLS_CA_FILE: %w", err)
		}
		s.RootCAs = x509.NewCertPool()
		if !s.RootCAs.AppendCertsFromPEM(pem) {
			return s, fmt.Errorf("SMTP_TLS_CA_FILE %s holds no PEM certificate", c.CAFile)
		}
	}
	return s, nil
}
