-- pgjobs schema, version 15.1: ordered keys (docs/flow-control.md). Jobs of one queue with the same
-- ordering_key run one at a time, in enqueue order (by id), across the cluster. Additive only, like V15; it
-- comes as 15.1 so that it sorts right after V15 whatever other branches number their migrations.
alter table jobs add column ordering_key text check (ordering_key <> '' and length(ordering_key) <= 500);

-- The jobs that can hold a key: every unfinished one, and the discarded ones (a queue may choose that a
-- discarded job keeps its key blocked). The claim asks it, for a job, whether another job of its key is running
-- or comes first and is still unfinished. Jobs without a key are never in it.
create index jobs_ordering on jobs (queue, ordering_key, id)
    where ordering_key is not null and state in ('scheduled', 'available', 'running', 'retryable', 'discarded');

-- V15's claim_limited_jobs, extended to queues with ordered keys (ordered). It supersedes that function, which
-- was never released on its own and is dropped below: every queue
-- with flow control is claimed here, under the same per-queue advisory lock (see V15 for the lock, the counts
-- and the walk). With ordered set, a job with an ordering key is taken only when no other job of its queue and
-- key is running and none with a lower id is waiting, retrying, snoozed (scheduled) or, when discarded_blocks,
-- discarded. That check runs inside the walk, so the jobs it passes over do not use up the walk's length: a
-- claim looks past a long run of jobs held back by their keys to the first job of each key.
--
-- Two jobs of one key are never both claimed: within a claim the later one sees the earlier one waiting; across
-- claims the lock orders them, and each claim's statements see the claims committed before it. A job inserted
-- by a transaction that commits after a job of its key with a higher id started waits until that one has
-- ended (the running check), and then runs before the later jobs of its key.
create function claim_flow_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text,
                                lease_ms bigint, queue_limit int, partition_limit int, key_source text,
                                key_path text[], ordered boolean, discarded_blocks boolean)
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
begin
    perform pg_advisory_xact_lock(x'70676A71'::int, hashtext(current_schema() || ':' || claim_queue));
    if exists (select 1 from queues q where q.name = claim_queue and q.paused) then
        return;
    end if;
    select least(claim_limit, coalesce(queue_limit - count(*), claim_limit)) into free
    from jobs r where r.state = 'running' and r.queue = claim_queue and r.flow_partition is not null;
    if free <= 0 then
        return;
    end if;
    select array(
        select ranked.id from (
            select c.id, c.priority, c.run_at,
                   coalesce(r.running, 0) + row_number() over (partition by c.part
                                                               order by c.priority, c.run_at, c.id) as nth
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
                  limit case when partition_limit is null then free else greatest(free * 20, 1000) end) c
            left join (select r.flow_partition, count(*) as running from jobs r
                       where r.state = 'running' and r.queue = claim_queue and r.flow_partition is not null
                       group by r.flow_partition) r on r.flow_partition = c.part
        ) ranked
        where partition_limit is null or ranked.nth <= partition_limit
        order by ranked.priority, ranked.run_at, ranked.id
        limit free) into chosen;
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

drop function claim_limited_jobs(text, text[], int, text, bigint, int, int, text, text[]);
