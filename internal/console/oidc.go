package console

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/rostersync/rostersync/internal/store"
)

// OIDCConfig is a single sign-on provider (OpenID Connect, authorization code
// flow with PKCE). People sign in with it when the provider vouches for their
// email (email_verified) and that email is a user of an org.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Label names the provider on the sign-in button ("" = "single sign-on").
	Label string
}

const oidcCallbackPath = "/signin/sso/callback"

type oidcProvider struct {
	label    string
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDC(ctx context.Context, c OIDCConfig, redirect string) (*oidcProvider, error) {
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("single sign-on: discover %s: %w", c.Issuer, err)
	}
	label := c.Label
	if label == "" {
		label = "single sign-on"
	}
	return &oidcProvider{
		label: label,
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: redirect, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
		verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID}),
	}, nil
}

// oidcFlow is kept in the session between the redirect and the callback.
type oidcFlow struct {
	State, Nonce, Verifier string
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.renderError(w, r, http.StatusNotFound, "Single sign-on is not set up for this console.")
		return
	}
	f := oidcFlow{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier()}
	s.sessions.Put(r.Context(), keyOIDC, f.State+" "+f.Nonce+" "+f.Verifier)
	http.Redirect(w, r, s.oidc.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusSeeOther)
}

func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		s.renderError(w, r, http.StatusNotFound, "Single sign-on is not set up for this console.")
		return
	}
	ctx := r.Context()
	var f oidcFlow
	if _, err := fmt.Sscan(s.sessions.PopString(ctx, keyOIDC), &f.State, &f.Nonce, &f.Verifier); err != nil || r.URL.Query().Get("state") != f.State {
		// A callback this browser did not start (or started in another
		// session): never sign anyone in on it.
		s.renderError(w, r, http.StatusBadRequest, "This sign-in link is not from a sign-in you started here. Start again from the sign-in page.")
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		s.renderError(w, r, http.StatusUnauthorized, "The single sign-on provider did not sign you in ("+e+").")
		return
	}
	email, err := s.oidc.verify(ctx, r.URL.Query().Get("code"), f)
	if err != nil {
		s.Log.Warn("console: single sign-on refused", zap.Error(err))
		s.renderError(w, r, http.StatusUnauthorized, "Single sign-on did not work: "+err.Error())
		return
	}
	orgs, err := s.Store.OrgsOf(ctx, email)
	if err != nil {
		s.internalError(w, r, "list your orgs", err)
		return
	}
	if len(orgs) == 0 {
		s.renderError(w, r, http.StatusForbidden, email+" has no access to any org here. Ask an owner to invite you.")
		return
	}
	if err := s.startSession(ctx, email, "sso"); err != nil {
		s.internalError(w, r, "start your session", err)
		return
	}
	s.afterSignIn(w, r)
}

// verify exchanges the code (with the PKCE verifier), checks the ID token's
// signature, audience, expiry and nonce, and returns its verified email.
func (p *oidcProvider) verify(ctx context.Context, code string, f oidcFlow) (string, error) {
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return "", errors.New("the provider did not accept the sign-in code")
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return "", errors.New("the provider sent no ID token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return "", errors.New("the ID token did not verify")
	}
	if idt.Nonce != f.Nonce {
		return "", errors.New("the ID token belongs to another sign-in")
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil {
		return "", errors.New("the ID token's claims do not decode")
	}
	if claims.Email == "" || !claims.EmailVerified {
		return "", errors.New("the provider did not vouch for an email address (email_verified)")
	}
	return store.NormalizeEmail(claims.Email), nil
}
