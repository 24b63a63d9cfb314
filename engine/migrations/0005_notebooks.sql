-- Notebook servers: the validated spawner form, and where the server is.
CREATE TABLE notebooks (
    namespace      TEXT NOT NULL REFERENCES namespaces(name),
    name           TEXT NOT NULL,
    spec           TEXT NOT NULL,                 -- JSON: notebooks::NotebookSpec
    stopped        INTEGER NOT NULL DEFAULT 0,
    phase          TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    port           INTEGER,                       -- loopback port while it runs
    token          TEXT NOT NULL,                 -- Jupyter's token; never leaves the server
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    last_activity  TEXT,
    PRIMARY KEY (namespace, name)
) STRICT;
