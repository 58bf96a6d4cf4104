package secrets

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Console passwords are hashed with argon2id at OWASP's recommended minimum
// (19 MiB, 2 passes, 1 lane): about 30 ms on one core, so a burst of sign-ins
// cannot starve a small machine, while every guess costs an attacker the same.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
	// MinPasswordLength is the shortest console password accepted.
	MinPasswordLength = 12
	// MaxPasswordLength bounds the work one sign-in can ask for.
	MaxPasswordLength = 256
)

// ErrPasswordMismatch is a wrong password.
var ErrPasswordMismatch = errors.New("password does not match")

// CheckPasswordPolicy says what is wrong with a new password, nil when fine.
func CheckPasswordPolicy(pw string) error {
	switch n := len([]rune(pw)); {
	case n < MinPasswordLength:
		return fmt.Errorf("use at least %d characters", MinPasswordLength)
	case len(pw) > MaxPasswordLength:
		return fmt.Errorf("use at most %d bytes", MaxPasswordLength)
	}
	if strings.TrimSpace(pw) == "" {
		return errors.New("the password is blank")
	}
	return nil
}

// HashPassword returns the PHC string of an argon2id hash of pw with a fresh
// random salt: $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func HashPassword(pw string) (string, error) {
	if len(pw) > MaxPasswordLength {
		return "", fmt.Errorf("password longer than %d bytes", MaxPasswordLength)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks pw against a PHC string made by HashPassword (with
// whatever parameters it records), in constant time.
func VerifyPassword(encoded, pw string) error {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("unsupported argon2 version")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 16 {
		return errors.New("bad argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return errors.New("bad argon2 salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return errors.New("bad argon2 hash")
	}
	if len(pw) > MaxPasswordLength {
		return ErrPasswordMismatch
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrPasswordMismatch
	}
	return nil
}
