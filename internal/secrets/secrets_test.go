package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestParseKey(t *testing.T) {
	good := GenerateKey()
	tests := []struct {
		name    string
		key     string
		wantErr string
	}{
		{"generated", good, ""},
		{"surrounding whitespace", "  " + good + "\n", ""},
		{"empty", "", "empty"},
		{"not base64", "not*base64*at*all!!", "not standard base64"},
		{"url base64", strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))), "not standard base64"},
		{"16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16)), "decodes to 16 bytes"},
		{"33 bytes", base64.StdEncoding.EncodeToString(make([]byte, 33)), "decodes to 33 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseKey(tt.key)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("ParseKey: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("ParseKey accepted a bad key")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if k := strings.TrimSpace(tt.key); len(k) > 4 && strings.Contains(err.Error(), k) {
				t.Errorf("error echoes the key: %q", err)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	s, err := ParseKey(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	other, err := ParseKey(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range [][]byte{{}, []byte("hunter2"), bytes.Repeat([]byte("x"), 10000)} {
		sealed, err := s.Seal(plain, "org:acme:password")
		if err != nil {
			t.Fatal(err)
		}
		if sealed[0] != version1 {
			t.Errorf("version byte = %d", sealed[0])
		}
		if len(plain) > 0 && bytes.Contains(sealed, plain) {
			t.Error("sealed value contains the plaintext")
		}
		got, err := s.Open(sealed, "org:acme:password")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, want %q", got, plain)
		}
	}

	sealed, _ := s.Seal([]byte("hunter2"), "org:acme:password")
	again, _ := s.Seal([]byte("hunter2"), "org:acme:password")
	if bytes.Equal(sealed, again) {
		t.Error("two seals of the same value are equal: nonce is not random")
	}

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	badVersion := bytes.Clone(sealed)
	badVersion[0] = 9

	tests := []struct {
		name    string
		s       *Sealer
		sealed  []byte
		aad     string
		wantErr string
	}{
		{"other org", s, sealed, "org:other:password", "does not open"},
		{"other field", s, sealed, "org:acme:totp", "does not open"},
		{"other key", other, sealed, "org:acme:password", "does not open"},
		{"tampered", s, tampered, "org:acme:password", "does not open"},
		{"unknown version", s, badVersion, "org:acme:password", "unknown sealed format version 9"},
		{"empty", s, nil, "org:acme:password", "empty"},
		{"too short", s, sealed[:10], "org:acme:password", "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Open(tt.sealed, tt.aad)
			if err == nil {
				t.Fatalf("Open succeeded: %q", got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
	if _, err := s.Open(sealed, "org:other:password"); !errors.Is(err, ErrOpen) {
		t.Errorf("wrong aad: err = %v, want ErrOpen", err)
	}
}

func TestNilSealer(t *testing.T) {
	var s *Sealer
	if _, err := s.Seal([]byte("x"), ""); err == nil {
		t.Error("Seal on nil sealer succeeded")
	}
	if _, err := s.Open([]byte("x"), ""); err == nil {
		t.Error("Open on nil sealer succeeded")
	}
}
