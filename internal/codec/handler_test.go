package codec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

const uiOrigin = "http://localhost:8233"

func newTestHandler(t *testing.T, opts HandlerOptions) (*Keyring, http.Handler) {
	t.Helper()
	k := mustKeyring(t, "new:"+newKeyB64+",old:"+oldKeyB64)
	if opts.AllowedOrigins == nil {
		opts.AllowedOrigins = []string{"http://127.0.0.1:8233", uiOrigin + "/"}
	}
	return k, NewHandler(k, opts)
}

// uiDecodeBody writes the body Temporal Web 2.42 posts to <endpoint>/decode:
// the event's Payloads in proto JSON, metadata values and data in base64.
func uiDecodeBody(payloads ...*commonpb.Payload) string {
	type jsonPayload struct {
		Metadata map[string]string `json:"metadata"`
		Data     string            `json:"data,omitempty"`
	}
	var body struct {
		Payloads []jsonPayload `json:"payloads"`
	}
	for _, p := range payloads {
		jp := jsonPayload{Metadata: map[string]string{}, Data: base64.StdEncoding.EncodeToString(p.Data)}
		for k, v := range p.Metadata {
			jp.Metadata[k] = base64.StdEncoding.EncodeToString(v)
		}
		body.Payloads = append(body.Payloads, jp)
	}
	b, _ := json.Marshal(body)
	return string(b)
}

