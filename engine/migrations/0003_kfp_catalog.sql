-- The KFP catalog: pipelines and their versions, experiments, recurring runs,
-- and what the KFP API says of a run. Every list is paged by key, so each
-- has an index that starts with its scope and ends with (created_at, id).

CREATE TABLE pipelines (
    id            TEXT PRIMARY KEY NOT NULL,     -- UUID
    namespace     TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    UNIQUE (namespace, name)
) STRICT;
CREATE INDEX pipelines_page ON pipelines (namespace, created_at, id);

CREATE TABLE pipeline_versions (
    id              TEXT PRIMARY KEY NOT NULL,   -- UUID
    pipeline_id     TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    spec            TEXT NOT NULL,               -- JSON: the IR, or {pipeline_spec, platform_spec}
    code_source_url TEXT NOT NULL DEFAULT '',
    package_url     TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    UNIQUE (pipeline_id, name)
) STRICT;
CREATE INDEX pipeline_versions_page ON pipeline_versions (pipeline_id, created_at, id);

CREATE TABLE experiments (
    id                  TEXT PRIMARY KEY NOT NULL,   -- UUID
    namespace           TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE,
    display_name        TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    storage_state       TEXT NOT NULL DEFAULT 'AVAILABLE',   -- AVAILABLE, ARCHIVED
    created_at          TEXT NOT NULL,
    last_run_created_at TEXT,
    UNIQUE (namespace, display_name)
) STRICT;
CREATE INDEX experiments_page ON experiments (namespace, created_at, id);

CREATE TABLE recurring_runs (
    id                  TEXT PRIMARY KEY NOT NULL,   -- UUID
    namespace           TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE,
    display_name        TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    experiment_id       TEXT NOT NULL,
    pipeline_id         TEXT,
    pipeline_version_id TEXT,
    pipeline_spec       TEXT,                        -- JSON, when given inline
    parameters          TEXT NOT NULL,               -- JSON object
    pipeline_root       TEXT NOT NULL DEFAULT '',
    cron                TEXT,                        -- one of cron and interval_seconds
    interval_seconds    INTEGER,
    start_time          TEXT,
    end_time            TEXT,
    max_concurrency     INTEGER NOT NULL,
    no_catchup          INTEGER NOT NULL,
    enabled             INTEGER NOT NULL,
    last_scheduled_at   TEXT,                        -- schedule time of the newest run fired
    created_by          TEXT NOT NULL,               -- runs fire as this principal
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;
CREATE INDEX recurring_runs_page ON recurring_runs (namespace, created_at, id);

ALTER TABLE runs ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN experiment_id TEXT;
ALTER TABLE runs ADD COLUMN pipeline_id TEXT;
ALTER TABLE runs ADD COLUMN pipeline_version_id TEXT;
ALTER TABLE runs ADD COLUMN pipeline_spec TEXT;          -- JSON, as submitted
ALTER TABLE runs ADD COLUMN pipeline_root TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN storage_state TEXT NOT NULL DEFAULT 'AVAILABLE';
ALTER TABLE runs ADD COLUMN recurring_run_id TEXT;
ALTER TABLE runs ADD COLUMN scheduled_at TEXT;
ALTER TABLE runs ADD COLUMN state_history TEXT NOT NULL DEFAULT '[]';  -- JSON [{update_time, state}]

DROP INDEX runs_by_namespace;
CREATE INDEX runs_page ON runs (namespace, created_at, id);
CREATE INDEX runs_by_experiment ON runs (experiment_id, created_at, id);
CREATE INDEX runs_by_state ON runs (namespace, state, created_at, id);
CREATE INDEX runs_by_name ON runs (namespace, display_name, id);
-- A recurring run fires each scheduled time at most once, across restarts.
CREATE UNIQUE INDEX runs_fired ON runs (recurring_run_id, scheduled_at) WHERE recurring_run_id IS NOT NULL;

-- Attempts made before the last retry of the run: a retried task gets its
-- retry budget afresh, numbering on from here.
ALTER TABLE tasks ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
