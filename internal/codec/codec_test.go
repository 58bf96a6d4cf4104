package codec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

type person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

var ada = person{Name: "Ada Lovelace", Email: "ada.lovelace@example.com"}

func mustKeyring(t *testing.T, spec string) *Keyring {
	t.Helper()
	k, err := ParseKeyring(spec)
	require.NoError(t, err)
	return k
}

func TestCodecRoundTripHidesPlaintext(t *testing.T) {
	dc := DataConverter(mustKeyring(t, "k1:"+oldKeyB64))

	p, err := dc.ToPayload(ada)
	require.NoError(t, err)
	require.Equal(t, MetadataEncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
	require.Equal(t, "k1", string(p.Metadata[MetadataEncryptionKeyID]))

	// Everything that reaches history: the whole encoded payload proto.
	wire, err := p.Marshal()
	require.NoError(t, err)
	for _, plain := range []string{"Ada Lovelace", "ada.lovelace@example.com", "Lovelace", "json/plain"} {
		require.False(t, bytes.Contains(wire, []byte(plain)), "encoded payload contains %q", plain)
	}

	var got person
	require.NoError(t, dc.FromPayload(p, &got))
	require.Equal(t, ada, got)

	// Random nonces: the same value never encrypts to the same bytes, so
	// equal inputs cannot be spotted in history.
	p2, err := dc.ToPayload(ada)
	require.NoError(t, err)
	require.NotEqual(t, p.Data, p2.Data)
}

func TestCodecRoundTripKeepsPayloadMetadata(t *testing.T) {
	codec := NewCodec(mustKeyring(t, "k1:"+oldKeyB64))
	in := []*commonpb.Payload{
		{Metadata: map[string][]byte{"encoding": []byte("binary/plain"), "custom": []byte("x")}, Data: []byte("raw bytes")},
		{Metadata: map[string][]byte{"encoding": []byte("binary/null")}},
	}
	enc, err := codec.Encode(in)
	require.NoError(t, err)
	require.Len(t, enc, 2)
	dec, err := codec.Decode(enc)
	require.NoError(t, err)
	for i := range in {
		require.Equal(t, in[i].Metadata, dec[i].Metadata)
		require.Equal(t, in[i].Data, dec[i].Data)
	}
}

func TestCodecRotation(t *testing.T) {
	before := DataConverter(mustKeyring(t, "old:"+oldKeyB64))
	after := DataConverter(mustKeyring(t, "new:"+newKeyB64+",old:"+oldKeyB64))

	oldPayload, err := before.ToPayload(ada)
	require.NoError(t, err)

	var got person
	require.NoError(t, after.FromPayload(oldPayload, &got), "history written before the rotation must still decode")
	require.Equal(t, ada, got)

	newPayload, err := after.ToPayload(ada)
	require.NoError(t, err)
	require.Equal(t, "new", string(newPayload.Metadata[MetadataEncryptionKeyID]), "new payloads use the new primary")

	err = before.FromPayload(newPayload, &got)
	require.ErrorContains(t, err, `unknown encryption key id "new"`)
}

func TestCodecDecodeErrors(t *testing.T) {
	k := mustKeyring(t, "k1:"+oldKeyB64)
	codec := NewCodec(k)
	enc, err := codec.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"Ada Lovelace"`)}})
	require.NoError(t, err)
	good := enc[0]

	withMeta := func(id string, data []byte) *commonpb.Payload {
		md := map[string][]byte{converter.MetadataEncoding: []byte(MetadataEncodingEncrypted)}
		if id != "" {
			md[MetadataEncryptionKeyID] = []byte(id)
		}
		return &commonpb.Payload{Metadata: md, Data: data}
	}
	tampered := bytes.Clone(good.Data)
	tampered[len(tampered)-1] ^= 1

	tests := []struct {
		name    string
		payload *commonpb.Payload
		wantErr string
	}{
		{name: "unknown key id", payload: withMeta("retired-2024", good.Data), wantErr: `unknown encryption key id "retired-2024"`},
		{name: "no key id", payload: withMeta("", good.Data), wantErr: "no encryption-key-id metadata"},
		{name: "tampered", payload: withMeta("k1", tampered), wantErr: `with key "k1": cipher: message authentication failed`},
		{name: "truncated", payload: withMeta("k1", good.Data[:8]), wantErr: "ciphertext too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := codec.Decode([]*commonpb.Payload{good, tt.payload})
			require.ErrorContains(t, err, "decrypt payload 1")
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestCodecDecodePassesThroughUnencrypted(t *testing.T) {
	// Histories written before the codec was switched on.
	plain, err := converter.GetDefaultDataConverter().ToPayload(ada)
	require.NoError(t, err)
	var got person
	require.NoError(t, DataConverter(mustKeyring(t, "k1:"+oldKeyB64)).FromPayload(plain, &got))
	require.Equal(t, ada, got)
}

func TestNewCodecRejectsEmptyKeyring(t *testing.T) {
	require.Panics(t, func() { NewCodec(nil) })
	require.Panics(t, func() { NewCodec(&Keyring{}) })
}

func TestFailureConverterEncryptsMessages(t *testing.T) {
	fc := FailureConverter(mustKeyring(t, "k1:"+oldKeyB64))
	f := fc.ErrorToFailure(errors.New("head not found: Ada Lovelace"))

	wire, err := f.Marshal()
	require.NoError(t, err)
	require.False(t, bytes.Contains(wire, []byte("Ada Lovelace")), "failure in history contains the name")
	require.Equal(t, MetadataEncodingEncrypted, string(f.GetEncodedAttributes().GetMetadata()[converter.MetadataEncoding]))

	require.ErrorContains(t, fc.FailureToError(f), "head not found: Ada Lovelace")
}
