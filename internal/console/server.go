package console

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/mail"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config is what the console needs besides its connections.
type Config struct {
	// BaseURL is where people reach the console (links in invitation emails,
	// the OIDC redirect). An https URL, or http on a loopback host.
	BaseURL   string
	TaskQueue string
	Namespace string
	// WebURL is Temporal Web's base URL, for operators' links ("" = none).
	WebURL string
	// SessionLifetime bounds a session from sign-in; SessionIdle ends one
	// that was not used for that long.
	SessionLifetime time.Duration
	SessionIdle     time.Duration
	// InvitationTTL is how long an invitation link works.
	InvitationTTL time.Duration
	OIDC          *OIDCConfig // nil: password sign-in only
}

// Deps are the console's connections, the same packages the CLI uses.
type Deps struct {
	Store    *store.Store
	Temporal client.Client
	// DataConverter and FailureConverter decode the fetch's heartbeat and
	// failure messages (payloads are encrypted in history).
	DataConverter    converter.DataConverter
	FailureConverter converter.FailureConverter
	Sealer           *secrets.Sealer
	Mail             mail.Sender
	Log              *zap.Logger
	// TestConnection logs in to the org's Justworks once, through the same
	// lockout guard as a sync's login step.
	TestConnection func(ctx context.Context, orgID string) error
}

// Server serves the console.
type Server struct {
	cfg Config
	Deps
	sessions *scs.SessionManager
	pages    map[string]*template.Template
	oidc     *oidcProvider
	secure   bool // cookies marked Secure
}

// New prepares the console. It does not listen; serve Handler.
func New(ctx context.Context, cfg Config, deps Deps) (*Server, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("console URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("console URL %q: plain http is only for a loopback host; serve the console behind TLS (https://...)", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = 12 * time.Hour
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = time.Hour
	}
	if cfg.InvitationTTL <= 0 {
		cfg.InvitationTTL = 7 * 24 * time.Hour
	}
	if deps.Log == nil {
		deps.Log = zap.NewNop()
	}
	s := &Server{cfg: cfg, Deps: deps, secure: u.Scheme == "https" || loopbackHost(u.Hostname())}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	sm := scs.New()
	sm.Store = postgresstore.NewWithConfig(deps.Store.DB().DB, postgresstore.Config{TableName: "console_sessions", CleanUpInterval: 10 * time.Minute})
	sm.Lifetime = cfg.SessionLifetime
	sm.IdleTimeout = cfg.SessionIdle
	sm.Cookie.Name = sessionCookie
	sm.Cookie.HttpOnly = true
	sm.Cookie.Path = "/"
	sm.Cookie.SameSite = http.SameSiteLaxMode
	// Secure even over http on a loopback host: browsers treat
	// http://localhost as a secure context and keep such cookies.
	sm.Cookie.Secure = s.secure
	sm.Cookie.Persist = false
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.Log.Error("console session store", zap.Error(err))
		http.Error(w, "the session store is unavailable; try again", http.StatusInternalServerError)
	}
	s.sessions = sm
	if cfg.OIDC != nil {
		if s.oidc, err = newOIDC(ctx, *cfg.OIDC, cfg.BaseURL+oidcCallbackPath); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// sessionCookie is the session cookie's name. The __Host- prefix makes the
// browser refuse it unless it is Secure, host-only and for the whole site.
const sessionCookie = "__Host-rostersync"

func loopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// Handler is the console with all its protections: security headers,
// cross-origin protection for every state-changing request, and sessions.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	mux.HandleFunc("GET /signin", s.signInPage)
	mux.HandleFunc("POST /signin", s.signIn)
	mux.HandleFunc("POST /signout", s.signOut)
	mux.HandleFunc("GET /signin/sso", s.ssoStart)
	mux.HandleFunc("GET "+oidcCallbackPath, s.ssoCallback)
	mux.HandleFunc("GET /invite/{token}", s.invitePage)
	mux.HandleFunc("POST /invite/{token}", s.acceptInvite)

	mux.Handle("GET /{$}", s.signedIn(s.home))
	mux.Handle("GET /orgs/{org}", s.inOrg(s.overviewPage))
	mux.Handle("POST /orgs/{org}/sync", s.inOrg(s.syncNow))
	mux.Handle("GET /orgs/{org}/sync/progress", s.inOrg(s.syncProgress))
	mux.Handle("GET /orgs/{org}/connect", s.inOrg(s.connectPage))
	mux.Handle("POST /orgs/{org}/connect", s.inOrg(s.saveConnection))
	mux.Handle("POST /orgs/{org}/connect/test", s.inOrg(s.testConnection))
	mux.Handle("GET /orgs/{org}/history", s.inOrg(s.historyPage))
	mux.Handle("GET /orgs/{org}/runs/{run}", s.inOrg(s.runPage))
	mux.Handle("GET /orgs/{org}/chart", s.inOrg(s.chartPage))
	mux.Handle("GET /orgs/{org}/picture", s.inOrg(s.picturePage))
	mux.Handle("GET /orgs/{org}/picture.svg", s.inOrg(s.pictureSVG))
	mux.Handle("GET /orgs/{org}/decision", s.inOrg(s.decisionPage))
	mux.Handle("POST /orgs/{org}/decision", s.inOrg(s.decide))
	mux.Handle("GET /orgs/{org}/preview", s.inOrg(s.previewPage))
	mux.Handle("POST /orgs/{org}/preview", s.inOrg(s.startPreview))
	mux.Handle("GET /orgs/{org}/preview/progress", s.inOrg(s.previewProgress))
	mux.Handle("GET /orgs/{org}/options", s.inOrg(s.optionsPage))
	mux.Handle("POST /orgs/{org}/options", s.inOrg(s.saveOptions))
	mux.Handle("POST /orgs/{org}/options/person", s.inOrg(s.setLocalField))
	mux.Handle("GET /orgs/{org}/people", s.inOrg(s.peoplePage))
	mux.Handle("POST /orgs/{org}/people/level", s.inOrg(s.setLevel))
	mux.Handle("POST /orgs/{org}/people/remove", s.inOrg(s.removePerson))
	mux.Handle("POST /orgs/{org}/people/invite", s.inOrg(s.invite))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Log.Warn("console: cross-origin request refused", zap.String("path", r.URL.Path), zap.String("origin", r.Header.Get("Origin")))
		s.renderError(w, r, http.StatusForbidden, "This request came from another site and was refused. Nothing was changed.")
	}))
	// Sessions load first so that the refusal page can be rendered; the
	// refusal happens before any handler runs.
	return securityHeaders(s.sessions.LoadAndSave(cop.Handler(mux)))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}
