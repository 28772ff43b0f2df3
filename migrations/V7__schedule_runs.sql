-- pgjobs schema, version 7: each schedule's recent runs, for the dashboard's Schedules page.

-- The jobs a schedule enqueued, newest first, must be found without searching the jobs table, where finished
-- jobs are not indexed by schedule. Two ways round that were rejected:
--   * an index on jobs ((metadata ->> 'pgjobs.schedule'), id) over every job of a schedule: written again on
--     every state change of those jobs (state changes are never HOT updates), to serve one dashboard page;
--   * a range scan of V1's unique index on idempotency keys ('cron:<name>:<fire time>'): jobs triggered by hand
--     have no key; the prefix 'cron:a:' also holds the keys of a schedule named 'a:b'; the index orders by the
--     database's collation, which need not be byte order, so a prefix range is not a key range; and
--     Instant.toString() writes fractions of a second only when there are some, so the keys do not sort by
--     time even in byte order.
-- So the firer and a manual trigger write one row here in the transaction that enqueues the job, and keep the
-- newest 10 of the schedule: the table stays tiny, and each run's state and times are read from its job by
-- primary key when the page is shown. A run whose job was deleted (by retention or an operator) keeps its row
-- until newer runs push it out (so no foreign key to jobs); deleting the schedule deletes its runs.
create table schedule_runs (
    schedule   text        not null references schedules (name) on delete cascade,
    job_id     bigint      not null,
    fire_time  timestamptz not null,
    manual     boolean     not null,
    primary key (schedule, job_id)
);
