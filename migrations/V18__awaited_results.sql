-- pgjobs schema, version 18: results a client waits for (JobClient.awaitResult; docs/flow-control.md#awaiting-results).
--
-- A client that waits for a job sets its flag, and the statement that finishes the job sends one notification
-- on the results channel, only for flagged jobs: jobs nobody waits for cost the completion nothing but reading
-- the flag. A constant default adds the column without rewriting the table.
alter table jobs add column result_awaited boolean not null default false;
