package codec

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// Test keys: 32 ASCII bytes each, base64 of "old-key-0123…", "new-key-0123…".
const (
	oldKeyB64 = "b2xkLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
	newKeyB64 = "bmV3LWtleS0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc="
	// base64 of "rostersync-test-secret-32-bytes!"
	testSecretB64 = "cm9zdGVyc3luYy10ZXN0LXNlY3JldC0zMi1ieXRlcyE="
	// HMAC-SHA256(secret, "rostersync/payload-codec/v1"), computed with openssl
	// (the command in DeriveKeyring's doc), not with this package.
	testDerivedKeyB64 = "Ggp8JwlnpJS2pfPwSV6VXwuKQkmR5KtiL0Laz/hUTBI="
)

func TestParseKeyring(t *testing.T) {
	tests := []struct {
		name        string
		spec        string
		wantPrimary string
		wantIDs     []string
		wantErr     string
	}{
		{name: "single", spec: "k1:" + oldKeyB64, wantPrimary: "k1", wantIDs: []string{"k1"}},
		{name: "first is primary", spec: "new:" + newKeyB64 + ",old:" + oldKeyB64, wantPrimary: "new", wantIDs: []string{"new", "old"}},
		{name: "spaces ignored", spec: " new : " + newKeyB64 + " , old:" + oldKeyB64 + " ", wantPrimary: "new", wantIDs: []string{"new", "old"}},
		{name: "empty", spec: "  ", wantErr: "empty key list"},
		{name: "empty entry", spec: "k1:" + oldKeyB64 + ",", wantErr: "entry 2 is empty"},
		{name: "no colon", spec: oldKeyB64, wantErr: "entry 1 is not of the form id:BASE64KEY"},
		{name: "empty id", spec: ":" + oldKeyB64, wantErr: "entry 1 has an empty key id"},
		{name: "duplicate id", spec: "k1:" + oldKeyB64 + ",k1:" + newKeyB64, wantErr: `key id "k1" appears twice`},
		{name: "bad base64", spec: "k1:not*base64", wantErr: `key "k1" is not valid standard base64`},
		{name: "url base64 rejected", spec: "k1:" + strings.NewReplacer("+", "-", "/", "_").Replace(testDerivedKeyB64), wantErr: "not valid standard base64"},
		{name: "short key", spec: "k1:c2hvcnQ=", wantErr: `key "k1" is 5 bytes, want 32`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKeyring(tt.spec)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				requireNoKeyMaterial(t, err.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantPrimary, k.PrimaryID())
			require.Equal(t, tt.wantIDs, k.IDs())
		})
	}
}

func TestKeyringStringHidesKeys(t *testing.T) {
	k, err := ParseKeyring("new:" + newKeyB64 + ",old:" + oldKeyB64)
	require.NoError(t, err)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, k)
		require.Contains(t, out, "new")
		requireNoKeyMaterial(t, out)
	}
}

func TestDeriveKeyring(t *testing.T) {
	k, err := DeriveKeyring(testSecretB64)
	require.NoError(t, err)
	require.Equal(t, DerivedKeyID, k.PrimaryID())

	// The derived key is HMAC-SHA256(secret, label): a keyring that lists it
	// explicitly (the documented migration to ROSTERSYNC_CODEC_KEYS) reads what
	// the derived keyring wrote, and vice versa.
	explicit, err := ParseKeyring("new:" + newKeyB64 + "," + DerivedKeyID + ":" + testDerivedKeyB64)
	require.NoError(t, err)
	p := encodeValue(t, DataConverter(k), person{Name: "Ada Lovelace"})
	var got person
	require.NoError(t, DataConverter(explicit).FromPayload(p, &got))
	require.Equal(t, "Ada Lovelace", got.Name)

	// The secret itself is not the payload key.
	asKey, err := ParseKeyring(DerivedKeyID + ":" + testSecretB64)
	require.NoError(t, err)
	require.Error(t, DataConverter(asKey).FromPayload(p, &got))

	for _, bad := range []string{"", "%%%", "c2hvcnQ="} {
		_, err := DeriveKeyring(bad)
		require.Error(t, err, "secret %q", bad)
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantPrimary string
		wantErr     []string
	}{
		{
			name:        "codec keys",
			env:         map[string]string{EnvCodecKeys: "new:" + newKeyB64 + ",old:" + oldKeyB64},
			wantPrimary: "new",
		},
		{
			name:        "codec keys win over secret",
			env:         map[string]string{EnvCodecKeys: "old:" + oldKeyB64, EnvSecretKey: testSecretB64},
			wantPrimary: "old",
		},
		{
			name:        "derived from secret",
			env:         map[string]string{EnvSecretKey: testSecretB64},
			wantPrimary: DerivedKeyID,
		},
		{
			name:        "blank codec keys fall back to secret",
			env:         map[string]string{EnvCodecKeys: "  ", EnvSecretKey: testSecretB64},
			wantPrimary: DerivedKeyID,
		},
		{
			name:    "neither",
			env:     map[string]string{},
			wantErr: []string{EnvCodecKeys, EnvSecretKey},
		},
		{
			name:    "bad codec keys are not masked by a good secret",
			env:     map[string]string{EnvCodecKeys: "k1:" + oldKeyB64[:20], EnvSecretKey: testSecretB64},
			wantErr: []string{EnvCodecKeys + ": ", `"k1"`},
		},
		{
			name:    "bad secret",
			env:     map[string]string{EnvSecretKey: oldKeyB64[:20]},
			wantErr: []string{EnvSecretKey + ": "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := FromEnv(func(name string) string { return tt.env[name] })
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, want := range tt.wantErr {
					require.Contains(t, err.Error(), want)
				}
				requireNoKeyMaterial(t, err.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantPrimary, k.PrimaryID())
		})
	}
}

// requireNoKeyMaterial fails if s contains any test key or a recognisable
// piece of one.
func requireNoKeyMaterial(t *testing.T, s string) {
	t.Helper()
	for _, key := range []string{oldKeyB64, newKeyB64, testSecretB64, testDerivedKeyB64} {
		require.NotContains(t, s, key[:12])
	}
	for _, raw := range []string{"old-key-0123", "new-key-0123", "test-secret"} {
		require.NotContains(t, s, raw)
	}
}

func encodeValue(t *testing.T, dc converter.DataConverter, v any) *commonpb.Payload {
	t.Helper()
	p, err := dc.ToPayload(v)
	require.NoError(t, err)
	return p
}
