package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/justworks"
	"github.com/rostersync/rostersync/internal/secrets"
	"github.com/rostersync/rostersync/internal/store"
)

// justworksClient opens the org's credentials in memory and returns a client
// for its Justworks account. It refuses when an earlier failure blocked logins:
// repeating a rejected login is how accounts get locked.
//
// Every login of the client goes through the org's durable login guard.
// beat heartbeats the activity: the client waits (Retry-After, TOTP steps)
// in a sleep that calls it every few seconds, and the guard calls it between
// the steps of a login, so a long login never looks like a dead attempt.
func (a *Activities) justworksClient(ctx context.Context, orgID string, beat func()) (*justworks.Client, store.Org, error) {
	org, err := a.Store.GetOrg(ctx, orgID)
	if err != nil {
		return nil, org, fmt.Errorf("load org %s: %w", orgID, err)
	}
	if org.LoginBlocked != "" {
		return nil, org, nonRetryable(domain.ErrTypeLoginBlocked, fmt.Sprintf(
			"logins of org %s are stopped: %s. To resume, enter new credentials with `starter org set --org %s ...`, or, once you have checked the account in Justworks by hand, run `starter org set --org %s --resume-logins --as YOU`",
			org.ID, org.LoginBlocked, org.ID, org.ID))
	}
	password, err := a.Secrets.Open(org.SealedPassword, secrets.PasswordAAD(org.ID))
	if err != nil {
		return nil, org, nonRetryable(domain.ErrTypeConfig, fmt.Sprintf(
			"the stored password of org %s does not open with this worker's ROSTERSYNC_SECRET_KEY; use the key it was saved with, or save it again with `starter org set`", org.ID))
	}
	secret, err := a.Secrets.Open(org.SealedTOTPSecret, secrets.TOTPSecretAAD(org.ID))
	if err != nil {
		return nil, org, nonRetryable(domain.ErrTypeConfig, fmt.Sprintf(
			"the stored 2FA setup key of org %s does not open with this worker's ROSTERSYNC_SECRET_KEY; use the key it was saved with, or save it again with `starter org set`", org.ID))
	}
	c, err := justworks.New(justworks.Config{
		BaseURL:    org.JustworksURL,
		HTTPClient: a.JustworksHTTP,
		RateLimit:  a.JustworksRateLimit,
		Sleep:      heartbeatingSleep(beat),
		Guard:      a.loginGuard(org, beat),
		Logger:     a.Log.With(logOrg(org.ID)),
	}, justworks.Credentials{Username: org.Username, Password: string(password), TOTPSecret: string(secret)})
	if err != nil {
		return nil, org, a.justworksFailure(ctx, org, err)
	}
	return c, org, nil
}

// heartbeatingSleep waits d, calling beat every beatEvery; with beat nil it
// just waits (the caller heartbeats otherwise).
func heartbeatingSleep(beat func()) func(context.Context, time.Duration) error {
	if beat == nil {
		beat = func() {}
	}
	return func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		tick := time.NewTicker(beatEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			case <-tick.C:
				beat()
			}
		}
	}
}

// justworksFailure classifies a client failure and, when it means the
// credentials are wrong, stops further logins of the org.
func (a *Activities) justworksFailure(ctx context.Context, org store.Org, err error) error {
	recordJustworksError(ctx, org.ID, err)
	if blocksLogin(err) {
		if berr := a.Store.BlockLogin(ctx, org.ID, err.Error()); berr != nil {
			a.Log.Error("could not record blocked login", logOrg(org.ID), errField(berr))
		}
	}
	return justworksError(org, err)
}
