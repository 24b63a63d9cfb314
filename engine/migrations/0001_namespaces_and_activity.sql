-- Namespaces: the unit of ownership. Names are DNS-1123 labels, checked in Rust.
CREATE TABLE namespaces (
    name        TEXT PRIMARY KEY NOT NULL,
    created_at  TEXT NOT NULL            -- RFC 3339, UTC
) STRICT;

-- The activity log: one row per committed state change, in commit order.
-- The id is what SSE clients resume from (Last-Event-ID).
CREATE TABLE activity (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace   TEXT NOT NULL REFERENCES namespaces(name) ON DELETE CASCADE,
    at          TEXT NOT NULL,           -- RFC 3339, UTC
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,           -- model::EventKind as JSON
    -- 1 when subscribers of every namespace need the event (model::Event::is_cluster_wide)
    cluster_wide INTEGER NOT NULL DEFAULT 0 CHECK (cluster_wide IN (0, 1))
) STRICT;

CREATE INDEX activity_by_namespace ON activity (namespace, id);
CREATE INDEX activity_cluster_wide ON activity (cluster_wide, id);
