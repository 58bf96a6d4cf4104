// Package mailtest is an in-process SMTP server for tests: it listens on
// 127.0.0.1, speaks enough real SMTP for net/smtp and other clients (EHLO/HELO,
// MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT), records every accepted
// message and parses it the way a mail client would. Faults (a 5xx or 4xx reply
// at a chosen command, or a dropped connection after the final dot) let tests
// exercise a sender's error handling.
package mailtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Commands a fault can be attached to. CmdDot is the end of the message data
// (the reply that accepts or refuses the message).
const (
	CmdHello = "HELO" // EHLO and HELO
	CmdMail  = "MAIL"
	CmdRcpt  = "RCPT"
	CmdData  = "DATA"
	CmdDot   = "."
)

// Received is one accepted message.
type Received struct {
	From string   // envelope sender
	To   []string // envelope recipients
	Data []byte   // the message as sent, CRLF line endings, dot-stuffing undone

	Header   mail.Header // parsed headers
	Subject  string      // Subject with RFC 2047 encoded-words decoded
	Parts    []Part      // the MIME parts, decoded (one part for a non-multipart message)
	Text     string      // the first text/plain part, decoded
	HTML     string      // the first text/html part, decoded
	ParseErr error       // why the message could not be parsed, if it could not
}

// Part is one MIME part of a message.
type Part struct {
	Header textproto.MIMEHeader // as sent, Content-Transfer-Encoding included
	Body   string               // decoded; CRLF line breaks become LF
}

// Server is a running test SMTP server; Start stops it when the test ends.
type Server struct {
	ln net.Listener
	wg sync.WaitGroup

	mu       sync.Mutex
	cond     *sync.Cond
	msgs     []Received
	faults   map[string]fault
	drop     bool
	conns    map[net.Conn]struct{}
	closed   bool
	sessions int
}

type fault struct {
	code int
	text string
}

// Option configures a Server at Start.
type Option func(*Server)

// Fail makes the server answer cmd (CmdHello, CmdMail, CmdRcpt, CmdData,
// CmdDot) with code, e.g. Fail(CmdRcpt, 550) or Fail(CmdDot, 451).
func Fail(cmd string, code int) Option { return func(s *Server) { s.setFault(cmd, code) } }

// RejectRcpt answers RCPT TO with 550 (mailbox unavailable).
func RejectRcpt() Option { return Fail(CmdRcpt, 550) }

// DropAfterData closes the connection after receiving a message's final dot,
// without replying (and without recording the message).
func DropAfterData() Option { return func(s *Server) { s.drop = true } }

// Start listens on 127.0.0.1:0 and serves until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{ln: ln, faults: map[string]fault{}, conns: map[net.Conn]struct{}{}}
	s.cond = sync.NewCond(&s.mu)
	for _, o := range opts {
		o(s)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// SetFault changes the reply to cmd while the server runs; code 0 removes the
// fault.
func (s *Server) SetFault(cmd string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFault(cmd, code)
}

// SetDropAfterData turns DropAfterData on or off while the server runs.
func (s *Server) SetDropAfterData(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop = on
}

func (s *Server) setFault(cmd string, code int) {
	if code == 0 {
		delete(s.faults, cmd)
		return
	}
	text := "Requested action not taken: mailbox unavailable"
	if code < 500 {
		text = "Requested action aborted: local error in processing"
	}
	s.faults[cmd] = fault{code, text}
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Sessions is how many SMTP connections the server has accepted.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// WaitFor waits until at least n messages were accepted and returns them; it
// returns an error if that does not happen within timeout.
func (s *Server) WaitFor(n int, timeout time.Duration) ([]Received, error) {
	timer := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer timer.Stop()
	end := time.Now().Add(timeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.msgs) < n {
		if !time.Now().Before(end) || s.closed {
			return append([]Received(nil), s.msgs...), fmt.Errorf("mailtest: %d of %d messages after %v", len(s.msgs), n, timeout)
		}
		s.cond.Wait()
	}
	return append([]Received(nil), s.msgs...), nil
}

// Close stops the server and waits for its connections to end.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	_ = s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.sessions++
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				_ = c.Close()
			}()
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			s.session(c)
		}()
	}
}

func (s *Server) fault(cmd string) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faults[cmd]
	return f, ok
}

