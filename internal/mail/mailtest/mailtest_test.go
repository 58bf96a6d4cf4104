package mailtest

import (
	"net/smtp"
	"testing"
	"time"
)

func TestServerRecordsAndParses(t *testing.T) {
	srv := Start(t)
	msg := "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n..dotted\r\nbody\r\n"
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com", "c@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.WaitFor(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.ParseErr != nil || m.Subject != "Café" || m.Text != "..dotted\nbody\n" || len(m.To) != 2 || m.From != "a@example.com" {
		t.Fatalf("got %+v", m)
	}
	if _, err := srv.WaitFor(2, 50*time.Millisecond); err == nil {
		t.Fatal("WaitFor(2) succeeded with one message")
	}
	if srv.Sessions() != 1 {
		t.Fatalf("%d sessions", srv.Sessions())
	}
}

func TestServerFaults(t *testing.T) {
	srv := Start(t, RejectRcpt())
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nx\r\n"))
	if err == nil || err.Error()[:3] != "550" {
		t.Fatalf("err = %v, want 550", err)
	}
	srv.SetFault(CmdRcpt, 0)
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	if len(srv.Messages()) != 1 {
		t.Fatal("message not recorded after the fault was cleared")
	}
}
