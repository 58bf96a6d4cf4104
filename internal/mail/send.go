package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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

// Sender delivers messages to one SMTP server without authentication or TLS
// (a local relay or mail catcher); STARTTLS is not attempted.
type Sender struct {
	Addr    string        // host:port of the SMTP server
	From    string        // RFC 5322 address, e.g. "Rostersync <rostersync@acme.example>"
	Timeout time.Duration // bound on one Send, including connecting; 0 = DefaultTimeout
}

// SMTP stages, for SendError.Stage.
const (
	StageValidate = "validate"
	StageConnect  = "connect"
	StageHello    = "hello"
	StageMail     = "mail from"
	StageRcpt     = "rcpt to"
	StageData     = "data"
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
	Err            error
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

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return &SendError{Stage: StageConnect, Err: err}
	}
	defer conn.Close()
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

	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fail(StageConnect, err, false)
	}
	if err := c.Hello(helloName(from)); err != nil {
		return fail(StageHello, err, false)
	}
	if err := c.Mail(from); err != nil {
		return fail(StageMail, err, false)
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
