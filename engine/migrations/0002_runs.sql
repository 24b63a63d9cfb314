-- Pipeline runs, their tasks, and every attempt of a task: committed before
-- anything is launched, so a restart knows what was running.
CREATE TABLE runs (
    id            TEXT PRIMARY KEY NOT NULL,     -- UUID
    namespace     TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    state         TEXT NOT NULL,                 -- KFP state names: PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED
    plan          TEXT NOT NULL,                 -- spec::Plan as JSON
    parameters    TEXT NOT NULL,                 -- JSON object
    error         TEXT,
    created_at    TEXT NOT NULL,
    finished_at   TEXT
) STRICT;
CREATE INDEX runs_by_namespace ON runs (namespace, created_at);

CREATE TABLE tasks (
    id            TEXT PRIMARY KEY NOT NULL,     -- UUID
    run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path          TEXT NOT NULL,                 -- position in the run: root/for-loop-2[1]/square
    name          TEXT NOT NULL,
    state         TEXT NOT NULL,
    inputs        TEXT,                          -- JSON: resolved parameters and artifacts
    outputs       TEXT,                          -- JSON: output parameters and artifacts
    cached_from   TEXT,                          -- task id whose outputs were reused
    reason        TEXT,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    UNIQUE (run_id, path)
) STRICT;

CREATE TABLE attempts (
    name          TEXT PRIMARY KEY NOT NULL,     -- deterministic: <run>-<task hash>-<number>
    task_id       TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    state         TEXT NOT NULL,                 -- RUNNING, SUCCEEDED, FAILED, LOST, CANCELED
    image         TEXT NOT NULL,                 -- as the spec named it; the backend maps it to a runtime
    dir           TEXT NOT NULL,                 -- attempt directory: logs, outputs, process and exit files
    exit_code     INTEGER,
    reason        TEXT,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    UNIQUE (task_id, number)
) STRICT;

-- Outputs of cacheable tasks by cache key (component + resolved inputs).
CREATE TABLE task_cache (
    key           TEXT PRIMARY KEY NOT NULL,
    task_id       TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    outputs       TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

-- Artifacts written by tasks: where they are and what the producer said of them.
CREATE TABLE artifacts (
    uri           TEXT PRIMARY KEY NOT NULL,
    run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    task_id       TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    schema_title  TEXT NOT NULL,
    metadata      TEXT NOT NULL,                 -- JSON object
    size_bytes    INTEGER,
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX artifacts_by_run ON artifacts (run_id);
