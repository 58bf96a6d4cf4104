package codec

import (
	"crypto/rand"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Payload metadata written by the codec. The names match temporalio/samples-go
// encryption/, so tools that know that sample recognise our payloads.
const (
	MetadataEncodingEncrypted = "binary/encrypted"
	MetadataEncryptionKeyID   = "encryption-key-id"
)

type aesCodec struct{ keys *Keyring }

// NewCodec returns an AES-256-GCM payload codec: Encode seals each whole
// payload (metadata included, so even the encoding name is hidden) with the
// keyring's primary key; Decode opens payloads with whichever key their
// encryption-key-id names and passes other payloads through unchanged.
func NewCodec(k *Keyring) converter.PayloadCodec {
	if k == nil || k.primary == "" {
		// A codec without keys would silently write plaintext or fail at the
		// first workflow task; refuse at wiring time instead.
		panic("codec.NewCodec: nil or empty keyring")
	}
	return &aesCodec{keys: k}
}

// DataConverter is the SDK default data converter with every payload passed
// through [NewCodec]. Use it for client.Options.DataConverter, in the worker,
// the starter and any replayer.
func DataConverter(k *Keyring) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), NewCodec(k))
}

// FailureConverter encodes failure messages and stack traces with the codec
// too. Without it, an error text such as a head's name in "head not found"
// would sit in history in plaintext. Use it for client.Options.FailureConverter
// next to [DataConverter].
func FailureConverter(k *Keyring) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          DataConverter(k),
		EncodeCommonAttributes: true,
	})
}

func (c *aesCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.primary
	aead := c.keys.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := p.Marshal()
		if err != nil {
			return payloads, fmt.Errorf("encrypt payload %d: marshal: %w", i, err)
		}
		// nonce || ciphertext; GCM's 96-bit random nonce is safe for well
		// beyond the number of payloads one key will ever seal here.
		sealed := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(sealed); err != nil {
			return payloads, fmt.Errorf("encrypt payload %d: nonce: %w", i, err)
		}
		sealed = aead.Seal(sealed, sealed, plain, nil)
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataEncryptionKeyID:    []byte(id),
			},
			Data: sealed,
		}
	}
	return out, nil
}

func (c *aesCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
			out[i] = p
			continue
		}
		idBytes, ok := p.GetMetadata()[MetadataEncryptionKeyID]
		if !ok {
			return payloads, fmt.Errorf("decrypt payload %d: no %s metadata", i, MetadataEncryptionKeyID)
		}
		id := string(idBytes)
		aead, ok := c.keys.aeads[id]
		if !ok {
			return payloads, fmt.Errorf("decrypt payload %d: unknown encryption key id %q (keyring has %v); add that key to %s",
				i, id, c.keys.ids, EnvCodecKeys)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return payloads, fmt.Errorf("decrypt payload %d with key %q: %w", i, id, errShortCiphertext)
		}
		n := aead.NonceSize()
		plain, err := aead.Open(nil, data[:n], data[n:], nil)
		if err != nil {
			return payloads, fmt.Errorf("decrypt payload %d with key %q: %w", i, id, err)
		}
		decoded := &commonpb.Payload{}
		if err := decoded.Unmarshal(plain); err != nil {
			return payloads, fmt.Errorf("decrypt payload %d with key %q: unmarshal: %w", i, id, err)
		}
		out[i] = decoded
	}
	return out, nil
}

var errShortCiphertext = errors.New("ciphertext too short")

// KeyID is the id of the key a payload was encrypted with, "" for a payload
// this codec did not encrypt (or nil).
func KeyID(p *commonpb.Payload) string {
	if p == nil || string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
		return ""
	}
	return string(p.GetMetadata()[MetadataEncryptionKeyID])
}
