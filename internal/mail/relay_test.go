package mail

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rostersync/rostersync/internal/mail/mailtest"
	"github.com/rostersync/rostersync/internal/testenv"
)

// A company relay: Mailpit with a certificate from the test CA, STARTTLS
// required (or implicit TLS), and a login.
func relay(t *testing.T, pki *testenv.PKI, implicit bool) *mailtest.Mailpit {
	t.Helper()
	return mailtest.StartMailpit(t, testenv.Bin(t, "mailpit"), mailtest.MailpitOptions{
		TLSCert: pki.ServerCert, TLSKey: pki.ServerKey,
		RequireSTARTTLS: !implicit, RequireTLS: implicit,
		Users: map[string]string{"rostersync": "s3cret-relay-pw"},
	})
}

func relaySender(mp *mailtest.Mailpit, pki *testenv.PKI, tlsMode, auth, password string) Sender {
	return Sender{Addr: mp.SMTPAddr, From: from, Timeout: 10 * time.Second, TLS: tlsMode, RootCAs: pki.Pool,
		Username: "rostersync", Password: password, Auth: auth}
}

func sendVia(s Sender, to, subject string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	m := Message{Subject: subject, Text: "hello", HTML: "<p>hello</p>", MessageID: s.MessageID("run-"+subject, to)}
	return s.Send(ctx, to, m)
}

// The message arrives through STARTTLS and a login (PLAIN, LOGIN, or what the
// server offers), and through implicit TLS; Mailpit's API reads it back.
func TestSendThroughSecuredRelay(t *testing.T) {
	pki := testenv.NewPKI(t)
	for _, tc := range []struct {
		name, tls, auth string
		implicit        bool
	}{
		{"starttls auto", TLSStartTLS, "", false},
		{"starttls plain", TLSStartTLS, "plain", false},
		{"starttls login", TLSStartTLS, "login", false},
		{"opportunistic finds starttls", TLSOpportunistic, "", false},
		{"implicit tls", TLSImplicit, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := relay(t, pki, tc.implicit)
			s := relaySender(mp, pki, tc.tls, tc.auth, "s3cret-relay-pw")
			if err := sendVia(s, "Ops <ops@acme.example>", tc.name); err != nil {
				t.Fatal(err)
			}
			msgs, err := mp.WaitFor(1, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			got := msgs[0]
			if got.Subject != tc.name || len(got.To) != 1 || got.To[0].Address != "ops@acme.example" || got.From.Address != "rostersync@acme.example" {
				t.Errorf("got subject %q to %v from %v", got.Subject, got.To, got.From)
			}
			// Mailpit records the user of a LOGIN only; that PLAIN logged in
			// shows in TestSendNamesTheSettingToFix (no login, no MAIL).
			if tc.auth == "login" && got.Username != "rostersync" {
				t.Errorf("sent as %q, want the login rostersync", got.Username)
			}
			if "<"+got.MessageID+">" != s.MessageID("run-"+tc.name, "Ops <ops@acme.example>") {
				t.Errorf("Message-ID %q", got.MessageID)
			}
			if strings.TrimSpace(got.Text) != "hello" {
				t.Errorf("text %q", got.Text)
			}
		})
	}
}

// Failures that only an operator can fix say which setting to fix, are
// permanent (never retried), and never carry the password.
func TestSendNamesTheSettingToFix(t *testing.T) {
	pki := testenv.NewPKI(t)
	mp := relay(t, pki, false)
	plain := mailtest.Start(t) // offers neither STARTTLS nor AUTH
	insecure := mailtest.StartMailpit(t, testenv.Bin(t, "mailpit"), mailtest.MailpitOptions{
		Users:             map[string]string{"rostersync": "s3cret-relay-pw"},
		AllowInsecureAuth: true, // AUTH offered without TLS: must not be used
	})
	for _, tc := range []struct {
		name    string
		s       Sender
		stage   string
		setting string
	}{
		{"wrong password", relaySender(mp, pki, TLSStartTLS, "", "wrong-pw-123"), StageAuth, "SMTP_PASSWORD"},
		{"wrong password with LOGIN", relaySender(mp, pki, TLSStartTLS, "login", "wrong-pw-123"), StageAuth, "SMTP_PASSWORD"},
		{"no login where one is required", Sender{Addr: mp.SMTPAddr, From: from, TLS: TLSStartTLS, RootCAs: pki.Pool}, StageMail, "SMTP_USERNAME"},
		{"untrusted certificate", relaySender(mp, pki, TLSStartTLS, "", "s3cret-relay-pw").withRoots(nil), StageTLS, "SMTP_TLS_CA_FILE"},
		{"no TLS against a relay that requires it", Sender{Addr: mp.SMTPAddr, From: from, TLS: TLSNone}, StageMail, "SMTP_TLS"},
		{"starttls required but not offered", Sender{Addr: plain.Addr(), From: from, TLS: TLSStartTLS}, StageTLS, "SMTP_TLS"},
		{"implicit TLS against a STARTTLS port", relaySender(mp, pki, TLSImplicit, "", "s3cret-relay-pw"), StageTLS, "SMTP_TLS"},
		{"login offered without TLS", Sender{Addr: insecure.SMTPAddr, From: from, Username: "rostersync", Password: "s3cret-relay-pw"}, StageAuth, "SMTP_TLS"},
		{"login where no AUTH is offered", Sender{Addr: plain.Addr(), From: from, Username: "rostersync", Password: "s3cret-relay-pw"}, StageAuth, "SMTP_AUTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := sendVia(tc.s, "ops@acme.example", "x")
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SendError", err)
			}
			if se.Stage != tc.stage || !se.Permanent || !strings.Contains(se.Setting, tc.setting) {
				t.Fatalf("stage %q permanent %v setting %q, want stage %q permanent, setting naming %s: %v", se.Stage, se.Permanent, se.Setting, tc.stage, tc.setting, err)
			}
			if !strings.Contains(err.Error(), "fix "+se.Setting) {
				t.Errorf("message does not name the setting: %v", err)
			}
			if tc.s.Password != "" && strings.Contains(err.Error(), tc.s.Password) {
				t.Errorf("message carries the password: %v", err)
			}
			t.Log(err)
		})
	}
	for _, srv := range []*mailtest.Mailpit{mp, insecure} {
		if msgs, err := srv.Messages(context.Background()); err != nil || len(msgs) != 0 {
			t.Errorf("%s received %d messages (%v), want none", srv.SMTPAddr, len(msgs), err)
		}
	}
	if n := len(plain.Messages()); n != 0 {
		t.Errorf("the plain server received %d messages", n)
	}
}

func (s Sender) withRoots(p *x509.CertPool) Sender { s.RootCAs = p; return s }