func uiRequest(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Namespace", "default")
	r.Header.Set("Origin", uiOrigin)
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerDecodesForTemporalWeb(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{})
	// A history written before the last rotation, plus an unencrypted payload.
	old := mustKeyring(t, "old:"+oldKeyB64)
	encrypted, err := DataConverter(old).ToPayload(ada)
	require.NoError(t, err)
	plain, err := converter.GetDefaultDataConverter().ToPayload("not secret")
	require.NoError(t, err)

	// The UI appends "/decode" to the endpoint; with a trailing slash in the
	// endpoint setting that is "//decode", which must not redirect.
	for _, path := range []string{"/decode", "//decode", "/default/decode"} {
		t.Run(path, func(t *testing.T) {
			w := serve(h, uiRequest(http.MethodPost, path, uiDecodeBody(encrypted, plain)))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Equal(t, uiOrigin, w.Header().Get("Access-Control-Allow-Origin"))
			require.Equal(t, "true", w.Header().Get("Access-Control-Allow-Credentials"))
			require.NotContains(t, w.Body.String(), "binary/encrypted")

			var out commonpb.Payloads
			require.NoError(t, protojson.Unmarshal(w.Body.Bytes(), &out))
			require.Len(t, out.Payloads, 2)
			var got person
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(out.Payloads[0], &got))
			require.Equal(t, ada, got)
			var s string
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(out.Payloads[1], &s))
			require.Equal(t, "not secret", s)

			// What the UI reads: base64 metadata and data in plain JSON.
			var raw struct {
				Payloads []struct {
					Metadata map[string]string `json:"metadata"`
					Data     string            `json:"data"`
				} `json:"payloads"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &raw))
			require.Equal(t, base64.StdEncoding.EncodeToString([]byte("json/plain")), raw.Payloads[0].Metadata["encoding"])
			data, err := base64.StdEncoding.DecodeString(raw.Payloads[0].Data)
			require.NoError(t, err)
			require.Contains(t, string(data), "Ada Lovelace")
		})
	}
}

func TestHandlerWithSDKRemoteCodec(t *testing.T) {
	k, h := newTestHandler(t, HandlerOptions{Namespaces: []string{"default"}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	// What the temporal CLI does with --codec-endpoint.
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: srv.URL,
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("X-Namespace", "default")
			return nil
		},
	})
	in, err := converter.GetDefaultDataConverter().ToPayloads(ada, "x")
	require.NoError(t, err)

	enc, err := remote.Encode(in.Payloads)
	require.NoError(t, err)
	require.Equal(t, "new", string(enc[0].Metadata[MetadataEncryptionKeyID]))
	require.False(t, bytes.Contains(enc[0].Data, []byte("Ada")))

	// The server's encoding is the worker's: the local codec reads it.
	local, err := NewCodec(k).Decode(enc)
	require.NoError(t, err)
	require.Equal(t, in.Payloads[0].Data, local[0].Data)

	// An endpoint configured with a trailing slash posts to "//decode" over
	// real HTTP; that must not be redirected.
	for _, endpoint := range []string{srv.URL, srv.URL + "/"} {
		remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
			Endpoint: endpoint,
			ModifyRequest: func(r *http.Request) error {
				r.Header.Set("X-Namespace", "default")
				return nil
			},
		})
		dec, err := remote.Decode(enc)
		require.NoError(t, err, endpoint)
		var got person
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(dec[0], &got))
		require.Equal(t, ada, got)
	}
}

func TestHandlerEncodesForTemporalWeb(t *testing.T) {
	// The UI posts to <endpoint>/encode when it sends input (signals, starts).
	k, h := newTestHandler(t, HandlerOptions{})
	plain, err := converter.GetDefaultDataConverter().ToPayload(ada)
	require.NoError(t, err)

	w := serve(h, uiRequest(http.MethodPost, "/encode", uiDecodeBody(plain)))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, uiOrigin, w.Header().Get("Access-Control-Allow-Origin"))
	require.NotContains(t, w.Body.String(), "Ada")

	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(w.Body.Bytes(), &out))
	require.Equal(t, "new", string(out.Payloads[0].Metadata[MetadataEncryptionKeyID]))
	var got person
	require.NoError(t, DataConverter(k).FromPayload(out.Payloads[0], &got))
	require.Equal(t, ada, got)
}

func TestHandlerCORSPreflight(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{})
	preflight := func(origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodOptions, "/decode", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
		return serve(h, r)
	}

	for _, origin := range []string{uiOrigin, "http://127.0.0.1:8233"} {
		w := preflight(origin)
		require.Equal(t, http.StatusNoContent, w.Code)
		require.Equal(t, origin, w.Header().Get("Access-Control-Allow-Origin"))
		require.Equal(t, "true", w.Header().Get("Access-Control-Allow-Credentials"))
		require.Equal(t, "POST, OPTIONS", w.Header().Get("Access-Control-Allow-Methods"))
		allowHeaders := strings.ToLower(w.Header().Get("Access-Control-Allow-Headers"))
		for _, hdr := range []string{"content-type", "x-namespace", "authorization"} {
			require.Contains(t, allowHeaders, hdr)
		}
		require.Contains(t, w.Header().Values("Vary"), "Origin")
	}

	for _, origin := range []string{"http://evil.example", "http://localhost:8234", "null"} {
		w := preflight(origin)
		require.Empty(t, w.Header().Get("Access-Control-Allow-Origin"), origin)
		require.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"), origin)
	}
}

func TestHandlerRejects(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{Namespaces: []string{"default"}})
	encrypted, err := DataConverter(mustKeyring(t, "old:"+oldKeyB64)).ToPayload(ada)
	require.NoError(t, err)
	retired, err := DataConverter(mustKeyring(t, "retired:"+testDerivedKeyB64)).ToPayload(ada)
	require.NoError(t, err)
	body := uiDecodeBody(encrypted)

	tests := []struct {
		name     string
		req      func() *http.Request
		wantCode int
		wantBody string
	}{
		{
			name: "disallowed origin",
			req: func() *http.Request {
				r := uiRequest(http.MethodPost, "/decode", body)
				r.Header.Set("Origin", "http://evil.example")
				return r
			},
			wantCode: http.StatusForbidden,
			wantBody: `origin "http://evil.example" is not allowed`,
		},
		{
			name: "other namespace",
			req: func() *http.Request {
				r := uiRequest(http.MethodPost, "/decode", body)
				r.Header.Set("X-Namespace", "payroll")
				return r
			},
			wantCode: http.StatusForbidden,
			wantBody: `namespace "payroll" is not served`,
		},
		{
			name:     "GET decode",
			req:      func() *http.Request { return uiRequest(http.MethodGet, "/decode", "") },
			wantCode: http.StatusNotFound,
		},
		{
			name:     "unknown path",
			req:      func() *http.Request { return uiRequest(http.MethodPost, "/transcode", body) },
			wantCode: http.StatusNotFound,
		},
		{
			name:     "not JSON",
			req:      func() *http.Request { return uiRequest(http.MethodPost, "/decode", "payloads") },
			wantCode: http.StatusBadRequest,
		},
		{
			name:     "unknown key id",
			req:      func() *http.Request { return uiRequest(http.MethodPost, "/decode", uiDecodeBody(retired)) },
			wantCode: http.StatusBadRequest,
			wantBody: `unknown encryption key id "retired"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(h, tt.req())
			require.Equal(t, tt.wantCode, w.Code, w.Body.String())
			require.Contains(t, w.Body.String(), tt.wantBody)
			require.NotContains(t, w.Body.String(), "Ada")
		})
	}
}

func TestHandlerHealthz(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{Namespaces: []string{"default"}})
	w := serve(h, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, http.StatusOK, w.Code)
	body, _ := io.ReadAll(w.Body)
	require.Equal(t, "ok", string(body))
}
