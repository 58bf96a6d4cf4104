package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Environment variables read by [FromEnv].
const (
	EnvCodecKeys = "ROSTERSYNC_CODEC_KEYS"
	EnvSecretKey = "ROSTERSYNC_SECRET_KEY"
)

// DerivedKeyID is the key id of the key [DeriveKeyring] produces.
const DerivedKeyID = "derived-v1"

// deriveLabel separates the payload key from anything else derived from
// ROSTERSYNC_SECRET_KEY (the same secret also seals stored credentials).
const deriveLabel = "rostersync/payload-codec/v1"

// keySize is the AES-256 key length in bytes.
const keySize = 32

// Keyring holds the payload encryption keys: the primary encrypts, every key
// decrypts. It is immutable after construction and safe for concurrent use.
type Keyring struct {
	primary string
	ids     []string // in spec order, primary first
	aeads   map[string]cipher.AEAD
}

// ParseKeyring parses "id1:BASE64KEY,id2:BASE64KEY": comma-separated entries,
// each a key id and a standard-base64 32-byte AES key. The first entry is the
// primary. Spaces around entries are ignored. Errors name the entry's id or
// position, never the key.
func ParseKeyring(spec string) (*Keyring, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("codec keyring: empty key list")
	}
	k := &Keyring{aeads: make(map[string]cipher.AEAD)}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		id, b64, ok := strings.Cut(entry, ":")
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		switch {
		case entry == "":
			return nil, fmt.Errorf("codec keyring: entry %d is empty", i+1)
		case !ok:
			return nil, fmt.Errorf("codec keyring: entry %d is not of the form id:BASE64KEY", i+1)
		case id == "":
			return nil, fmt.Errorf("codec keyring: entry %d has an empty key id", i+1)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("codec keyring: key id %q appears twice", id)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			// err would quote the offending input; say only where it is.
			return nil, fmt.Errorf("codec keyring: key %q is not valid standard base64", id)
		}
		if err := k.add(id, key); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// DeriveKeyring derives a single-key keyring (id [DerivedKeyID]) from the
// service secret, standard base64 of 32 bytes:
// key = HMAC-SHA256(secret, "rostersync/payload-codec/v1").
//
// This is a convenience so a development setup needs one secret only;
// production sets ROSTERSYNC_CODEC_KEYS. To keep reading histories written with
// the derived key after switching, list it in ROSTERSYNC_CODEC_KEYS as
// "derived-v1:<base64 of the derived key>" behind the new primary; the
// derived key can be printed with
//
//	printf %s rostersync/payload-codec/v1 | openssl dgst -sha256 -binary -mac HMAC \
//	  -macopt hexkey:$(printf %s "$ROSTERSYNC_SECRET_KEY" | base64 -d | xxd -p -c 64) | base64
func DeriveKeyring(secretKeyB64 string) (*Keyring, error) {
	secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(secretKeyB64))
	if err != nil {
		return nil, errors.New("derive codec key: secret is not valid standard base64")
	}
	if len(secret) != keySize {
		return nil, fmt.Errorf("derive codec key: secret is %d bytes, want %d", len(secret), keySize)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(deriveLabel))
	k := &Keyring{aeads: make(map[string]cipher.AEAD)}
	if err := k.add(DerivedKeyID, mac.Sum(nil)); err != nil {
		return nil, err
	}
	return k, nil
}

// FromEnv builds the keyring from ROSTERSYNC_CODEC_KEYS, or, when that is
// unset or blank, derives it from ROSTERSYNC_SECRET_KEY. getenv is usually
// os.Getenv.
func FromEnv(getenv func(string) string) (*Keyring, error) {
	if spec := getenv(EnvCodecKeys); strings.TrimSpace(spec) != "" {
		k, err := ParseKeyring(spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvCodecKeys, err)
		}
		return k, nil
	}
	if secret := getenv(EnvSecretKey); strings.TrimSpace(secret) != "" {
		k, err := DeriveKeyring(secret)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvSecretKey, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("no payload codec key: set %s (id:BASE64KEY,... with 32-byte keys) or, for development, %s",
		EnvCodecKeys, EnvSecretKey)
}

func (k *Keyring) add(id string, key []byte) error {
	if len(key) != keySize {
		return fmt.Errorf("codec keyring: key %q is %d bytes, want %d", id, len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("codec keyring: key %q: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("codec keyring: key %q: %w", id, err)
	}
	if k.primary == "" {
		k.primary = id
	}
	k.ids = append(k.ids, id)
	k.aeads[id] = aead
	return nil
}

// PrimaryID is the id of the key new payloads are encrypted with.
func (k *Keyring) PrimaryID() string { return k.primary }

// IDs lists every key id, primary first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// String names the key ids only, so logging a Keyring cannot leak a key.
func (k *Keyring) String() string {
	if k == nil {
		return "codec.Keyring(nil)"
	}
	return fmt.Sprintf("codec.Keyring{primary: %s, ids: %s}", k.primary, strings.Join(k.ids, ","))
}

// GoString keeps %#v as safe as %v.
func (k *Keyring) GoString() string { return k.String() }
