// Package codec owns the encryption of everything Rostersync writes into
// Temporal history, and the codec server that lets Temporal Web and the
// temporal CLI show those payloads decrypted.
//
// It provides:
//
//   - [Keyring]: the AES-256 keys, one primary used to encrypt and every key
//     (primary or retired) usable to decrypt, so old histories stay readable
//     after a rotation;
//   - [NewCodec] / [DataConverter] / [FailureConverter]: an AES-256-GCM
//     [converter.PayloadCodec] and the converters built on it, for
//     client.Options{DataConverter, FailureConverter} in the worker and starter;
//   - [NewHandler]: the codec server's http.Handler (POST /encode, POST /decode,
//     GET /healthz) with CORS for the Temporal Web origin.
//
// # Environment
//
// [FromEnv] reads the keys:
//
//   - ROSTERSYNC_CODEC_KEYS="id1:BASE64KEY,id2:BASE64KEY": the keyring. Each
//     key is 32 random bytes in standard base64 (openssl rand -base64 32).
//     The first entry is the primary and encrypts new payloads; the others only
//     decrypt. To rotate, put a new id first and keep the old entries until no
//     history you care about still refers to them. Production sets this.
//   - ROSTERSYNC_SECRET_KEY (fallback, only when ROSTERSYNC_CODEC_KEYS is unset):
//     one key derived as HMAC-SHA256(secret, "rostersync/payload-codec/v1")
//     with key id "derived-v1". This is a convenience for development and
//     demos so one secret runs the whole service; it ties payload encryption to
//     the credential-sealing secret and cannot be rotated on its own. Moving
//     from the derived key to ROSTERSYNC_CODEC_KEYS without losing old
//     histories means listing the derived key there too (see [DeriveKeyring]).
//
// Neither variable set is an error. No error or String method here ever
// prints key material; key ids are not secret and are named in errors.
//
// # Wire format
//
// An encoded payload has metadata encoding=binary/encrypted and
// encryption-key-id=<id>; its data is nonce || AES-GCM(proto bytes of the
// original payload), as in temporalio/samples-go encryption/. Decode leaves
// payloads without that encoding untouched, so histories written before the
// codec was switched on still read.
package codec
