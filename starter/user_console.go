package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rostersync/rostersync/internal/config"
	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// Bootstrapping console sign-in from the CLI (operators only): a password
// from a file, or a one-time invitation link printed for the operator to hand
// over. The console does the rest (docs/security.md).

// consolePasswordHash reads a console password from file and hashes it.
func consolePasswordHash(file string) (string, error) {
	pw, err := readSecret(file, "", "console password")
	if err != nil {
		return "", err
	}
	if err := secrets.CheckPasswordPolicy(pw); err != nil {
		return "", usageErr("--password-file: %v", err)
	}
	return secrets.HashPassword(pw)
}

// printInvitation stores a one-time invitation and prints its link. An
// invitation only adds access, so it is decided as a grant from none.
func printInvitation(ctx context.Context, st *store.Store, org, as, target string, level domain.Level, stdout io.Writer) error {
	actor := store.NormalizeEmail(as)
	have, err := st.UserLevel(ctx, org, actor)
	if err != nil {
		return err
	}
	if err := domain.MayGrant(domain.Grant{Org: org, Actor: actor, ActorLevel: have, Target: target, From: domain.LevelNone, To: level}); err != nil {
		return refusedErr("%v", err)
	}
	cc, err := config.LoadConsole(os.Getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	const ttl = 7 * 24 * time.Hour
	if err := st.CreateInvitation(ctx, token, store.Invitation{OrgID: org, Email: target, Level: level, InvitedBy: actor, ExpiresAt: time.Now().Add(ttl)}); err != nil {
		return err
	}
	auditCLI(ctx, st, org, actor, "access.invite", target, "as "+level.Label()+" (CLI link)")
	fmt.Fprintf(stdout, "one-time link for %s to join %s as %s (valid 7 days; give it only to them):\n%s/invite/%s\n", target, org, level, cc.URL, token)
	return nil
}

// auditCLI records an operator's access change; a failure to record does not
// undo the change, so it is only reported.
func auditCLI(ctx context.Context, st *store.Store, org, actor, action, target, detail string) {
	if err := st.Audit(ctx, store.AuditEntry{OrgID: org, Actor: actor, Action: action, Target: target, Detail: detail}); err != nil {
		fmt.Fprintf(os.Stderr, "starter: the change was made but not audited: %v\n", err)
	}
}
