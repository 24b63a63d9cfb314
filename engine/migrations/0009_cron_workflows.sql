-- A recurring run made from an Argo CronWorkflow keeps its schedule policy
-- (schedules, time zone, concurrency, deadline, history), as JSON.
ALTER TABLE recurring_runs ADD COLUMN cron_workflow TEXT;
