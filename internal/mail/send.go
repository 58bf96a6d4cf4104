package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// DefaultTimeout bounds a whole Send when Sender.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// TLS modes of a Sender.
const (
	TLSOpportunistic = "opportunistic" // STARTTLS when the server offers it (the zero value)
	TLSStartTLS      = "starttls"      // STARTTLS required: nothing is sent without it
	TLSImplicit      = "implicit"      // TLS from the first byte (port 465)
	TLSNone          = "none"          // never TLS (a local relay or catcher)
)

// Sender delivers messages to one SMTP server, over TLS as configured, and
// logs in when Username is set. Credentials are only ever sent over TLS.
type Sender struct {
	Addr    string        // host:port of the SMTP server
	From    string        // RFC 5322 address, e.g. "Rostersync <rostersync@acme.example>"
	Timeout time.Duration // bound on one Send, including connecting; 0 = DefaultTimeout

	TLS     string         // TLSOpportunistic ("" too), TLSStartTLS, TLSImplicit or TLSNone
	RootCAs *x509.CertPool // CAs for the server's certificate; nil = the system's

	Username, Password string // AUTH when Username is set; Password is never logged
	Auth               string // "plain", "login", or "" for PLAIN when offered, else LOGIN
}

// SMTP stages, for SendError.Stage.
const (
	StageValidate = "validate"
	StageConnect  = "connect"
	StageHello    = "hello"
	StageTLS      = "tls"
	StageAuth     = "auth"
	StageMail     = "mail from"
	StageRcpt     = "rcpt to"
	StageData     = "data"
)

// The settings a SendError.Setting names (internal/config reads them).
const (
	settingTLS   = "SMTP_TLS"
	settingCA    = "SMTP_TLS_CA_FILE (or SMTP_TLS)"
	settingLogin = "SMTP_USERNAME and SMTP_PASSWORD (or SMTP_PASSWORD_FILE)"
	settingAuth  = "SMTP_AUTH (or SMTP_USERNAME)"
)

// SendError is why a Send failed.
type SendError struct {
	Stage string
	// Code is the SMTP reply code, 0 when the failure was not a reply.
	Code int
	// Permanent: retrying the same message cannot succeed (5xx reply, invalid
	// address or header). Otherwise (4xx reply, network error, timeout) a later
	// attempt may.
	Permanent bool
	// MaybeDelivered: the whole message, final dot included, may have reached
	// the server, and the connection was lost before its reply. The server
	// may have accepted it, so a retry risks a duplicate.
	MaybeDelivered bool
	// Setting names the configuration to fix when the failure is ours, not
	// the message's (TLS refused, login rejected): every recipient would fail
	// the same way, so nothing should be retried until an operator acts.
	Setting string
	Err     error
}

func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString("send mail: ")
	b.WriteString(e.Stage)
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.MaybeDelivered {
		b.WriteString(" (the message may have been delivered)")
	}
	if e.Setting != "" {
		b.WriteString("; fix ")
		b.WriteString(e.Setting)
	}
	return b.String()
}

func (e *SendError) Unwrap() error { return e.Err }

// MessageID is a Message-ID that is the same for every send of one run's
// summary to one recipient, so that a duplicate is recognisable; its domain is
// that of the From address.
func (s Sender) MessageID(runID, recipient string) string {
	sum := sha256.Sum256([]byte(runID + "\x00" + strings.ToLower(strings.TrimSpace(recipient))))
	domain := "rostersync.invalid"
	if a, err := mail.ParseAddress(s.From); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i+1 < len(a.Address) {
			domain = a.Address[i+1:]
		}
	}
	return "<summary." + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// Send delivers m to one recipient. Every failure is a *SendError.
