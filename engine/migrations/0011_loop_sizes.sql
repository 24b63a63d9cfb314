-- How many iterations each loop of a run has, recorded once its items are
-- known: iterations wait for a free slot (parallelism) before they are
-- tasks, and the run page counts done of all that are due.
CREATE TABLE loop_sizes (
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path    TEXT NOT NULL,                 -- the loop task's path: root/for-loop-2
    items   INTEGER NOT NULL,
    PRIMARY KEY (run_id, path)
);
