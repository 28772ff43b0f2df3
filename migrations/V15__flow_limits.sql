-- pgjobs schema, version 15: cluster-wide concurrency limits, per queue and per partition of a queue
-- (docs/flow-control.md). Additive only: nodes of the previous version keep inserting and claiming as before.
--
-- A job's partition is the key the request gave (partition_key) or else the one its queue's configuration
-- takes from the args or the metadata; jobs without one share the partition ''. The limited claim writes the
-- partition it counted the job in to flow_partition, and counting a queue's running jobs per partition is what
-- enforces the limits: nothing else has to be released when a job ends, and a crashed node's jobs give their
-- slots back the moment the rescuer moves them out of 'running'.
alter table jobs add column partition_key text check (partition_key <> '' and length(partition_key) <= 500);
alter table jobs add column flow_partition text;

-- The running jobs of limited queues, counted by every limited claim. Jobs of other queues never have a
-- flow_partition, so they are never in it: their claims and completions do not pay for it (state changes are
-- never HOT anyway, see V4).
create index jobs_flow_running on jobs (queue, flow_partition) where state = 'running' and flow_partition is not null;

-- The partition a job counts in, for a queue that takes keys from key_source ('args', 'metadata' or null: only
-- the request's own key) at key_path. One definition for the choice and for what the claim writes.
create function flow_partition_of(partition_key text, args jsonb, metadata jsonb, key_source text, key_path text[])
returns text
language sql
immutable
as $$
    select coalesce(partition_key,
                    case key_source when 'args' then args #>> key_path when 'metadata' then metadata #>> key_path end,
                    '')
$$;

-- The claim of a limited queue: at most queue_limit of its jobs running across the cluster (null: no such
-- limit) and at most partition_limit per partition (null: none), never more than claim_limit at once.
--
-- Claims of one limited queue run one at a time: each takes a transaction-level advisory lock on the queue
-- (class 0x70676A71, key hashtext(schema:queue)) before it counts, and holds it until it commits. Each statement
-- below takes its snapshot after the lock was granted, so it sees every claim committed before. Completions,
-- rescues and cancellations only ever lower the counts and take no lock here; claims of other queues are never
-- made to wait.
--
-- The choice walks the queue's runnable jobs in claim order, as claim_jobs does (same planner settings, for the
-- same reasons, see V8 and V11), and passes over jobs whose partition is full. It looks at up to 20 times as
-- many jobs as it may take, and at least 1,000, so that a claim stays short while it holds the lock; jobs of
-- free partitions further back wait for the jobs ahead of them to start. The chosen jobs are then locked and
-- marked running by id (SKIP LOCKED, and their state checked again: one cancelled meanwhile is not claimed).
create function claim_limited_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text,
                                   lease_ms bigint, queue_limit int, partition_limit int, key_source text,
                                   key_path text[])
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
