-- The Artifacts page lists a namespace's artifacts newest first.
CREATE INDEX artifacts_by_time ON artifacts (created_at, uri);
