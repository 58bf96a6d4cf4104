package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rostersync/rostersync/internal/domain"
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
	ApprovalTimeout  int            `db:"approval_timeout_seconds"`
	SyncOptions      []byte         `db:"sync_options"`
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
		ApprovalTimeout: time.Duration(r.ApprovalTimeout) * time.Second,
		Options:         decodeOptions(r.SyncOptions),
	}
}

const orgColumns = `id, name, justworks_url, username, sealed_password, sealed_totp_secret, head_name,
	notify, daily, daily_time, time_zone, schedule_as, safety_threshold, login_blocked, created_at, updated_at,
	approval_timeout_seconds, sync_options`

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
			// The block is the worker's verdict on the stored credentials: a
			// writer's older copy never overwrites it; new credentials lift it.
			o.LoginBlocked = old.LoginBlocked
			if credentialsChanged(old, o) {
				o.LoginBlocked = ""
				if err := credentialsReplaced(ctx, tx, o.ID); err != nil {
					return err
				}
			}
		}
		err = writeOrg(ctx, tx, o)
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

// ErrExists is returned when an org to create was created meanwhile.
var ErrExists = errors.New("already exists")

// OrgWrite says which org SaveOrg writes: an existing one, or a new one with
// its first owner.
type OrgWrite struct {
	ID     string
	Create bool
	Owner  string // with Create: the verified person who becomes owner
	// ResumeLogins lifts a login block and resets the login guard although
	// the credentials stay the same: the operator checked the account in
	// Justworks by hand (docs/operations.md).
	ResumeLogins bool
}

