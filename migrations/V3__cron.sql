-- pgjobs schema, version 3: cron schedules (the schedules table itself came with version 1).

-- The overlap check of a schedule ("has it a job that has not finished?") runs before every fire and must stay
-- cheap however long the job history grows. Fired jobs carry their schedule's name in metadata
-- ('pgjobs.schedule'), so no column is added to jobs and the enqueue path is unchanged; this partial index
-- holds only the unfinished jobs that came from a schedule, so ordinary jobs and finished history never enter
-- it. The query repeats the expression and the state list literally so the planner can use it.
create index jobs_schedule_unfinished on jobs ((metadata ->> 'pgjobs.schedule'))
    where state in ('scheduled', 'available', 'running', 'retryable')
      and (metadata ->> 'pgjobs.schedule') is not null;
