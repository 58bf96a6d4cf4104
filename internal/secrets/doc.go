// Package secrets seals the credentials Rostersync stores (Justworks passwords,
// TOTP setup keys, session tokens) with AES-256-GCM under one key that only the
// workers and the starter hold. The store keeps sealed bytes and never sees a
// secret in clear.
//
// A sealed value is: version (1 byte) | nonce (12 bytes) | ciphertext and tag.
// The caller's additional data (for example "org:acme:password") is bound into
// the tag, so a sealed value copied into another org's or another field's column
// does not open.
package secrets
