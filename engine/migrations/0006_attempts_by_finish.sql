-- /metrics reads the durations of attempts finished since its last scrape.
CREATE INDEX attempts_by_finish ON attempts (finished_at);
