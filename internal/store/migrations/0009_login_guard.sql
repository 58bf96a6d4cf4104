-- The login guard (docs/decisions.md, "Justworks logins"): per org, the
-- password steps whose verdict Rostersync did not hear. A step is counted
-- before the password leaves (a worker that dies mid-step leaves it counted)
-- and uncounted only when Justworks' answer arrives. in_flight_until lets one
-- password step per org be on the wire at a time, whatever worker sends it.
CREATE TABLE login_guard (
    org_id          text PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    unheard         integer NOT NULL DEFAULT 0 CHECK (unheard >= 0),
    last_step_at    timestamptz,
    in_flight_until timestamptz,
    last_unheard    text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now()
);
