-- The people-ops console (internal/console): accounts, sessions, sign-in
-- throttling, invitations, an audit log, how each run started, and when the
-- write-only Justworks secrets were last set.

-- A console account is a password for an email. Access to an org is still the
-- org_users row: an account without one sees nothing, and people who sign in
-- with single sign-on need no account at all.
CREATE TABLE console_accounts (
    email           text PRIMARY KEY CHECK (email <> '' AND email = lower(email)),
    password_hash   text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    password_set_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Browser sessions, in the shape github.com/alexedwards/scs/postgresstore
-- expects (its default table name "sessions" is taken by Justworks sessions).
CREATE TABLE console_sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expiry);

-- Failed sign-ins, kept for the throttle window; durable so that restarting
-- the console or running several of them does not reset the count.
CREATE TABLE console_signin_failures (
    email text NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_signin_failures_email_at ON console_signin_failures (email, at);

-- One-time invitation links. Only a SHA-256 of the token is stored: a copy of
-- the database does not let anyone accept an invitation.
CREATE TABLE console_invitations (
    token_hash  bytea PRIMARY KEY,
    org_id      text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email <> '' AND email = lower(email)),
    level       text NOT NULL CHECK (level IN ('owner', 'technical_owner', 'admin', 'member')),
    invited_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);
CREATE INDEX console_invitations_org ON console_invitations (org_id, created_at DESC);

-- What people did in the console (and the CLI's access changes), newest last.
CREATE TABLE console_audit (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    org_id text NOT NULL,
    actor  text NOT NULL,
    action text NOT NULL,
    target text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT ''
);
CREATE INDEX console_audit_org ON console_audit (org_id, id DESC);

-- How a run started: console, schedule, cli, temporal_web ('' = recorded before
-- this column, or started by an operator without saying how).
ALTER TABLE sync_runs ADD COLUMN started_via text NOT NULL DEFAULT '';

-- When the sealed secrets last changed, for "set on DATE" (never the value).
-- A trigger keeps them right whoever writes the row (CLI, console, SQL).
ALTER TABLE orgs ADD COLUMN password_set_at timestamptz, ADD COLUMN totp_secret_set_at timestamptz;
UPDATE orgs SET password_set_at = updated_at WHERE sealed_password IS NOT NULL;
UPDATE orgs SET totp_secret_set_at = updated_at WHERE sealed_totp_secret IS NOT NULL;

CREATE FUNCTION orgs_secret_set_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.sealed_password IS DISTINCT FROM OLD.sealed_password THEN
        NEW.password_set_at := CASE WHEN NEW.sealed_password IS NULL THEN NULL ELSE now() END;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.sealed_totp_secret IS DISTINCT FROM OLD.sealed_totp_secret THEN
        NEW.totp_secret_set_at := CASE WHEN NEW.sealed_totp_secret IS NULL THEN NULL ELSE now() END;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orgs_secret_set_at BEFORE INSERT OR UPDATE ON orgs
    FOR EACH ROW EXECUTE FUNCTION orgs_secret_set_at();
