package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// version1 is the only format so far: AES-256-GCM with a 12-byte random nonce.
// The version byte lets a later key rotation or cipher change tell formats apart.
const version1 byte = 1

const nonceSize = 12

// ErrOpen is returned when a sealed value does not open: wrong key, wrong
// additional data, or tampered bytes. GCM cannot tell these apart.
var ErrOpen = errors.New("secrets: sealed value does not open (wrong key, wrong context, or corrupted)")

// Sealer seals and opens values under one key. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// ParseKey reads a key given as standard base64 of exactly 32 bytes (as made by
// GenerateKey). Errors never include the key.
func ParseKey(b64 string) (*Sealer, error) {
	s := strings.TrimSpace(b64)
	if s == "" {
		return nil, errors.New("secrets: the encryption key is empty; it must be 32 random bytes in standard base64 (for example from `openssl rand -base64 32`)")
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// err from base64 names only an offset, not the input.
		return nil, fmt.Errorf("secrets: the encryption key is not standard base64 (%v); it must be 32 random bytes in standard base64", err)
	}
	if len(raw) != KeySize {
		return nil, fmt.Errorf("secrets: the encryption key decodes to %d bytes; it must be exactly %d bytes (44 characters of standard base64)", len(raw), KeySize)
	}
	return newSealer(raw)
}

func newSealer(key []byte) (*Sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCMWithNonceSize(block, nonceSize)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// GenerateKey returns a new random key in the form ParseKey accepts.
func GenerateKey() string {
	key := make([]byte, KeySize)
	// crypto/rand.Read never returns an error on supported platforms (Go ≥ 1.24
	// crashes the program instead of returning a short read).
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// Seal encrypts plaintext bound to aad (e.g. "org:acme:password").
func (s *Sealer) Seal(plaintext []byte, aad string) ([]byte, error) {
	if s == nil || s.aead == nil {
		return nil, errors.New("secrets: Seal on a nil Sealer")
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+s.aead.Overhead())
	out[0] = version1
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("secrets: read random nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:1+nonceSize], plaintext, additionalData(version1, aad)), nil
}

// Open decrypts a value sealed with the same key and aad.
func (s *Sealer) Open(sealed []byte, aad string) ([]byte, error) {
	if s == nil || s.aead == nil {
		return nil, errors.New("secrets: Open on a nil Sealer")
	}
	if len(sealed) == 0 {
		return nil, errors.New("secrets: sealed value is empty")
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("secrets: unknown sealed format version %d (this build reads version %d)", sealed[0], version1)
	}
	if len(sealed) < 1+nonceSize+s.aead.Overhead() {
		return nil, fmt.Errorf("secrets: sealed value is too short (%d bytes)", len(sealed))
	}
	nonce := sealed[1 : 1+nonceSize]
	plain, err := s.aead.Open(nil, nonce, sealed[1+nonceSize:], additionalData(sealed[0], aad))
	if err != nil {
		return nil, ErrOpen
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, nil
}

// additionalData binds the format version as well as the caller's context, so a
// value cannot be replayed under another version's rules.
func additionalData(version byte, aad string) []byte {
	b := make([]byte, 0, 1+len(aad))
	b = append(b, version)
	return append(b, aad...)
}
