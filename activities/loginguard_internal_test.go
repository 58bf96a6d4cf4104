package activities

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/rostersync/rostersync/internal/domain"
	"github.com/rostersync/rostersync/internal/store"
)

// The guard's rule, state by state: what it lets through, what it delays and
// by how much, and what it refuses for good.
func TestLoginGuardRule(t *testing.T) {
	now := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
	g := (&Activities{Log: zap.NewNop(), LoginCooldown: 15 * time.Minute}).loginGuard(store.Org{ID: "acme", Username: "ops@acme.example"}, nil)
	for _, tc := range []struct {
		name      string
		st        store.LoginGuardState
		retryable bool
		delay     time.Duration
		typ       domain.ErrorType // "" = let it through
	}{
		{"fresh", store.LoginGuardState{Now: now}, false, 0, ""},
		{"one unheard", store.LoginGuardState{Unheard: 1, LastStepAt: now.Add(-time.Second), Now: now}, false, 0, ""},
		{"another step in flight", store.LoginGuardState{Unheard: 1, InFlightUntil: now.Add(20 * time.Second), Now: now}, true, 20 * time.Second, domain.ErrTypeJustworksRetryable},
		{"two unheard, cooling down", store.LoginGuardState{Unheard: 2, LastStepAt: now.Add(-5 * time.Minute), Now: now}, true, 10 * time.Minute, domain.ErrTypeJustworksRetryable},
		{"two unheard, cooled down", store.LoginGuardState{Unheard: 2, LastStepAt: now.Add(-16 * time.Minute), Now: now}, false, 0, ""},
		{"three unheard", store.LoginGuardState{Unheard: 3, LastStepAt: now.Add(-time.Hour), Now: now}, false, 0, domain.ErrTypeLoginUnheard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := g.admit(tc.st)
			if tc.typ == "" {
				if err != nil {
					t.Fatalf("admit = %v, want nil", err)
				}
				return
			}
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) {
				t.Fatalf("admit = %v, want an application error", err)
			}
			if ae.Type() != string(tc.typ) || ae.NonRetryable() == tc.retryable {
				t.Errorf("type %s non-retryable %v, want %s retryable %v", ae.Type(), ae.NonRetryable(), tc.typ, tc.retryable)
			}
			if ae.NextRetryDelay() != tc.delay {
				t.Errorf("next retry delay %s, want %s", ae.NextRetryDelay(), tc.delay)
			}
		})
	}
}
