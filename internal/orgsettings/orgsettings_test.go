package orgsettings

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

func sp(s string) *string   { return &s }
func fp(f float64) *float64 { return &f }

const totp = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func complete() Request {
	return Request{Org: "acme", Name: sp("Acme"), JustworksURL: sp("https://jw.example"), Username: sp("ops"),
		Password: sp("pw"), TOTPSecret: sp(totp), Head: sp("Ada Lovelace"), Actor: "own@acme.example"}
}

func TestValidateRefusesEachBadField(t *testing.T) {
	tests := []struct {
		field string
		edit  func(*Request)
	}{
		{FieldOrg, func(r *Request) { r.Org = "a b" }},
		{FieldName, func(r *Request) { r.Name = nil }},
		{FieldJustworksURL, func(r *Request) { r.JustworksURL = sp("ftp://jw.example") }},
		{FieldJustworksURL, func(r *Request) { r.JustworksURL = sp("http://jw.example") }},
		{FieldTOTPSecret, func(r *Request) { r.TOTPSecret = sp("not base32!") }},
		{FieldPassword, func(r *Request) { r.Password = sp("  ") }},
		{FieldNotify, func(r *Request) { r.Notify = sp("ok@x.example, nope") }},
		{FieldNotify, func(r *Request) { r.Notify = sp("Pat <pat@x.example>") }},
		{FieldDaily, func(r *Request) { r.Daily = sp("6:30") }},
		{FieldDaily, func(r *Request) { r.Daily = sp("+6:30") }},
		{FieldDaily, func(r *Request) { r.Daily = sp("06:30 ") }},
		{FieldDaily, func(r *Request) { r.Daily = sp("24:00") }},
		{FieldTimeZone, func(r *Request) { r.TimeZone = sp("Local") }},
		{FieldTimeZone, func(r *Request) { r.TimeZone = sp("Mars/Olympus") }},
		{FieldSafetyLimit, func(r *Request) { r.SafetyLimit = fp(math.NaN()) }},
		{FieldSafetyLimit, func(r *Request) { r.SafetyLimit = fp(0) }},
		{FieldSafetyLimit, func(r *Request) { r.SafetyLimit = fp(1.5) }},
	}
	if err := complete().Validate(true); err != nil {
		t.Fatalf("complete request refused: %v", err)
	}
	ok := complete()
	ok.JustworksURL, ok.Daily, ok.TimeZone, ok.SafetyLimit = sp("http://127.0.0.1:8080"), sp("06:30"), sp("Europe/Berlin"), fp(0.3)
	if err := ok.Validate(true); err != nil {
		t.Fatalf("loopback http, 06:30, Europe/Berlin, 0.3 refused: %v", err)
	}
	for _, tt := range tests {
		r := complete()
		tt.edit(&r)
		err := r.Validate(true)
		var bad Invalid
		if !errors.As(err, &bad) || bad[tt.field] == "" {
			t.Errorf("%s: want an error on %s, got %v", tt.field, tt.field, err)
		}
	}
}

// Entering the same credentials again (give or take a trailing newline or
// surrounding spaces) keeps them as sealed, so no login block is lifted.
func TestUpdateKeepsSameCredentialsSealed(t *testing.T) {
	sealer, err := secrets.ParseKey(secrets.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	org, err := Update(store.Org{}, complete(), true, sealer)
	if err != nil {
		t.Fatal(err)
	}
	again := Request{Org: "acme", Username: sp(" ops "), Password: sp("pw\n"), TOTPSecret: sp(" " + totp + "\n"), Actor: "own@acme.example"}
	next, err := Update(org, again, false, sealer)
	if err != nil {
		t.Fatal(err)
	}
	if next.Username != org.Username || !bytes.Equal(next.SealedPassword, org.SealedPassword) || !bytes.Equal(next.SealedTOTPSecret, org.SealedTOTPSecret) {
		t.Fatal("re-entering the same credentials re-sealed them")
	}
	changed, err := Update(org, Request{Org: "acme", Password: sp("pw2"), Actor: "own@acme.example"}, false, sealer)
	if err != nil || bytes.Equal(changed.SealedPassword, org.SealedPassword) {
		t.Fatalf("a new password was not sealed: %v", err)
	}
	if _, err := Update(org, Request{Org: "acme", Username: sp("other"), Actor: "own@acme.example"}, false, sealer); err == nil {
		t.Fatal("a new username without the password and setup key was accepted")
	}
}
