-- pgjobs schema, version 30: the claim of queues with flow control (V15's claim_flow_jobs) stops walking the
-- queue as soon as it has chosen what it may take. Same signature, same arguments, same result, same choice.
--
-- V15 chose in one statement: it read a fixed stretch of the queue's runnable jobs (up to 20 times as many as it
-- could take, at least 1,000, when the queue has partition limits or a rate per partition), ranked every one
-- within its partition, joined them to the running jobs of every partition and to every partition's rate, and
-- kept those that fitted. A queue whose waiting jobs mostly belong to free partitions (the usual case: a limit
-- per customer, many customers) had each claim of a few jobs read a thousand, and count the running jobs of
-- every partition twice (once more for the queue limit, even without one). Here the walk is a loop over the
-- same jobs in the same order, bounded the same way, that asks each job's partition about its running jobs and
-- its rate when it comes to it (an index probe each, through jobs_flow_running and rate_limits' key) and stops
-- once it has chosen as many as it may take. It chooses exactly what V15 chose: the first jobs in claim order
-- that fit, where a job fits if its partition's running jobs plus the jobs of the partition chosen before it
-- stay under the limit and within what the partition's rate allows. The running jobs are counted for the
-- queue limit only when the queue has one.
--
-- Nothing else changes: the queue's advisory lock (each statement's snapshot is taken after it was granted, so
-- it sees every claim committed before), the check of ordered keys inside the walk, the rate's update, and the
-- locking and marking of the chosen rows.
create or replace function claim_flow_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text,
                                           lease_ms bigint, queue_limit int, partition_limit int, key_source text,
                                           key_path text[], ordered boolean, discarded_blocks boolean,
                                           rate_interval_ms double precision, rate_burst int,
                                           rate_per_partition boolean)
returns table (id bigint, kind text, queue text, attempt int, max_attempts int, args text, metadata text,
               waited_ms bigint, priority smallint, run_at timestamptz)
language plpgsql
volatile
set enable_bitmapscan = off
set enable_seqscan = off
set enable_sort = off
set plan_cache_mode = force_generic_plan
set search_path from current
set jit = off
as $$
#variable_conflict use_column
declare
    free int := claim_limit;
    per_partition boolean := partition_limit is not null or rate_per_partition is true;
    chosen bigint[] := '{}';
    chosen_parts text[] := '{}';
    candidate record;
    taken int;
    running int;
    allowance int;
    t timestamptz := now();
    tolerance_ms double precision := (coalesce(rate_burst, 1) - 1) * rate_interval_ms;
begin
    perform pg_advisory_xact_lock(x'70676A71'::int, hashtext(current_schema() || ':' || claim_queue));
    if exists (select 1 from queues q where q.name = claim_queue and q.paused) then
        return;
    end if;
    if queue_limit is not null then
        select least(claim_limit, queue_limit - count(*)) into free
        from jobs r where r.state = 'running' and r.queue = claim_queue and r.flow_partition is not null;
    end if;
    if rate_interval_ms is not null and not rate_per_partition then
        select least(free, rate_allowance(rl.tat, t, rate_interval_ms, tolerance_ms, rate_burst)) into free
        from (select max(l.tat) as tat from rate_limits l where l.queue = claim_queue and l.partition = '') rl;
    end if;
    if free <= 0 then
        return;
    end if;
    for candidate in
        select c.id, flow_partition_of(c.partition_key, c.args, c.metadata, key_source, key_path) as part
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
        limit case when per_partition then greatest(free * 20, 1000) else free end
    loop
        if per_partition then
            taken := cardinality(array_positions(chosen_parts, candidate.part));
            if partition_limit is not null then
                continue when taken >= partition_limit;
                select count(*) into running from jobs r
                where r.state = 'running' and r.queue = claim_queue and r.flow_partition is not null
                  and r.flow_partition = candidate.part;
                continue when running + taken >= partition_limit;
            end if;
            if rate_per_partition then
                select rate_allowance(max(l.tat), t, rate_interval_ms, tolerance_ms, rate_burst) into allowance
                from rate_limits l where l.queue = claim_queue and l.partition = candidate.part;
                continue when taken >= allowance;
            end if;
        end if;
        chosen := chosen || candidate.id;
        chosen_parts := chosen_parts || candidate.part;
        exit when cardinality(chosen) >= free;
    end loop;
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
