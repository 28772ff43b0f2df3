-- pgjobs schema, version 6: the history of queue lag, for the dashboard's lag chart.

-- Per minute and queue: the lag (how long the oldest due runnable job had been due, 0 when none was), the
-- runnable jobs waiting (counted up to a cap, as the queue list counts them) and the running ones. The leader
-- samples every queue a few times a minute (QueueLagSampler) through a few probes of V1's jobs_runnable per
-- queue, and keeps the largest values of the minute: the chart shows the worst lag, and more samples in one
-- minute (or two leaders while leadership moves) still make one row. So the chart reads a key range of this
-- table and never the jobs table. Retention deletes rows older than 8 days, as it does job_stats.
create table queue_lag (
    minute   timestamptz not null,
    queue    text        not null,
    lag_ms   bigint      not null,
    waiting  bigint      not null,
    running  bigint      not null,
    primary key (minute, queue)
);
