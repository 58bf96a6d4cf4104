package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// LoginGuardState is an org's record of password steps whose verdict was not
// heard (table login_guard). The times come from the database's clock, so
// every worker judges a cool-down and a lease alike.
type LoginGuardState struct {
	Unheard       int       // password steps sent (or maybe sent) without a heard verdict since the last login
	LastStepAt    time.Time // when the latest password step was claimed; zero when none
	InFlightUntil time.Time // a claimed step may be on the wire until then; zero when none
	LastUnheard   string    // what the latest unheard step got instead of a verdict
	Now           time.Time // the database's clock when the state was read
}

type loginGuardRow struct {
	Unheard       int          `db:"unheard"`
	LastStepAt    sql.NullTime `db:"last_step_at"`
	InFlightUntil sql.NullTime `db:"in_flight_until"`
	LastUnheard   string       `db:"last_unheard"`
	Now           time.Time    `db:"now"`
}

func (r loginGuardRow) state() LoginGuardState {
	return LoginGuardState{Unheard: r.Unheard, LastStepAt: r.LastStepAt.Time, InFlightUntil: r.InFlightUntil.Time, LastUnheard: r.LastUnheard, Now: r.Now}
}

const loginGuardColumns = "unheard, last_step_at, in_flight_until, last_unheard, now() AS now"

// LoginGuard reads the org's record; an org that never sent a password has a
// zero one.
func (s *Store) LoginGuard(ctx context.Context, orgID string) (LoginGuardState, error) {
	var r loginGuardRow
	err := s.db.GetContext(ctx, &r, "SELECT "+loginGuardColumns+" FROM login_guard WHERE org_id = $1", orgID)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.db.GetContext(ctx, &r.Now, "SELECT now()")
	}
	if err != nil {
		return LoginGuardState{}, fmt.Errorf("read the login guard of org %q: %w", orgID, err)
	}
	return r.state(), nil
}

// ClaimPasswordStep lets one password step go out, or not. Under the org's row
// lock it calls admit with the current record; when admit returns nil the step
// is counted as unheard and marked in flight for lease, in the same
// transaction, before the caller sends anything. admit's error is returned as
// is. Two workers claiming at once take turns, and the second sees the first's
// step in flight.
func (s *Store) ClaimPasswordStep(ctx context.Context, orgID string, lease time.Duration, admit func(LoginGuardState) error) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO login_guard (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING", orgID); err != nil {
			return fmt.Errorf("claim a password step of org %q: %w", orgID, notFoundIfFK(err, "org "+orgID))
		}
		var r loginGuardRow
		if err := tx.GetContext(ctx, &r, "SELECT "+loginGuardColumns+" FROM login_guard WHERE org_id = $1 FOR UPDATE", orgID); err != nil {
			return fmt.Errorf("claim a password step of org %q: %w", orgID, err)
		}
		if err := admit(r.state()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			UPDATE login_guard SET unheard = unheard + 1, last_step_at = now(),
				in_flight_until = now() + make_interval(secs => $2), updated_at = now()
			WHERE org_id = $1`, orgID, lease.Seconds())
		if err != nil {
			return fmt.Errorf("claim a password step of org %q: %w", orgID, err)
		}
		return nil
	})
}

// SettlePasswordStep records what became of the org's claimed step: heard
// (Justworks answered, so the step no longer counts as unheard) or not (it
// stays counted; why says what came instead). It returns the record after.
func (s *Store) SettlePasswordStep(ctx context.Context, orgID string, heard bool, why string) (LoginGuardState, error) {
	query := `UPDATE login_guard SET unheard = greatest(unheard - 1, 0), in_flight_until = NULL, updated_at = now()
		WHERE org_id = $1 RETURNING ` + loginGuardColumns
	args := []any{orgID}
	if !heard {
		query = `UPDATE login_guard SET in_flight_until = NULL, last_unheard = $2, updated_at = now()
			WHERE org_id = $1 RETURNING ` + loginGuardColumns
		args = append(args, why)
	}
	var r loginGuardRow
	err := s.db.GetContext(ctx, &r, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return LoginGuardState{}, fmt.Errorf("settle a password step of org %q: %w", orgID, ErrNotFound)
	}
	if err != nil {
		return LoginGuardState{}, fmt.Errorf("settle a password step of org %q: %w", orgID, err)
	}
	return r.state(), nil
}

// ResetLoginGuard forgets the org's unheard steps: a session opened (Justworks
// resets its own failed-login count then), or an operator re-entered the
// credentials after checking the account.
func (s *Store) ResetLoginGuard(ctx context.Context, orgID string) error {
	return resetLoginGuard(ctx, s.db, orgID)
}

func resetLoginGuard(ctx context.Context, ex sqlx.ExecerContext, orgID string) error {
	if _, err := ex.ExecContext(ctx, "DELETE FROM login_guard WHERE org_id = $1", orgID); err != nil {
		return fmt.Errorf("reset the login guard of org %q: %w", orgID, err)
	}
	return nil
}
