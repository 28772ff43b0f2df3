-- pgjobs schema, version 4: what the dashboard reads and writes besides the jobs themselves.

-- Finished attempts per minute, queue, kind and the state the job moved to (completed, retryable, discarded,
-- cancelled, scheduled for a snooze, available after a shutdown). Written by the completion statement itself
-- (one more CTE, same round trip), so throughput and failure-rate charts never count the jobs table.
create table job_stats (
    minute       timestamptz not null,
    queue        text        not null,
    kind         text        not null,
    state        text        not null,
    jobs         bigint      not null,
    duration_ms  bigint      not null,
    primary key (minute, queue, kind, state)
);

-- Every operator action, for the dashboard's audit page.
create table audit_log (
    id      bigint generated always as identity primary key,
    at      timestamptz not null default now(),
    actor   text        not null,
    action  text        not null,
    target  text        not null,
    detail  jsonb       not null default '{}'
);

-- Rare states are listed, counted and grouped fast on a big table through one partial index: counts of them
-- are index-only scans, and "state = 'discarded' order by id desc" walks it backwards. A job pays for it only
-- when it enters one of these states (a delay, a failure, a cancel, a dead letter); the hot path (available ->
-- running -> completed) never touches it. State changes on jobs are never HOT anyway (state is in the
-- predicates of V1's indexes), so the index does not cost any other update its HOT chance either.
create index jobs_rare_states on jobs (state, id) where state in ('scheduled', 'retryable', 'cancelled', 'discarded');
