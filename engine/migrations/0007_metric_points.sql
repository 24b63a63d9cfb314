-- Minute averages of utilization series (host.cpu, gpu.0.util, notebook/team/nb.cpu, ...),
-- kept for the configured retention so charts survive a restart.
CREATE TABLE metric_points (
    series  TEXT NOT NULL,
    at      INTEGER NOT NULL,   -- unix seconds, start of the minute
    value   REAL NOT NULL,
    PRIMARY KEY (series, at)
) WITHOUT ROWID;
CREATE INDEX metric_points_by_time ON metric_points (at);
