package activities

import (
	"context"
	"fmt"

	"github.com/rostersync/rostersync/internal/secrets"
)

// TestLogin logs in to the org's Justworks once, exactly as a sync's login
// step does: the same stored credentials, the same login block and guard
// against lockout, the same classification of failures (a rejection stops
// further logins). The console's "Test connection" calls it. It is a plain
// function, not a method, so the worker does not register it as an activity.
//
// The session it opens is kept as the org's reusable one (as Login keeps
// it), so the next sync need not wait for a fresh 2FA code.
func TestLogin(ctx context.Context, a *Activities, orgID string) error {
	c, org, err := a.justworksClient(ctx, orgID, nil)
	if err != nil {
		return err
	}
	if err := c.Login(ctx); err != nil {
		return a.justworksFailure(ctx, org, err)
	}
	key := orgSessionKey(org)
	sealed, err := a.Secrets.Seal([]byte(c.Token()), secrets.SessionAAD(key))
	if err != nil {
		return fmt.Errorf("seal session: %w", err)
	}
	if err := a.Store.SaveSession(ctx, key, sealed); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}
