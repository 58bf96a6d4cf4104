-- Nothing from Justworks is dropped silently, and each word counts what it says.

-- A status outside the documented ones is stored as received (the vendor adds
-- values over time); only an empty one is refused, and the sync skips that
-- member instead (run_skipped). 'removed' stays Rostersync's own word: a
-- member sent with it is skipped too.
ALTER TABLE staging_members DROP CONSTRAINT IF EXISTS staging_members_status_check;
ALTER TABLE people DROP CONSTRAINT IF EXISTS people_status_check;
ALTER TABLE people ADD CONSTRAINT people_status_check CHECK (status <> '');

-- A staged copy that cannot be applied (a required value missing, a date that
-- is not a date, text PostgreSQL cannot hold) is staged with its reason, so
-- the last copy of a member still wins: a skipped last copy skips the member.
ALTER TABLE staging_members ADD COLUMN skip_reason text, ADD COLUMN skip_detail text;

-- The members a run skipped, with the reason: the run record, the email and
-- `starter status` read it. member_id is '' for a member sent without an id.
-- Kept with the run (not staging): it is what the run did.
CREATE TABLE run_skipped (
    run_id    text NOT NULL,
    seq       bigint NOT NULL,
    member_id text COLLATE "C" NOT NULL,
    name      text NOT NULL,
    reason    text NOT NULL,
    detail    text NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, seq)
);

-- Values outside the documented enums that a run stored as received.
CREATE TABLE run_unknown_values (
    run_id text NOT NULL,
    field  text NOT NULL,
    value  text NOT NULL,
    people integer NOT NULL,
    PRIMARY KEY (run_id, field, value)
);

-- 'returned': a person stored as removed (missing from an earlier roster)
-- who is on the roster again. Not a rehire: nobody left and came back.
ALTER TABLE change_log DROP CONSTRAINT IF EXISTS change_log_kind_check;
ALTER TABLE change_log ADD CONSTRAINT change_log_kind_check
    CHECK (kind IN ('hire', 'termination', 'rehire', 'returned', 'update', 'removed'));

ALTER TABLE sync_runs ADD COLUMN returned integer NOT NULL DEFAULT 0,
    ADD COLUMN skipped integer NOT NULL DEFAULT 0;
