package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// Sign-in throttling: after signInMaxFailures failed attempts for one email
// within signInWindow, every attempt for that email (right password or not)
// is refused until the oldest of them leaves the window. The count lives in
// PostgreSQL, so restarts and several console processes share it.
const (
	signInMaxFailures = 5
	signInWindow      = 15 * time.Minute
)

type signInData struct {
	Email    string
	Error    string
	Expired  bool
	SignedUp bool
	SSO      bool
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	if s.sessions.GetString(r.Context(), keyEmail) != "" {
		seeOther(w, r, "/")
		return
	}
	s.render(w, r, http.StatusOK, "signin", view{Title: "Sign in", Data: signInData{
		Expired: r.URL.Query().Get("expired") == "1", SSO: s.oidc != nil}})
}

// dummyHash is verified against when the email has no account, so that a
// wrong email costs the same time as a wrong password.
var dummyHash, _ = secrets.HashPassword("rostersync-no-such-account")

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	email := store.NormalizeEmail(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	fail := func(status int, msg string) {
		s.render(w, r, status, "signin", view{Title: "Sign in", Data: signInData{Email: email, Error: msg, SSO: s.oidc != nil}})
	}
	if email == "" || password == "" {
		fail(http.StatusBadRequest, "Enter your email and password.")
		return
	}
	if wait, err := s.throttled(ctx, email); err != nil {
		s.internalError(w, r, "check sign-in attempts", err)
		return
	} else if wait > 0 {
		s.Log.Warn("console: sign-in throttled", zap.Int("max_failures", signInMaxFailures))
		fail(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins for this email. Try again in %s.", roundUp(wait)))
		return
	}
	hash, _, err := s.Store.PasswordHash(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internalError(w, r, "read your account", err)
		return
	}
	if hash == "" {
		hash = dummyHash
	}
	verr := secrets.VerifyPassword(hash, password)
	if err != nil || verr != nil {
		if rerr := s.Store.RecordSignInFailure(ctx, email, signInWindow); rerr != nil {
			s.internalError(w, r, "record the failed sign-in", rerr)
			return
		}
		s.Log.Info("console: sign-in failed")
		fail(http.StatusUnauthorized, "That email and password do not match an account.")
		return
	}
	if err := s.Store.ClearSignInFailures(ctx, email); err != nil {
		s.Log.Warn("console: clear sign-in failures", zap.Error(err))
	}
	if err := s.startSession(ctx, email, "password"); err != nil {
		s.internalError(w, r, "start your session", err)
		return
	}
	s.afterSignIn(w, r)
}

// throttled says how long the email must wait before trying again (0: not).
func (s *Server) throttled(ctx context.Context, email string) (time.Duration, error) {
	n, oldest, err := s.Store.SignInFailures(ctx, email, signInWindow)
	if err != nil || n < signInMaxFailures {
		return 0, err
	}
	wait := time.Until(oldest.Add(signInWindow))
	if wait < time.Second {
		wait = time.Second
	}
	return wait, nil
}

func roundUp(d time.Duration) string {
	if d > time.Minute {
		return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int((d+time.Second-1)/time.Second))
}

// startSession signs the email in. A new session token is issued, so a token
// planted before sign-in (session fixation) is worth nothing.
func (s *Server) startSession(ctx context.Context, email, method string) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, keyEmail, email)
	s.sessions.Put(ctx, keyMethod, method)
	return nil
}

// afterSignIn goes where the user was headed (a path on this site only).
func (s *Server) afterSignIn(w http.ResponseWriter, r *http.Request) {
	next := s.sessions.PopString(r.Context(), keyNextPath)
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		next = "/"
	}
	seeOther(w, r, next)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.internalError(w, r, "sign out", err)
		return
	}
	seeOther(w, r, "/signin")
}

// home sends the user to their org, or lists their orgs.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	email := s.sessions.GetString(r.Context(), keyEmail)
	orgs, err := s.Store.OrgsOf(r.Context(), email)
	if err != nil {
		s.internalError(w, r, "list your orgs", err)
		return
	}
	if len(orgs) == 1 {
		seeOther(w, r, orgPath(orgs[0].OrgID, ""))
		return
	}
	s.render(w, r, http.StatusOK, "home", view{Title: "Your orgs", Orgs: orgs})
}
