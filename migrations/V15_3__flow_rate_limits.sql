-- pgjobs schema, version 15.3: rate limits (docs/flow-control.md). Additive only, like V15.
--
-- A rate limit lets a queue (or each partition of it) start at most one job per interval, with a burst of up to
-- rate_burst at once after a quiet spell: the generic cell rate algorithm, whose whole state is one time per
-- queue and partition, the theoretical arrival time (tat) of the next job. A job may start at t when
-- tat - (burst - 1) * interval <= t; starting n jobs moves tat to max(tat, t) + n * interval. Over any span of
-- time d, at most burst + d / interval jobs start. The rows are read and written only by claims of their queue,
-- which hold the queue's advisory lock (V15), so nothing else locks them.
create table rate_limits (
    queue      text        not null,
    partition  text        not null,
    tat        timestamptz not null,
    primary key (queue, partition)
);

-- How many jobs may start at t under a rate limit whose state is tat (null: never used).
create function rate_allowance(tat timestamptz, t timestamptz, interval_ms double precision,
                               tolerance_ms double precision, burst int)
returns int
language sql
immutable
as $$
    select least(coalesce(burst, 1),
                 greatest(0, floor((extract(epoch from (t - coalesce(tat, t))) * 1000 + tolerance_ms) / interval_ms)::int + 1))
$$;

-- V15.1's claim_flow_jobs with rate limits: rate_interval_ms (null: none) is the interval between starts,
-- rate_burst how many may start at once, rate_per_partition whether each partition (else the queue) has its own.
-- The queue's own rate caps how many the claim takes; a partition's caps how many of that partition it takes
-- (its jobs are then passed over in the walk, as those of a partition at its limit: see V15).
create function claim_flow_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text,
                                lease_ms bigint, queue_limit int, partition_limit int, key_source text,
                                key_path text[], ordered boolean, discarded_blocks boolean,
                                rate_interval_ms double precision, rate_burst int, rate_per_partition boolean)
returns table (id bigint, kind text, queue text, attempt int, max_attempts int, args text, metadata text,
               waited_ms bigint, priority smallint, run_at timestamptz)
language plpgsql
volatile
set enable_bitmapscan = off
set enable_seqscan = off
set enable_sort = off
set plan_cache_mode = force_generic_plan
set search_path from current
as $$
#variable_conflict use_column
declare
    free int;
    chosen bigint[];
    chosen_parts text[];
    t timestamptz := now();
    tolerance_ms double precision := (coalesce(rate_burst, 1) - 1) * rate_interval_ms;
begin
    perform pg_advisory_xact_lock(x'70676A71'::int, hashtext(current_schema() || ':' || claim_queue));
    if exists (select 1 from queues q where q.name = claim_queue and q.paused) then
        return;
    end if;
    select least(claim_limit, coalesce(queue_limit - count(*), claim_limit)) into free
    from jobs r where r.state = 'running' and r.queue = claim_queue and r.flow_partition is not null;
    if rate_interval_ms is not null and not rate_per_partition then
        select least(free, rate_allowance(rl.tat, t, rate_interval_ms, tolerance_ms, rate_burst)) into free
        from (select max(l.tat) as tat from rate_limits l where l.queue = claim_queue and l.partition = '') rl;
    end if;
    if free <= 0 then
        return;
    end if;
    select coalesce(array_agg(chosen_jobs.id), '{}'), coalesce(array_agg(chosen_jobs.part), '{}')
    into chosen, chosen_parts
    from (
        select ranked.id, ranked.part from (
            select c.id, c.priority, c.run_at, c.part,
                   row_number() over (partition by c.part order by c.priority, c.run_at, c.id) as nth_started,
                   coalesce(r.running, 0) as running,
                   case when rate_per_partition
                        then rate_allowance(rl.tat, t, rate_interval_ms, tolerance_ms, rate_burst) end as allowance
            from (select c.id, c.priority, c.run_at,
                         flow_partition_of(c.partition_key, c.args, c.metadata, key_source, key_path) as part
                  from jobs c
                  where c.state in ('available', 'scheduled', 'retryable') and c.queue = claim_queue
                    and c.run_at <= now() and c.kind = any(claim_kinds)
                    and (not ordered or c.ordering_key is null or not exists (
                        select 1 from jobs o
                        where o.queue = claim_queue and o.ordering_key = c.ordering_key and o.id <> c.id
                          and o.state in ('scheduled', 'available', 'running', 'retryable', 'discarded')
                          and (o.state = 'running'
                               or (o.id < c.id and (o.state <> 'discarded' or discarded_blocks)))))
                  order by c.priority, c.run_at, c.id
                  limit case when partition_limit is null and rate_per_partition is not true then free
                             else greatest(free * 20, 1000) end) c
            left join (select r.flow_partition, count(*) as running from jobs r
                       where r.state = 'running' and r.queue = claim_queue and r.flow_partition is not null
                       group by r.flow_partition) r on r.flow_partition = c.part
            left join rate_limits rl on rate_per_partition and rl.queue = claim_queue and rl.partition = c.part
        ) ranked
        where (partition_limit is null or ranked.running + ranked.nth_started <= partition_limit)
          and (ranked.allowance is null or ranked.nth_started <= ranked.allowance)
        order by ranked.priority, ranked.run_at, ranked.id
        limit free) chosen_jobs;
    if rate_interval_ms is not null and cardinality(chosen) > 0 then
        -- the jobs chosen are counted as started (one that is cancelled before the lock below is not claimed,
        -- and its turn is lost: the rate errs low, never high)
        insert into rate_limits as l (queue, partition, tat)
        select claim_queue, p.part, t + p.n * rate_interval_ms * interval '1 millisecond'
        from (select case when rate_per_partition then u.part else '' end as part, count(*) as n
              from unnest(chosen_parts) u(part) group by 1 order by 1) p
        on conflict (queue, partition)
        do update set tat = greatest(l.tat, t) + (excluded.tat - t);
    end if;
    return query
    update jobs j
    set state = 'running', attempt = j.attempt + 1, started_at = now(), node_id = claim_node,
        lease_expires_at = now() + lease_ms * interval '1 millisecond',
        flow_partition = flow_partition_of(j.partition_key, j.args, j.metadata, key_source, key_path)
    where j.id = any(array(
        select c.id from jobs c
        where c.id = any(chosen) and c.state in ('available', 'scheduled', 'retryable') and c.run_at <= now()
        for update of c skip locked))
    returning j.id, j.kind, j.queue, j.attempt, j.max_attempts, j.args::text, j.metadata::text,
              greatest(0, extract(epoch from now() - j.run_at) * 1000)::bigint, j.priority, j.run_at;
end
$$;

drop function claim_flow_jobs(text, text[], int, text, bigint, int, int, text, text[], boolean, boolean);
