package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/rostersync/rostersync/internal/secrets"
)

// Login signs in to Justworks with the org's stored password and a TOTP code,
// and keeps the session sealed in the store under the run, so the fetch step
// (on any worker) continues it without a second login. Nothing of the session
// enters history.
func (a *Activities) Login(ctx context.Context, run RunRef) error {
	c, org, err := a.justworksClient(ctx, run.Org)
	if err != nil {
		return err
	}
	if err := c.Login(ctx); err != nil {
		return a.justworksFailure(ctx, org, err)
	}
	sealed, err := a.Secrets.Seal([]byte(c.Token()), secrets.SessionAAD(run.RunID))
	if err != nil {
		return fmt.Errorf("seal session: %w", err)
	}
	if err := a.Store.SaveSession(ctx, run.RunID, sealed); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	activity.GetLogger(ctx).Info("Logged in to Justworks", "org", org.ID, "user", org.Username)
	return nil
}
