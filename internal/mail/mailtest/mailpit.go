package mailtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MailpitOptions configure a real Mailpit (bin/mailpit) as a mail relay with
// the security a company's relay has.
type MailpitOptions struct {
	TLSCert, TLSKey string            // PEM files: STARTTLS (or implicit TLS with RequireTLS)
	RequireSTARTTLS bool              // refuse MAIL before STARTTLS
	RequireTLS      bool              // implicit TLS from the first byte (port 465 style)
	Users           map[string]string // SMTP logins (user → password); empty = no AUTH
	// AllowInsecureAuth offers AUTH without TLS (a badly set up relay).
	AllowInsecureAuth bool
}

// Mailpit is a running Mailpit; it is stopped when the test ends.
type Mailpit struct {
	SMTPAddr string // host:port of its SMTP server
	APIURL   string // base URL of its web UI and API
}

// MailpitMessage is a message as Mailpit's API returns it.
type MailpitMessage struct {
	ID        string
	MessageID string
	From      struct{ Address string }
	To        []struct{ Address string }
	Subject   string
	Text      string
	HTML      string
	Username  string // the SMTP login that sent it
}

// StartMailpit runs the Mailpit binary at bin (testenv.Bin(t, "mailpit")) on
// free ports with opts.
func StartMailpit(t testing.TB, bin string, opts MailpitOptions) *Mailpit {
	t.Helper()
	dir := t.TempDir()
	smtpAddr, apiAddr := freeAddr(t), freeAddr(t)
	args := []string{"--smtp", smtpAddr, "--listen", apiAddr, "--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check", "--quiet"}
	if opts.TLSCert != "" {
		args = append(args, "--smtp-tls-cert", opts.TLSCert, "--smtp-tls-key", opts.TLSKey)
	}
	if opts.RequireSTARTTLS {
		args = append(args, "--smtp-require-starttls")
	}
	if opts.RequireTLS {
		args = append(args, "--smtp-require-tls")
	}
	if opts.AllowInsecureAuth {
		args = append(args, "--smtp-auth-allow-insecure")
	}
	if len(opts.Users) > 0 {
		var b strings.Builder
		for u, p := range opts.Users {
			fmt.Fprintf(&b, "%s:%s\n", u, p)
		}
		f := filepath.Join(dir, "smtp-users")
		if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--smtp-auth-file", f)
	}
	logPath := filepath.Join(dir, "mailpit.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("mailpit log:\n%s", b)
		}
	})
	m := &Mailpit{SMTPAddr: smtpAddr, APIURL: "http://" + apiAddr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("mailpit %v exited:\n%s", args, b)
		default:
		}
		if resp, err := http.Get(m.APIURL + "/api/v1/info"); err == nil {
			resp.Body.Close()
			if c, err := net.DialTimeout("tcp", smtpAddr, time.Second); err == nil {
				c.Close()
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("mailpit did not start within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Messages reads every message Mailpit holds, newest first, through its API.
func (m *Mailpit) Messages(ctx context.Context) ([]MailpitMessage, error) {
	var list struct {
		Messages []struct{ ID string }
	}
	if err := m.get(ctx, "/api/v1/messages?limit=1000", &list); err != nil {
		return nil, err
	}
	out := make([]MailpitMessage, 0, len(list.Messages))
	for _, s := range list.Messages {
		var msg MailpitMessage
		if err := m.get(ctx, "/api/v1/message/"+s.ID, &msg); err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
	return out, nil
}

// WaitFor waits until Mailpit holds at least n messages and returns them.
func (m *Mailpit) WaitFor(n int, timeout time.Duration) ([]MailpitMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		msgs, err := m.Messages(ctx)
		if err == nil && len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return msgs, fmt.Errorf("mailpit holds %d messages after %s, want %d (last error: %v)", len(msgs), timeout, n, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (m *Mailpit) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailpit GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
