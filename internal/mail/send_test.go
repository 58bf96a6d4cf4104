package mail

import (
	"context"
	"errors"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/mail/mailtest"
)

const from = "Rostersync <rostersync@acme.example>"

func send(t *testing.T, srv *mailtest.Server, to string, m Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Sender{Addr: srv.Addr(), From: from, Timeout: 5 * time.Second}.Send(ctx, to, m)
}

func sendErr(t *testing.T, err error) *SendError {
	t.Helper()
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want *SendError", err, err)
	}
	return se
}

func TestSendRoundTrip(t *testing.T) {
	srv := mailtest.Start(t)
	m, err := Render(sampleSummary(domain.OutcomeApplied))
	if err != nil {
		t.Fatal(err)
	}
	s := Sender{From: from}
	m.MessageID = s.MessageID("run-1", "ops@acme.example")
	if err := send(t, srv, "Ops Team <ops@acme.example>", m); err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.WaitFor(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := msgs[0]
	if got.ParseErr != nil {
		t.Fatalf("parse: %v\n%s", got.ParseErr, got.Data)
	}
	if got.From != "rostersync@acme.example" || len(got.To) != 1 || got.To[0] != "ops@acme.example" {
		t.Errorf("envelope from %q to %q", got.From, got.To)
	}
	if got.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", got.Subject, m.Subject)
	}
	if got.Text != m.Text {
		t.Errorf("text part differs:\n%s", got.Text)
	}
	if got.HTML != m.HTML {
		t.Errorf("html part differs:\n%s", got.HTML)
	}
	h := got.Header
	if a, err := mail.ParseAddress(h.Get("From")); err != nil || a.Address != "rostersync@acme.example" || a.Name != "Rostersync" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	if a, err := mail.ParseAddress(h.Get("To")); err != nil || a.Address != "ops@acme.example" {
		t.Errorf("To = %q (%v)", h.Get("To"), err)
	}
	if d, err := h.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date = %q (%v)", h.Get("Date"), err)
	}
	if h.Get("Message-ID") != m.MessageID {
		t.Errorf("Message-ID = %q, want %q", h.Get("Message-ID"), m.MessageID)
	}
	if h.Get("MIME-Version") != "1.0" || !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative; boundary=") {
		t.Errorf("MIME headers %q %q", h.Get("MIME-Version"), h.Get("Content-Type"))
	}
	if len(got.Parts) != 2 {
		t.Fatalf("%d parts", len(got.Parts))
	}
	for i, typ := range []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"} {
		ph := got.Parts[i].Header
		if ph.Get("Content-Type") != typ || ph.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Errorf("part %d: %v", i, ph)
		}
	}
	for _, l := range strings.Split(string(got.Data), "\r\n") {
		if len(l) > 998 {
			t.Fatalf("line of %d bytes", len(l))
		}
		if strings.ContainsRune(l, '\n') {
			t.Fatalf("bare LF in %q", l)
		}
	}
}

func TestSendNonASCIIAndDots(t *testing.T) {
	srv := mailtest.Start(t)
	m := Message{
		Subject: "Rostersync · Société Générale: 1 hire — 山田 太郎",
		Text:    "first\n.\n..two dots\n.leading dot\nÀ la carte " + strings.Repeat("long ", 40) + "\n",
		HTML:    "<p>Zoë</p>\n.\n",
	}
	if err := send(t, srv, "zoë@acme.example", m); err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.WaitFor(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := msgs[0]
	if raw := got.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("raw subject %q is not RFC 2047 encoded", raw)
	}
	if got.Subject != m.Subject || got.Text != m.Text || got.HTML != m.HTML {
		t.Errorf("round trip:\nsubject %q\ntext %q\nhtml %q", got.Subject, got.Text, got.HTML)
	}
	if got.To[0] != "zoë@acme.example" {
		t.Errorf("to = %q", got.To)
	}
}

