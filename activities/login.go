package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// Login opens a Justworks session for the run with the org's stored password
// and a TOTP code, and keeps it sealed in the store under the run, so the
// fetch step (on any worker) continues it without a second login. Nothing of
// the session enters history.
//
// A session the org's previous sync left is tried first: Justworks accepts
// each TOTP code once, so back-to-back syncs would otherwise wait for the
// next 30-second step, and fewer logins mean fewer chances to trip lockout.
// The client logs in afresh when that session has expired.
func (a *Activities) Login(ctx context.Context, run RunRef) error {
	c, org, err := a.justworksClient(ctx, run.Org, func() { activity.RecordHeartbeat(ctx) })
	if err != nil {
		return err
	}
	orgKey := orgSessionKey(org)
	reused := false
	if sealed, err := a.Store.LoadSession(ctx, orgKey); err == nil && sealed != nil {
		if tok, err := a.Secrets.Open(sealed, secrets.SessionAAD(orgKey)); err == nil {
			c.SetToken(string(tok))
			reused = true
		}
	}
	if reused {
		_, err = c.Company(ctx) // proves the session, or logs in again
	} else {
		err = c.Login(ctx)
	}
	if err != nil {
		return a.justworksFailure(ctx, org, err)
	}
	if err := a.saveSessions(ctx, run, org, c.Token()); err != nil {
		return err
	}
	activity.GetLogger(ctx).Info("Logged in to Justworks", "org", org.ID, "user", org.Username, "logins", c.Stats().Logins)
	return nil
}

// saveSessions seals tok under the run (for its fetch) and under the org's
// current credentials (for its next sync).
func (a *Activities) saveSessions(ctx context.Context, run RunRef, org store.Org, tok string) error {
	for _, key := range []string{run.RunID, orgSessionKey(org)} {
		sealed, err := a.Secrets.Seal([]byte(tok), secrets.SessionAAD(key))
		if err != nil {
			return fmt.Errorf("seal session: %w", err)
		}
		if err := a.Store.SaveSession(ctx, key, sealed); err != nil {
			return fmt.Errorf("save session: %w", err)
		}
	}
	return nil
}

// orgSessionKey names the org's reusable session. It changes whenever the
// credentials or the Justworks URL change, so a session opened with old
// credentials is never used after an operator replaced them.
func orgSessionKey(org store.Org) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(org.JustworksURL), []byte(org.Username), org.SealedPassword, org.SealedTOTPSecret} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return store.OrgSessionPrefix(org.ID) + hex.EncodeToString(h.Sum(nil)[:12])
}
