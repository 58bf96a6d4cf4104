-- A sync that trips a safety check waits for a decision (approve, reject, or
-- the org's time-out) instead of ending; a dry run keeps what it would have
-- emailed. See internal/store/hold.go.

-- How long a held sync waits for a decision, per org (default 72 h).
ALTER TABLE orgs ADD COLUMN approval_timeout_seconds integer NOT NULL DEFAULT 259200
    CHECK (approval_timeout_seconds BETWEEN 1 AND 2592000);

-- The decision of a held run. decision_due is set when the run starts to
-- wait; decision and decided_* when it ends waiting.
ALTER TABLE sync_runs
    ADD COLUMN held_at      timestamptz,
    ADD COLUMN decision_due timestamptz,
    ADD COLUMN decision     text NOT NULL DEFAULT ''
                            CHECK (decision IN ('', 'approve', 'reject', 'timed_out')),
    ADD COLUMN decided_by   text NOT NULL DEFAULT '',
    ADD COLUMN decided_via  text NOT NULL DEFAULT '',
    ADD COLUMN decided_at   timestamptz;
CREATE INDEX sync_runs_pending_decision ON sync_runs (org_id) WHERE decision_due IS NOT NULL AND decided_at IS NULL;

-- The change set a run would write, in change_log's shape, staged when a
-- safety check holds the run and by a dry run. An approval writes exactly
-- these rows into change_log. Dropped with the rest of the run's staging.
CREATE TABLE staging_changes (
    run_id    text NOT NULL,
    member_id text COLLATE "C" NOT NULL,
    kind      text NOT NULL,
    fields    jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, member_id)
);

-- What a dry run would have emailed, kept for `starter sync --dry-run` and the
-- console's preview. Pruned with the run's staging.
CREATE TABLE run_previews (
    run_id  text PRIMARY KEY,
    subject text NOT NULL,
    text    text NOT NULL,
    html    text NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now()
);
