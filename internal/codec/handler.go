package codec

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// HandlerOptions configures [NewHandler].
type HandlerOptions struct {
	// AllowedOrigins are the Temporal Web origins allowed to call the codec
	// server from a browser, e.g. "http://localhost:8233" and
	// "http://127.0.0.1:8233" for `temporal server start-dev`. Matching is
	// exact (scheme, host and port; a trailing slash is ignored). "*" is not
	// supported: the UI may send credentials, and browsers refuse a wildcard
	// origin with credentials. Requests carrying any other Origin get 403;
	// requests without Origin (the temporal CLI, the SDK's remote codec) are
	// not affected.
	AllowedOrigins []string

	// Namespaces, when not empty, limits the server to requests whose
	// X-Namespace header (set by both Temporal Web and the temporal CLI) is one
	// of these; others get 403. Empty serves every namespace.
	Namespaces []string
}

// maxBodyBytes bounds a request body. The UI sends the payloads of one event
// at a time and Temporal caps a payload at 2 MiB by default, so this is
// generous; it only stops a runaway client from exhausting memory.
const maxBodyBytes = 64 << 20

const (
	corsAllowHeaders = "Content-Type,X-Namespace,Authorization"
	corsAllowMethods = "POST, OPTIONS"
)

// NewHandler returns the codec server: POST <any prefix>/encode and
// POST <any prefix>/decode with the Payloads JSON of the codec server protocol
// (served by the SDK's converter.NewPayloadCodecHTTPHandler), GET /healthz
// answering "ok", and CORS for opts.AllowedOrigins. Mount it at the root of its
// server and give Temporal Web that root as its codec endpoint
// (`temporal server start-dev --ui-codec-endpoint http://localhost:8081`).
//
// The handler deliberately does not route through http.ServeMux: the UI calls
// endpoint+"/decode", so an endpoint configured with a trailing slash makes
// "//decode", which ServeMux would answer with a redirect that the browser
// replays as a GET. The SDK handler only looks at the path's suffix.
//
// It has no authentication of its own: whoever can reach it can decrypt
// payloads. Bind it to localhost or put it behind the same access control as
// Temporal Web.
func NewHandler(k *Keyring, opts HandlerOptions) http.Handler {
	h := &codecServer{
		codec:      converter.NewPayloadCodecHTTPHandler(NewCodec(k)),
		origins:    make(map[string]bool, len(opts.AllowedOrigins)),
		namespaces: slices.Clone(opts.Namespaces),
	}
	for _, o := range opts.AllowedOrigins {
		h.origins[normalizeOrigin(o)] = true
	}
	return h
}

type codecServer struct {
	codec      http.Handler
	origins    map[string]bool
	namespaces []string
}

func (s *codecServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
		return
	}

	// The response depends on Origin; keep caches from mixing them up.
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	allowed := origin != "" && s.origins[normalizeOrigin(origin)]
	if allowed {
		hdr := w.Header()
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Credentials", "true")
		hdr.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		hdr.Set("Access-Control-Allow-Methods", corsAllowMethods)
		hdr.Set("Access-Control-Max-Age", "600")
		// Chrome's Private Network Access preflight, for a UI served from a
		// public address calling a codec server on localhost.
		if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
			hdr.Set("Access-Control-Allow-Private-Network", "true")
		}
	}

	if r.Method == http.MethodOptions {
		// Answer every preflight; without the Allow-Origin header above, a
		// disallowed origin's browser stops here.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if origin != "" && !allowed {
		http.Error(w, fmt.Sprintf("origin %q is not allowed by the codec server (HandlerOptions.AllowedOrigins)", origin),
			http.StatusForbidden)
		return
	}
	if len(s.namespaces) > 0 && r.Method == http.MethodPost {
		if ns := r.Header.Get("X-Namespace"); !slices.Contains(s.namespaces, ns) {
			http.Error(w, fmt.Sprintf("namespace %q is not served by this codec server", ns), http.StatusForbidden)
			return
		}
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	}
	s.codec.ServeHTTP(w, r)
}

func normalizeOrigin(o string) string {
	return strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))
}
