-- Per-org sync options (internal/store/options.go): which members are in
-- scope, which fields are ignored, and which fields Rostersync owns (the sync
-- keeps their local values).
ALTER TABLE orgs ADD COLUMN sync_options jsonb NOT NULL DEFAULT '{}';

-- Members a run left out by the org's scope, with why.
CREATE TABLE staging_excluded (
    run_id    text NOT NULL,
    member_id text COLLATE "C" NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (run_id, member_id)
);

-- Justworks values a run kept out because Rostersync owns the field.
CREATE TABLE staging_kept (
    run_id     text NOT NULL,
    member_id  text COLLATE "C" NOT NULL,
    field      text NOT NULL,
    justworks  text,
    kept       text,
    PRIMARY KEY (run_id, member_id, field)
);

-- Terminations Justworks sent ahead of their date: a run keeps the person
-- as they are until the day comes (in the org's time zone).
CREATE TABLE staging_scheduled (
    run_id           text NOT NULL,
    member_id        text COLLATE "C" NOT NULL,
    termination_date date NOT NULL,
    PRIMARY KEY (run_id, member_id)
);