// SaveOrg creates or changes the org under its row lock: update gets the
// stored org (the zero Org for a new one) and returns what to store, so
// concurrent writers never lose each other's changes, and a create never
// replaces an org someone else created meanwhile (ErrExists); a new org and
// its first owner are written together. It returns what was stored.
func (s *Store) SaveOrg(ctx context.Context, w OrgWrite, update func(old Org) (Org, error)) (Org, error) {
	id, create := w.ID, w.Create
	if create && NormalizeEmail(w.Owner) == "" {
		return Org{}, fmt.Errorf("create org %q: %w: no owner", id, ErrBadInput)
	}
	var saved Org
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := getOrg(ctx, tx, id, true)
		switch {
		case create && err == nil:
			return fmt.Errorf("org %q was created meanwhile by someone else: %w", id, ErrExists)
		case create && errors.Is(err, ErrNotFound):
			old = Org{}
		case err != nil:
			return err
		}
		o, err := update(old)
		if err != nil {
			return err
		}
		if o.ID != id {
			return fmt.Errorf("save org %q: %w: the update changed the id to %q", id, ErrBadInput, o.ID)
		}
		if !create {
			o.LoginBlocked = old.LoginBlocked
			switch {
			case credentialsChanged(old, o):
				o.LoginBlocked = ""
				if err := credentialsReplaced(ctx, tx, id); err != nil {
					return err
				}
			case w.ResumeLogins:
				// An operator checked the account by hand (runbook):
				// the same credentials may be tried again.
				o.LoginBlocked = ""
				if err := resetLoginGuard(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		if o.SafetyThreshold == 0 {
			o.SafetyThreshold = DefaultSafetyThreshold
		}
		if o.SafetyThreshold < 0 || o.SafetyThreshold > 1 || o.SafetyThreshold != o.SafetyThreshold {
			return fmt.Errorf("%w: safety threshold %v is not a fraction in (0, 1]", ErrBadInput, o.SafetyThreshold)
		}
		if o.Notify == nil {
			o.Notify = []string{}
		}
		err = writeOrg(ctx, tx, o)
		if isCode(err, "23514") { // check_violation
			return fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		if err != nil {
			return err
		}
		if create {
			if _, err := tx.ExecContext(ctx, `INSERT INTO org_users (org_id, email, level) VALUES ($1, $2, $3)`,
				id, NormalizeEmail(w.Owner), domain.LevelOwner); err != nil {
				return err
			}
		}
		saved, err = getOrg(ctx, tx, id, false)
		return err
	})
	if err != nil {
		return Org{}, fmt.Errorf("save org %q: %w", id, err)
	}
	return saved, nil
}

// writeOrg inserts or replaces the org's settings (created_at is kept).
func writeOrg(ctx context.Context, tx *sqlx.Tx, o Org) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO orgs (id, name, justworks_url, username, sealed_password, sealed_totp_secret, head_name,
			notify, daily, daily_time, time_zone, schedule_as, safety_threshold, login_blocked, approval_timeout_seconds, sync_options)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (id) DO UPDATE SET
			name = EXCLUDED.name, justworks_url = EXCLUDED.justworks_url, username = EXCLUDED.username,
			sealed_password = EXCLUDED.sealed_password, sealed_totp_secret = EXCLUDED.sealed_totp_secret,
			head_name = EXCLUDED.head_name, notify = EXCLUDED.notify, daily = EXCLUDED.daily,
			daily_time = EXCLUDED.daily_time, time_zone = EXCLUDED.time_zone, schedule_as = EXCLUDED.schedule_as,
			safety_threshold = EXCLUDED.safety_threshold, login_blocked = EXCLUDED.login_blocked,
			approval_timeout_seconds = EXCLUDED.approval_timeout_seconds, sync_options = EXCLUDED.sync_options,
			updated_at = now()`,
		o.ID, o.Name, o.JustworksURL, o.Username, o.SealedPassword, o.SealedTOTPSecret, o.HeadName,
		pq.Array(o.Notify), o.Daily, o.DailyTime, o.TimeZone, o.ScheduleAs, o.SafetyThreshold, o.LoginBlocked,
		approvalSeconds(o.ApprovalTimeout), encodeOptions(o.Options))
	return err
}

// approvalSeconds stores an approval timeout; zero means the default.
func approvalSeconds(d time.Duration) int {
	if d <= 0 {
		d = domain.DefaultApprovalTimeout
	}
	return int(d / time.Second)
}

// credentialsReplaced forgets what belonged to the org's old credentials:
// the login guard's count (the operator acted on them) and the org's reusable
// sessions, which must not outlive them.
func credentialsReplaced(ctx context.Context, tx *sqlx.Tx, orgID string) error {
	if err := resetLoginGuard(ctx, tx, orgID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE starts_with(run_id, $1)", OrgSessionPrefix(orgID)); err != nil {
		return fmt.Errorf("drop the sessions of the replaced credentials of org %q: %w", orgID, err)
	}
	return nil
}

// OrgSessionPrefix starts the key of every reusable session of the org in the
// sessions table (activities add a hash of the credentials); replacing the
// credentials drops them all.
func OrgSessionPrefix(orgID string) string { return "org:" + orgID + ":" }

// credentialsChanged: the block exists to stop retrying credentials
// Justworks rejected; different ones (or another account) deserve a try.
func credentialsChanged(old, o Org) bool {
	return old.Username != o.Username || old.JustworksURL != o.JustworksURL ||
		!bytes.Equal(old.SealedPassword, o.SealedPassword) || !bytes.Equal(old.SealedTOTPSecret, o.SealedTOTPSecret)
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

// NormalizeEmail is how user emails are keyed: trimmed and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// SetUser gives email the level in the org (creating or changing it) without
// asking who acts: it makes the first owner of a new org. The last-owner rule
// still holds. People change levels through GrantLevel.
func (s *Store) SetUser(ctx context.Context, orgID, email string, level domain.Level) error {
	_, err := s.setLevel(ctx, orgID, email, level, func(from domain.Level, owners int) error {
		return domain.LastOwner(orgID, NormalizeEmail(email), from, level, owners)
	})
	return err
}

// Grant asks for one person's level to change: Actor (verified by the
// caller: a signed-in console user, or an operator's --as) sets Target's
// level to To (domain.LevelNone takes access away).
type Grant struct {
	Org, Actor, Target string
	To                 domain.Level
}

// GrantLevel applies the access policy (domain.MayGrant) and the change in one
// transaction that holds the org's row, so two owners demoting each other at
// once cannot leave the org without an owner. A refusal is a
// *domain.RefusedError. It returns the target's level before the change.
func (s *Store) GrantLevel(ctx context.Context, g Grant) (domain.Level, error) {
	actor := NormalizeEmail(g.Actor)
	var actorLevel domain.Level
	return s.setLevel(ctx, g.Org, g.Target, g.To, func(from domain.Level, owners int) error {
		return domain.MayGrant(domain.Grant{Org: g.Org, Actor: actor, ActorLevel: actorLevel,
			Target: NormalizeEmail(g.Target), From: from, To: g.To, OwnersInOrg: owners})
	}, func(tx *sqlx.Tx) (err error) {
		actorLevel, err = userLevel(ctx, tx, g.Org, actor)
		return err
	})
}

// setLevel locks the org, reads the target's level and the owner count, asks
// check, and writes the new level (LevelNone deletes the user).
func (s *Store) setLevel(ctx context.Context, orgID, email string, level domain.Level,
	check func(from domain.Level, owners int) error, before ...func(*sqlx.Tx) error) (domain.Level, error) {
	e := NormalizeEmail(email)
	if e == "" {
		return "", fmt.Errorf("set user of org %q: %w: the email is empty", orgID, ErrBadInput)
	}
	if level != domain.LevelNone {
		if _, err := domain.ParseLevel(string(level)); err != nil {
			return "", fmt.Errorf("set user %q of org %q: %w: %v", e, orgID, ErrBadInput, err)
		}
	}
	var from domain.Level
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var id string
		if err := tx.GetContext(ctx, &id, "SELECT id FROM orgs WHERE id = $1 FOR UPDATE", orgID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("org %q: %w", orgID, ErrNotFound)
			}
			return err
		}
		for _, f := range before {
			if err := f(tx); err != nil {
				return err
			}
		}
		var err error
		if from, err = userLevel(ctx, tx, orgID, e); err != nil {
			return err
		}
		var owners int
		if err := tx.GetContext(ctx, &owners, "SELECT count(*) FROM org_users WHERE org_id = $1 AND level = $2", orgID, domain.LevelOwner); err != nil {
			return err
		}
		if err := check(from, owners); err != nil {
			return err
		}
		if level == domain.LevelNone {
			_, err = tx.ExecContext(ctx, "DELETE FROM org_users WHERE org_id = $1 AND email = $2", orgID, e)
		} else {
			_, err = tx.ExecContext(ctx, `
				INSERT INTO org_users (org_id, email, level) VALUES ($1, $2, $3)
				ON CONFLICT (org_id, email) DO UPDATE SET level = EXCLUDED.level, updated_at = now()`, orgID, e, level)
		}
		return err
	})
	if err != nil {
		if domain.IsRefused(err) || errors.Is(err, ErrNotFound) {
			return from, err
		}
		return from, fmt.Errorf("set user %q of org %q: %w", e, orgID, err)
	}
	return from, nil
}

// RemoveUser takes the user's access to the org away (the last owner stays);
// removing a non-user is not an error.
func (s *Store) RemoveUser(ctx context.Context, orgID, email string) error {
	_, err := s.setLevel(ctx, orgID, email, domain.LevelNone, func(from domain.Level, owners int) error {
		return domain.LastOwner(orgID, NormalizeEmail(email), from, domain.LevelNone, owners)
	})
	return err
}

// UserLevel is the user's level in the org, domain.LevelNone when not a user of it.
func (s *Store) UserLevel(ctx context.Context, orgID, email string) (domain.Level, error) {
	return userLevel(ctx, s.db, orgID, NormalizeEmail(email))
}

func userLevel(ctx context.Context, q sqlx.QueryerContext, orgID, email string) (domain.Level, error) {
	var level domain.Level
	err := sqlx.GetContext(ctx, q, &level, "SELECT level FROM org_users WHERE org_id = $1 AND email = $2", orgID, email)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.LevelNone, nil
	}
	if err != nil {
		return domain.LevelNone, fmt.Errorf("user level in org %q: %w", orgID, err)
	}
	return level, nil
}

// OrgUser is one user of an org.
type OrgUser struct {
	Email string       `db:"email"`
	Level domain.Level `db:"level"`
}

// Users lists the org's users, highest level first, then by email.
func (s *Store) Users(ctx context.Context, orgID string) ([]OrgUser, error) {
	users := []OrgUser{}
	if err := s.db.SelectContext(ctx, &users, `SELECT email, level FROM org_users WHERE org_id = $1`, orgID); err != nil {
		return nil, fmt.Errorf("list users of org %q: %w", orgID, err)
	}
	sort.Slice(users, func(i, j int) bool {
		if a, b := users[i].Level.Rank(), users[j].Level.Rank(); a != b {
			return a > b
		}
		return users[i].Email < users[j].Email
	})
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
