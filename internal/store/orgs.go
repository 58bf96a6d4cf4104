package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// DefaultSafetyThreshold is the fraction of stored active people a sync may
// terminate or remove before ApplyRoster refuses it.
const DefaultSafetyThreshold = 0.20

type orgRow struct {
	ID               string         `db:"id"`
	Name             string         `db:"name"`
	JustworksURL     string         `db:"justworks_url"`
	Username         string         `db:"username"`
	SealedPassword   []byte         `db:"sealed_password"`
	SealedTOTPSecret []byte         `db:"sealed_totp_secret"`
	HeadName         string         `db:"head_name"`
	Notify           pq.StringArray `db:"notify"`
	Daily            bool           `db:"daily"`
	DailyTime        string         `db:"daily_time"`
	TimeZone         string         `db:"time_zone"`
	ScheduleAs       string         `db:"schedule_as"`
	SafetyThreshold  float64        `db:"safety_threshold"`
	LoginBlocked     string         `db:"login_blocked"`
	CreatedAt        time.Time      `db:"created_at"`
	UpdatedAt        time.Time      `db:"updated_at"`
}

func (r orgRow) org() Org {
	notify := []string(r.Notify)
	if notify == nil {
		notify = []string{}
	}
	return Org{
		ID: r.ID, Name: r.Name, JustworksURL: r.JustworksURL, Username: r.Username,
		SealedPassword: r.SealedPassword, SealedTOTPSecret: r.SealedTOTPSecret,
		HeadName: r.HeadName, Notify: notify, Daily: r.Daily, DailyTime: r.DailyTime,
		TimeZone: r.TimeZone, ScheduleAs: r.ScheduleAs, SafetyThreshold: r.SafetyThreshold,
		LoginBlocked: r.LoginBlocked, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

const orgColumns = `id, name, justworks_url, username, sealed_password, sealed_totp_secret, head_name,
	notify, daily, daily_time, time_zone, schedule_as, safety_threshold, login_blocked, created_at, updated_at`

// GetOrg returns the org, or ErrNotFound.
func (s *Store) GetOrg(ctx context.Context, id string) (Org, error) {
	return getOrg(ctx, s.db, id, false)
}

func getOrg(ctx context.Context, q sqlx.QueryerContext, id string, forUpdate bool) (Org, error) {
	query := "SELECT " + orgColumns + " FROM orgs WHERE id = $1"
	if forUpdate {
		query += " FOR UPDATE"
	}
	var r orgRow
	err := sqlx.GetContext(ctx, q, &r, query, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, fmt.Errorf("org %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Org{}, fmt.Errorf("get org %q: %w", id, err)
	}
	return r.org(), nil
}

// UpsertOrg creates the org or replaces all its settings with o's (callers read,
// change and write back). CreatedAt and UpdatedAt are kept by the store. A zero
// SafetyThreshold means DefaultSafetyThreshold. Changing the username, password,
// TOTP secret or Justworks URL clears LoginBlocked: the block exists to stop
// retrying credentials Justworks rejected, and new ones deserve a try.
func (s *Store) UpsertOrg(ctx context.Context, o Org) (created bool, err error) {
	if strings.TrimSpace(o.ID) == "" {
		return false, fmt.Errorf("upsert org: %w: the org id is empty", ErrBadInput)
	}
	if o.SafetyThreshold == 0 {
		o.SafetyThreshold = DefaultSafetyThreshold
	}
	if o.SafetyThreshold < 0 || o.SafetyThreshold > 1 {
		return false, fmt.Errorf("upsert org %q: %w: safety threshold %v is not a fraction in (0, 1]", o.ID, ErrBadInput, o.SafetyThreshold)
	}
	if o.Notify == nil {
		o.Notify = []string{}
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := getOrg(ctx, tx, o.ID, true)
		switch {
		case errors.Is(err, ErrNotFound):
			created = true
		case err != nil:
			return err
		default:
			if old.Username != o.Username || old.JustworksURL != o.JustworksURL ||
				!bytes.Equal(old.SealedPassword, o.SealedPassword) || !bytes.Equal(old.SealedTOTPSecret, o.SealedTOTPSecret) {
				o.LoginBlocked = ""
			}
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO orgs (id, name, justworks_url, username, sealed_password, sealed_totp_secret, head_name,
				notify, daily, daily_time, time_zone, schedule_as, safety_threshold, login_blocked)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (id) DO UPDATE SET
				name = EXCLUDED.name, justworks_url = EXCLUDED.justworks_url, username = EXCLUDED.username,
				sealed_password = EXCLUDED.sealed_password, sealed_totp_secret = EXCLUDED.sealed_totp_secret,
				head_name = EXCLUDED.head_name, notify = EXCLUDED.notify, daily = EXCLUDED.daily,
				daily_time = EXCLUDED.daily_time, time_zone = EXCLUDED.time_zone, schedule_as = EXCLUDED.schedule_as,
				safety_threshold = EXCLUDED.safety_threshold, login_blocked = EXCLUDED.login_blocked,
				updated_at = now()`,
			o.ID, o.Name, o.JustworksURL, o.Username, o.SealedPassword, o.SealedTOTPSecret, o.HeadName,
			pq.Array(o.Notify), o.Daily, o.DailyTime, o.TimeZone, o.ScheduleAs, o.SafetyThreshold, o.LoginBlocked)
		if isCode(err, "23514") { // check_violation
			return fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("upsert org %q: %w", o.ID, err)
	}
	return created, nil
}

// BlockLogin records why logins for the org stop (Justworks rejected the
// credentials); an empty reason lifts the block.
func (s *Store) BlockLogin(ctx context.Context, orgID, reason string) error {
	res, err := s.db.ExecContext(ctx, "UPDATE orgs SET login_blocked = $2, updated_at = now() WHERE id = $1", orgID, reason)
	if err != nil {
		return fmt.Errorf("block login of org %q: %w", orgID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("block login of org %q: %w", orgID, ErrNotFound)
	}
	return nil
}

// Levels lists the access levels, highest first.
var Levels = []string{LevelOwner, LevelTechnicalOwner, LevelAdmin, LevelMember}

// ValidLevel reports whether level is one of Levels.
func ValidLevel(level string) bool {
	for _, l := range Levels {
		if l == level {
			return true
		}
	}
	return false
}

// NormalizeEmail is how user emails are keyed: trimmed and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// SetUser gives email the level in the org (creating or changing it).
func (s *Store) SetUser(ctx context.Context, orgID, email, level string) error {
	e := NormalizeEmail(email)
	if e == "" {
		return fmt.Errorf("set user of org %q: %w: the email is empty", orgID, ErrBadInput)
	}
	if !ValidLevel(level) {
		return fmt.Errorf("set user %q of org %q: %w: level %q is not one of %s", e, orgID, ErrBadInput, level, strings.Join(Levels, ", "))
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO org_users (org_id, email, level) VALUES ($1, $2, $3)
		ON CONFLICT (org_id, email) DO UPDATE SET level = EXCLUDED.level, updated_at = now()`, orgID, e, level)
	if err != nil {
		return fmt.Errorf("set user %q of org %q: %w", e, orgID, notFoundIfFK(err, "org "+orgID))
	}
	return nil
}

// RemoveUser takes the user's access to the org away; removing a non-user is not
// an error.
func (s *Store) RemoveUser(ctx context.Context, orgID, email string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM org_users WHERE org_id = $1 AND email = $2", orgID, NormalizeEmail(email))
	if err != nil {
		return fmt.Errorf("remove user of org %q: %w", orgID, err)
	}
	return nil
}

// UserLevel is the user's level in the org, "" when not a user of it.
func (s *Store) UserLevel(ctx context.Context, orgID, email string) (string, error) {
	var level string
	err := s.db.GetContext(ctx, &level, "SELECT level FROM org_users WHERE org_id = $1 AND email = $2", orgID, NormalizeEmail(email))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("user level in org %q: %w", orgID, err)
	}
	return level, nil
}

// OrgUser is one user of an org.
type OrgUser struct {
	Email string `db:"email"`
	Level string `db:"level"`
}

// Users lists the org's users, highest level first, then by email.
func (s *Store) Users(ctx context.Context, orgID string) ([]OrgUser, error) {
	users := []OrgUser{}
	err := s.db.SelectContext(ctx, &users, `
		SELECT email, level FROM org_users WHERE org_id = $1
		ORDER BY array_position(ARRAY['owner','technical_owner','admin','member'], level), email`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list users of org %q: %w", orgID, err)
	}
	return users, nil
}

// ListOrgs returns every org, by id.
func (s *Store) ListOrgs(ctx context.Context) ([]Org, error) {
	var rows []orgRow
	if err := s.db.SelectContext(ctx, &rows, "SELECT "+orgColumns+" FROM orgs ORDER BY id"); err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	out := make([]Org, len(rows))
	for i, r := range rows {
		out[i] = r.org()
	}
	return out, nil
}
