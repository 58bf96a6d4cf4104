-- Staging becomes crash-safe. PostgreSQL empties UNLOGGED tables after a
-- crash; a fetch that resumed from its heartbeat would then apply a roster
-- missing the pages staged before the crash, and mark those people removed.
-- COPY into a logged table costs a little more; correctness comes first.
ALTER TABLE staging_members SET LOGGED;
ALTER TABLE staging_tree SET LOGGED;
ALTER TABLE staging_problems SET LOGGED;
ALTER TABLE staging_heads SET LOGGED;
