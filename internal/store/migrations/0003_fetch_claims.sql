-- Which attempt of a run's fetch may stage rows. A retried fetch claims the
-- run with its (higher) attempt number and drops the rows staged past the
-- heartbeat it resumes from; an older attempt that is still running (a worker
-- that lost its heartbeat but not its process) then stages nothing more.
CREATE TABLE staging_fetch (
    run_id     text PRIMARY KEY,
    attempt    integer NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now()
);