// session runs one SMTP conversation.
func (s *Server) session(c net.Conn) {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	reply := func(code int, lines ...string) bool {
		for i, l := range lines {
			sep := " "
			if i < len(lines)-1 {
				sep = "-"
			}
			fmt.Fprintf(w, "%d%s%s\r\n", code, sep, l)
		}
		return w.Flush() == nil
	}
	if !reply(220, "mailtest ESMTP ready") {
		return
	}
	var from string
	var to []string
	var helo, inMail bool // inMail: MAIL accepted (from may be "", the null sender)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		faultCmd := verb
		if verb == "EHLO" {
			faultCmd = CmdHello
		}
		if f, ok := s.fault(faultCmd); ok && verb != "QUIT" && verb != "RSET" && verb != "NOOP" {
			reply(f.code, f.text)
			continue
		}
		switch verb {
		case "EHLO":
			helo = true
			from, to, inMail = "", nil, false
			reply(250, "mailtest greets "+arg, "8BITMIME", "SMTPUTF8", "SIZE 10485760")
		case "HELO":
			helo = true
			from, to, inMail = "", nil, false
			reply(250, "mailtest greets "+arg)
		case "MAIL":
			addr, ok := pathArg(arg, "FROM:")
			switch {
			case !helo:
				reply(503, "Bad sequence of commands: send HELO/EHLO first")
			case !ok:
				reply(501, "Syntax: MAIL FROM:<address>")
			default:
				from, to, inMail = addr, nil, true
				reply(250, "OK")
			}
		case "RCPT":
			addr, ok := pathArg(arg, "TO:")
			switch {
			case !inMail:
				reply(503, "Bad sequence of commands: send MAIL first")
			case !ok || addr == "":
				reply(501, "Syntax: RCPT TO:<address>")
			default:
				to = append(to, addr)
				reply(250, "OK")
			}
		case "DATA":
			if len(to) == 0 {
				reply(503, "Bad sequence of commands: no valid recipients")
				continue
			}
			if !reply(354, "End data with <CR><LF>.<CR><LF>") {
				return
			}
			data, err := readData(r)
			if err != nil {
				return
			}
			s.mu.Lock()
			drop := s.drop
			s.mu.Unlock()
			if drop {
				return
			}
			if f, ok := s.fault(CmdDot); ok {
				reply(f.code, f.text)
				from, to, inMail = "", nil, false
				continue
			}
			s.record(from, to, data)
			from, to, inMail = "", nil, false
			reply(250, "OK: queued")
		case "RSET":
			from, to, inMail = "", nil, false
			reply(250, "OK")
		case "NOOP":
			reply(250, "OK")
		case "QUIT":
			reply(221, "Bye")
			return
		default:
			reply(502, "Command not implemented")
		}
	}
}

// pathArg reads "FROM:<addr> PARAMS" (prefix case-insensitive).
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

// readData reads message data up to the line ".", undoing dot-stuffing and
// keeping line endings as sent.
func readData(r *bufio.Reader) ([]byte, error) {
	var buf bytes.Buffer
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line == ".\r\n" || line == ".\n" {
			return buf.Bytes(), nil
		}
		buf.WriteString(strings.TrimPrefix(line, "."))
	}
}

func (s *Server) record(from string, to []string, data []byte) {
	m := Received{From: from, To: to, Data: data}
	m.ParseErr = parse(&m)
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.cond.Broadcast()
	s.mu.Unlock()
}

// parse fills the parsed fields of m from m.Data.
func parse(m *Received) error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return fmt.Errorf("decode subject: %w", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		mediaType, params = "text/plain", nil
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("read part: %w", err)
			}
			body, err := decode(p.Header.Get("Content-Transfer-Encoding"), p)
			if err != nil {
				return err
			}
			m.Parts = append(m.Parts, Part{Header: p.Header, Body: body})
		}
	} else {
		h := textproto.MIMEHeader(msg.Header)
		body, err := decode(h.Get("Content-Transfer-Encoding"), msg.Body)
		if err != nil {
			return err
		}
		m.Parts = append(m.Parts, Part{Header: h, Body: body})
	}
	for _, p := range m.Parts {
		t, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch {
		case t == "text/plain" && m.Text == "":
			m.Text = p.Body
		case t == "text/html" && m.HTML == "":
			m.HTML = p.Body
		}
	}
	return nil
}

func decode(cte string, r io.Reader) (string, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "", "7bit", "8bit", "binary":
	default:
		return "", fmt.Errorf("unsupported Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("decode %s body: %w", cte, err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
}
