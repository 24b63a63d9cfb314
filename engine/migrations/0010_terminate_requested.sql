-- A terminate is recorded before it is acted on, so that a run terminated
-- just before a restart (or before its driver registered) is never resumed.
ALTER TABLE runs ADD COLUMN terminate_requested INTEGER NOT NULL DEFAULT 0;