func (s Sender) Send(ctx context.Context, to string, m Message) error {
	from, rcpt, data, err := s.build(to, m, time.Now())
	if err != nil {
		return &SendError{Stage: StageValidate, Permanent: true, Err: err}
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	host, _, _ := net.SplitHostPort(s.Addr)
	tlsConfig := &tls.Config{ServerName: host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}

	var d net.Dialer
	var conn net.Conn
	conn, err = d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return &SendError{Stage: StageConnect, Err: err}
	}
	defer func() { conn.Close() }()
	// The deadline bounds every read and write; cancelling ctx cuts a
	// conversation short the same way.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	fail := func(stage string, err error, maybe bool) error {
		switch {
		case isReply(err):
		case ctx.Err() != nil:
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The connection's deadline is ctx's and can fire a moment first.
			err = fmt.Errorf("%w (%w)", err, context.DeadlineExceeded)
		}
		se := &SendError{Stage: stage, Err: err, MaybeDelivered: maybe}
		var tp *textproto.Error
		if errors.As(err, &tp) {
			se.Code = tp.Code
			se.Permanent = tp.Code >= 500
			se.MaybeDelivered = false // the server answered: it did not take the message
		}
		return se
	}

	if s.TLS == TLSImplicit {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return tlsFailure(fail(StageTLS, err, false))
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fail(StageConnect, err, false)
	}
	if err := c.Hello(helloName(from)); err != nil {
		return fail(StageHello, err, false)
	}
	if s.TLS != TLSImplicit && s.TLS != TLSNone {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return tlsFailure(fail(StageTLS, err, false))
			}
		} else if s.TLS == TLSStartTLS {
			return &SendError{Stage: StageTLS, Permanent: true, Setting: settingTLS,
				Err: fmt.Errorf("%s does not offer STARTTLS, which SMTP_TLS=starttls requires (SMTP_TLS=implicit for a port-465 server)", s.Addr)}
		}
	}
	if s.Username != "" {
		if err := s.login(c); err != nil {
			return loginFailure(fail(StageAuth, err, false))
		}
	}
	if err := c.Mail(from); err != nil {
		err = fail(StageMail, err, false)
		if se := err.(*SendError); se.Code == 530 {
			// 530: "authentication required" or "must issue STARTTLS first".
			se.Setting = "SMTP_TLS or SMTP_USERNAME (the server wants STARTTLS or a login first)"
		}
		return err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return fail(StageRcpt, err, false)
	}
	w, err := c.Data()
	if err != nil {
		return fail(StageData, err, false)
	}
	if _, err := w.Write(data); err != nil {
		// The final dot was not sent: the server discards a partial message.
		return fail(StageData, err, false)
	}
	if err := w.Close(); err != nil {
		// Close sends the final dot and reads the reply; without a reply we
		// cannot know whether the server took the message.
		return fail(StageData, err, true)
	}
	// The message is accepted; a failed QUIT does not change that.
	_ = c.Quit()
	return nil
}

