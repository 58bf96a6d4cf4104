-- Rostersync schema. Everything is keyed by org. Member ids use the "C"
-- collation: they are opaque tokens, so byte order is the right order (exports
-- sort by id the same way on every server) and comparisons are cheapest.

CREATE TABLE orgs (
    id                 text PRIMARY KEY CHECK (id <> ''),
    name               text NOT NULL DEFAULT '',
    justworks_url      text NOT NULL DEFAULT '',
    username           text NOT NULL DEFAULT '',
    sealed_password    bytea,
    sealed_totp_secret bytea,
    head_name          text NOT NULL DEFAULT '',
    notify             text[] NOT NULL DEFAULT '{}',
    daily              boolean NOT NULL DEFAULT false,
    daily_time         text NOT NULL DEFAULT ''
                       CHECK (daily_time = '' OR daily_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    time_zone          text NOT NULL DEFAULT '',
    schedule_as        text NOT NULL DEFAULT '',
    safety_threshold   double precision NOT NULL DEFAULT 0.20
                       CHECK (safety_threshold > 0 AND safety_threshold <= 1),
    -- Non-empty: Justworks rejected the stored credentials; no login is tried
    -- until they change (retrying would lock the Justworks account).
    login_blocked      text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE org_users (
    org_id     text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email      text NOT NULL CHECK (email <> '' AND email = lower(email)),
    level      text NOT NULL CHECK (level IN ('owner', 'technical_owner', 'admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, email)
);

CREATE TABLE sync_runs (
    run_id        text PRIMARY KEY CHECK (run_id <> ''),
    org_id        text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    workflow_id   text NOT NULL DEFAULT '',
    requested_by  text NOT NULL DEFAULT '',
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    outcome       text NOT NULL DEFAULT '',
    hires         integer NOT NULL DEFAULT 0,
    terminations  integer NOT NULL DEFAULT 0,
    rehires       integer NOT NULL DEFAULT 0,
    updates       integer NOT NULL DEFAULT 0,
    unchanged     integer NOT NULL DEFAULT 0,
    removed       integer NOT NULL DEFAULT 0,
    problems      integer NOT NULL DEFAULT 0,
    error         text NOT NULL DEFAULT '',
    -- Set when ApplyRoster wrote the roster (outcome applied or no_changes).
    applied_at    timestamptz,
    -- ApplyRoster's answer, whatever the outcome: a retried apply of the same
    -- run returns it without looking at the data again.
    result        jsonb
);
CREATE INDEX sync_runs_org_started ON sync_runs (org_id, started_at DESC);

-- The Justworks session token of a run, sealed, so another worker can resume it.
CREATE TABLE sessions (
    run_id       text PRIMARY KEY,
    sealed_token bytea NOT NULL,
    saved_at     timestamptz NOT NULL DEFAULT now()
);

-- Staging holds one run's fetched members until the run finishes. It is
-- UNLOGGED: it is rebuilt by fetching again, so it does not need WAL (COPY is
-- about twice as fast), and a crash that empties it only costs a refetch.
-- A member can be staged several times (the roster changes while paging); the
-- row with the highest seq wins.
CREATE UNLOGGED TABLE staging_members (
    run_id           text NOT NULL,
    seq              bigint NOT NULL,
    id               text COLLATE "C" NOT NULL CHECK (id <> ''),
    given_name       text NOT NULL,
    family_name      text NOT NULL,
    preferred_name   text,
    work_email       text,
    job_title        text,
    department_id    text,
    department_name  text,
    manager_id       text COLLATE "C",
    employment_type  text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'active', 'on_leave', 'terminated')),
    start_date       date,
    termination_date date,
    location_name    text,
    location_city    text,
    location_state   text,
    location_country text,
    updated_at       timestamptz
);
CREATE INDEX staging_members_run_id_seq ON staging_members (run_id, id, seq);

-- The resolved manager of each staged member (absent: stored as null).
CREATE UNLOGGED TABLE staging_tree (
    run_id     text NOT NULL,
    member_id  text COLLATE "C" NOT NULL,
    manager_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (run_id, member_id)
);

-- The tree problems found for a run.
CREATE UNLOGGED TABLE staging_problems (
    run_id    text NOT NULL,
    member_id text COLLATE "C" NOT NULL,
    kind      text NOT NULL,
    detail    text NOT NULL DEFAULT ''
);
CREATE INDEX staging_problems_run ON staging_problems (run_id);

-- The head of the tree a run resolved; its presence says StageTree ran.
CREATE UNLOGGED TABLE staging_heads (
    run_id    text PRIMARY KEY,
    head_id   text COLLATE "C",
    staged_at timestamptz NOT NULL DEFAULT now()
);

-- The primary org chart.
CREATE TABLE org_charts (
    org_id      text PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    head_id     text COLLATE "C",
    last_run_id text NOT NULL,
    synced_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE people (
    org_id               text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    id                   text COLLATE "C" NOT NULL CHECK (id <> ''),
    given_name           text NOT NULL,
    family_name          text NOT NULL,
    preferred_name       text,
    work_email           text,
    job_title            text,
    department_id        text,
    department_name      text,
    -- manager_id is the manager as stored after resolving the tree (null for the
    -- head, cycles, unknown managers); justworks_manager_id is what Justworks sent.
    manager_id           text COLLATE "C",
    justworks_manager_id text COLLATE "C",
    employment_type      text NOT NULL,
    status               text NOT NULL
                         CHECK (status IN ('pending', 'active', 'on_leave', 'terminated', 'removed')),
    start_date           date,
    termination_date     date,
    location_name        text,
    location_city        text,
    location_state       text,
    location_country     text,
    updated_at           timestamptz, -- as sent by Justworks
    first_seen_run       text NOT NULL,
    last_changed_run     text NOT NULL,
    written_at           timestamptz NOT NULL DEFAULT now(), -- when Rostersync last wrote the row
    PRIMARY KEY (org_id, id)
);

-- The tree problems of each org's last applied sync.
CREATE TABLE problems (
    org_id    text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    member_id text COLLATE "C" NOT NULL,
    kind      text NOT NULL,
    detail    text NOT NULL DEFAULT '',
    run_id    text NOT NULL
);
CREATE INDEX problems_org ON problems (org_id, member_id);
CREATE INDEX problems_run ON problems (run_id);

CREATE TABLE change_log (
    id        bigserial PRIMARY KEY,
    org_id    text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    run_id    text NOT NULL,
    member_id text COLLATE "C" NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('hire', 'termination', 'rehire', 'update', 'removed')),
    -- {"field": {"old": ..., "new": ...}} for each field that changed.
    fields    jsonb NOT NULL DEFAULT '{}',
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_log_run ON change_log (run_id, kind, member_id);
CREATE INDEX change_log_member ON change_log (org_id, member_id, id);

-- One summary mail per run and recipient: 'sending' is claimed, 'sent' is done.
CREATE TABLE notifications (
    run_id     text NOT NULL,
    recipient  text NOT NULL,
    state      text NOT NULL CHECK (state IN ('sending', 'sent')),
    claimed_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    PRIMARY KEY (run_id, recipient)
);

