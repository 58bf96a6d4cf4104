package console

import (
	"context"
	"net/http"
	"net/url"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// Session keys. The session holds who signed in and how, never a level: the
// level is read from the store on every request, so a change of access takes
// effect at once.
const (
	keyEmail    = "email"
	keyMethod   = "method" // "password" or "sso"
	keyFlash    = "flash"
	keyOIDC     = "oidc" // state, nonce and PKCE verifier of a sign-in under way
	keyNextPath = "next"
)

type ctxKey int

const orgKey ctxKey = iota

// signedIn runs h for a signed-in user; others go to the sign-in page (with a
// note when their session has expired).
func (s *Server) signedIn(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.sessions.GetString(r.Context(), keyEmail) == "" {
			s.toSignIn(w, r)
			return
		}
		h(w, r)
	})
}

func (s *Server) toSignIn(w http.ResponseWriter, r *http.Request) {
	q := url.Values{}
	if _, err := r.Cookie(sessionCookie); err == nil {
		// The browser sent a session the store no longer has (expired,
		// idle too long, or signed out elsewhere).
		q.Set("expired", "1")
	}
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		s.sessions.Put(r.Context(), keyNextPath, r.URL.RequestURI())
	}
	if r.Method != http.MethodGet {
		// A form posted with an expired session changes nothing.
		s.render(w, r, http.StatusUnauthorized, "signin", view{Title: "Sign in", Data: signInData{
			Expired: true, SSO: s.oidc != nil}})
		return
	}
	target := "/signin"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// inOrg runs h for a user of the org in the path, with the org and the user's
// level in the request's context. Someone who is not a user of the org gets
// 404, the same as for an org that does not exist.
func (s *Server) inOrg(h http.HandlerFunc) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request) {
		email := s.sessions.GetString(r.Context(), keyEmail)
		orgID := r.PathValue("org")
		level, err := s.Store.UserLevel(r.Context(), orgID, email)
		if err != nil {
			s.internalError(w, r, "read your access level", err)
			return
		}
		if level == "" {
			s.renderError(w, r, http.StatusNotFound, "There is no org "+orgID+" that you have access to.")
			return
		}
		org, err := s.Store.GetOrg(r.Context(), orgID)
		if err != nil {
			s.internalError(w, r, "read the org", err)
			return
		}
		ov := &orgView{ID: org.ID, Name: org.Name, Level: level, LevelLabel: levelLabel(level),
			MaySync: maySync(level), IsOwner: level == domain.LevelOwner}
		if ov.Name == "" {
			ov.Name = org.ID
		}
		h(w, r.WithContext(context.WithValue(r.Context(), orgKey, orgCtx{org: org, view: ov, email: email})))
	})
}

type orgCtx struct {
	org   store.Org
	view  *orgView
	email string
}

func orgOf(r *http.Request) orgCtx { return r.Context().Value(orgKey).(orgCtx) }

// orgPath is a path inside the org's pages.
func orgPath(org string, rest string) string { return "/orgs/" + url.PathEscape(org) + rest }

// refuse answers a request the user's level does not allow: 403 and the
// policy's message; nothing was done.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, msg string) {
	s.renderError(w, r, http.StatusForbidden, msg)
}