// login authenticates with the configured mechanism; PLAIN and LOGIN both
// refuse to send the password over a connection without TLS.
func (s Sender) login(c *smtp.Client) error {
	ok, offered := c.Extension("AUTH")
	if !ok {
		return errNoAuth
	}
	mech := s.Auth
	if mech == "" {
		mech = "login"
		for _, m := range strings.Fields(strings.ToUpper(offered)) {
			if m == "PLAIN" {
				mech = "plain"
			}
		}
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	if mech == "plain" {
		return c.Auth(plainAuth{username: s.Username, password: s.Password, host: host})
	}
	return c.Auth(loginAuth{username: s.Username, password: s.Password, host: host})
}

var (
	errNoAuth      = errors.New("the server offers no AUTH, yet SMTP_USERNAME is set")
	errUnencrypted = errors.New("refusing to send the SMTP password over a connection without TLS")
)

// plainAuth is RFC 4616 PLAIN. Unlike smtp.PlainAuth it does not make an
// exception for localhost: the password only ever travels over TLS.
type plainAuth struct{ username, password, host string }

func (a plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, errUnencrypted
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "PLAIN", []byte("\x00" + a.username + "\x00" + a.password), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

// loginAuth is the LOGIN mechanism (draft-murchison-sasl-login), which many
// relays (Office 365, older Exchange) offer instead of PLAIN.
type loginAuth struct{ username, password, host string }

func (a loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, errUnencrypted
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(challenge))) {
	case "username:", "user name", "username":
		return []byte(a.username), nil
	case "password:", "password":
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", challenge)
}

// tlsFailure marks certificate problems as ours to fix; a handshake cut short
// by the network stays retryable.
func tlsFailure(err error) error {
	var se *SendError
	if !errors.As(err, &se) {
		return err
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		rec      tls.RecordHeaderError
	)
	switch {
	case errors.As(se.Err, &unknown), errors.As(se.Err, &hostname), errors.As(se.Err, &invalid), errors.As(se.Err, &verify):
		se.Permanent, se.Setting = true, settingCA
	case errors.As(se.Err, &alert), errors.As(se.Err, &rec):
		se.Permanent, se.Setting = true, settingTLS
	}
	return se
}

// loginFailure: a rejected login (5xx) or a refusal to log in at all is for
// an operator to fix; a 4xx (454 temporary authentication failure) is not.
func loginFailure(err error) error {
	var se *SendError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(se.Err, errUnencrypted):
		se.Permanent, se.Setting = true, settingTLS
	case errors.Is(se.Err, errNoAuth):
		se.Permanent, se.Setting = true, settingAuth
	case se.Code == 504:
		se.Setting = settingAuth // mechanism not supported
	case se.Permanent:
		se.Setting = settingLogin
	case se.Code == 0 && se.Err != nil && !isNetErr(se.Err):
		se.Permanent, se.Setting = true, settingAuth // e.g. an unexpected challenge
	}
	return se
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func isReply(err error) bool {
	var tp *textproto.Error
	return errors.As(err, &tp)
}

// helloName is the name we greet with: the From domain, which a relay can
// resolve, rather than this host's name, which often it cannot.
func helloName(from string) string {
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		return from[i+1:]
	}
	return "localhost"
}

// build validates the addresses and headers and returns the envelope sender,
// the envelope recipient and the message with CRLF line endings.
func (s Sender) build(to string, m Message, now time.Time) (from, rcpt string, data []byte, err error) {
	fromAddr, err := parseAddress("From", s.From)
	if err != nil {
		return "", "", nil, err
	}
	toAddr, err := parseAddress("To", to)
	if err != nil {
		return "", "", nil, err
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return "", "", nil, errors.New("subject contains a line break")
	}
	if hasControl(m.Subject) {
		return "", "", nil, errors.New("subject contains a control character")
	}
	msgID := m.MessageID
	if msgID == "" {
		msgID = randomMessageID(fromAddr.Address)
	}
	if strings.ContainsAny(msgID, "\r\n \t") || hasControl(msgID) ||
		!strings.HasPrefix(msgID, "<") || !strings.HasSuffix(msgID, ">") || !strings.Contains(msgID, "@") {
		return "", "", nil, fmt.Errorf("invalid Message-ID %q: want <local@domain>", msgID)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range []struct{ typ, content string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return "", "", nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(p.content)); err != nil {
			return "", "", nil, err
		}
		if err := qp.Close(); err != nil {
			return "", "", nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return "", "", nil, err
	}

	var msg bytes.Buffer
	header := func(k, v string) { msg.WriteString(k + ": " + v + "\r\n") }
	header("From", fromAddr.String())
	header("To", toAddr.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", msgID)
	header("MIME-Version", "1.0")
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	// RFC 3834: tells auto-responders not to answer a machine.
	header("Auto-Submitted", "auto-generated")
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return fromAddr.Address, toAddr.Address, msg.Bytes(), nil
}

func parseAddress(field, s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") || hasControl(s) {
		return nil, fmt.Errorf("%s address contains a line break or control character", field)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%s address %q: %w", field, s, err)
	}
	if strings.ContainsAny(a.Address, "<>\r\n") {
		return nil, fmt.Errorf("%s address %q is not usable in SMTP", field, s)
	}
	return a, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return true
		}
	}
	return false
}

func randomMessageID(from string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	domain := "rostersync.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}