func TestSendReplies(t *testing.T) {
	tests := []struct {
		name      string
		opt       mailtest.Option
		stage     string
		code      int
		permanent bool
		maybe     bool
	}{
		{"rcpt rejected", mailtest.RejectRcpt(), StageRcpt, 550, true, false},
		{"rcpt busy", mailtest.Fail(mailtest.CmdRcpt, 450), StageRcpt, 450, false, false},
		{"mail refused", mailtest.Fail(mailtest.CmdMail, 553), StageMail, 553, true, false},
		{"hello refused", mailtest.Fail(mailtest.CmdHello, 421), StageHello, 421, false, false},
		{"data refused", mailtest.Fail(mailtest.CmdData, 554), StageData, 554, true, false},
		{"message deferred", mailtest.Fail(mailtest.CmdDot, 451), StageData, 451, false, false},
		{"message rejected", mailtest.Fail(mailtest.CmdDot, 552), StageData, 552, true, false},
		{"dropped after data", mailtest.DropAfterData(), StageData, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t, tt.opt)
			err := send(t, srv, "ops@acme.example", Message{Subject: "s", Text: "t", HTML: "h"})
			se := sendErr(t, err)
			if se.Stage != tt.stage || se.Code != tt.code || se.Permanent != tt.permanent || se.MaybeDelivered != tt.maybe {
				t.Fatalf("got %+v (%v)", *se, se)
			}
			if len(srv.Messages()) != 0 {
				t.Fatal("message recorded")
			}
		})
	}
}

func TestSendRecoversAfterFault(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Fail(mailtest.CmdDot, 451))
	m := Message{Subject: "s", Text: "t", HTML: "h"}
	if err := send(t, srv, "ops@acme.example", m); err == nil {
		t.Fatal("no error")
	}
	srv.SetFault(mailtest.CmdDot, 0)
	if err := send(t, srv, "ops@acme.example", m); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitFor(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestSendRefusesBadInput(t *testing.T) {
	ok := Message{Subject: "s", Text: "t", HTML: "h"}
	tests := []struct {
		name string
		from string
		to   string
		m    Message
	}{
		{"CRLF in subject", from, "ops@acme.example", Message{Subject: "hi\r\nBcc: victim@example.com"}},
		{"LF in subject", from, "ops@acme.example", Message{Subject: "hi\nBcc: victim@example.com"}},
		{"CR in recipient", from, "ops@acme.example\rBcc: victim@example.com", ok},
		{"LF in recipient name", from, "Ops\n <ops@acme.example>", ok},
		{"LF in sender", "rs@acme.example\nBcc: victim@example.com", "ops@acme.example", ok},
		{"not an address", from, "ops at acme", ok},
		{"two recipients", from, "a@acme.example, b@acme.example", ok},
		{"empty recipient", from, "", ok},
		{"bad message id", from, "ops@acme.example", Message{Subject: "s", MessageID: "<x@y>\r\nBcc: v@example.com"}},
		{"message id without brackets", from, "ops@acme.example", Message{Subject: "s", MessageID: "x@y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t)
			err := Sender{Addr: srv.Addr(), From: tt.from}.Send(context.Background(), tt.to, tt.m)
			se := sendErr(t, err)
			if se.Stage != StageValidate || !se.Permanent || se.MaybeDelivered {
				t.Fatalf("got %+v", *se)
			}
			if srv.Sessions() != 0 {
				t.Fatal("connected despite invalid input")
			}
		})
	}
}

func TestSendNetworkErrorsAreTemporary(t *testing.T) {
	// Nothing listens: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = Sender{Addr: addr, From: from, Timeout: time.Second}.Send(context.Background(), "ops@acme.example", Message{Subject: "s"})
	if se := sendErr(t, err); se.Permanent || se.Stage != StageConnect || se.MaybeDelivered {
		t.Fatalf("got %+v", *se)
	}

	// A server that accepts and never greets: the timeout ends the send.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = Sender{Addr: silent.Addr().String(), From: from}.Send(ctx, "ops@acme.example", Message{Subject: "s"})
	if se := sendErr(t, err); se.Permanent || se.MaybeDelivered {
		t.Fatalf("got %+v", *se)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap the context's error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestMessageID(t *testing.T) {
	s := Sender{From: from}
	a := s.MessageID("run-1", "ops@acme.example")
	if a != s.MessageID("run-1", " OPS@acme.example") {
		t.Error("not stable per run and recipient")
	}
	if a == s.MessageID("run-1", "cfo@acme.example") || a == s.MessageID("run-2", "ops@acme.example") {
		t.Error("not distinct across runs or recipients")
	}
	if !strings.HasPrefix(a, "<summary.") || !strings.HasSuffix(a, "@acme.example>") {
		t.Errorf("MessageID = %q", a)
	}
}
