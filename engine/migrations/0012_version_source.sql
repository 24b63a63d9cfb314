-- A version's spec as it was uploaded (YAML with its comments and order),
-- shown on the pipeline's page; NULL for specs given as JSON objects.
ALTER TABLE pipeline_versions ADD COLUMN source TEXT;
