-- pgjobs schema, version 39: the running jobs of queues with flow control are counted in a table, kept by
-- triggers on jobs, instead of by walking the partial index jobs_flow_running at every claim
-- (docs/flow-control.md, "How it is implemented"; the figures: docs/performance.md, "Flow control").
--
-- V15 chose counting so that nothing has to be released when a job ends. But jobs_flow_running keeps an entry
-- for every job of the queue that ran since the last vacuum (a job leaving 'running' leaves its entry behind),
-- so counting a partition's one running job walked dozens of dead entries, and the queue's hundred running jobs
-- hundreds; on a durable PostgreSQL 15 those probes were most of the flow claims' time.
--
-- What is counted is what jobs_flow_running holds: jobs in state 'running' with a flow_partition, per queue and
-- partition, as two tallies that only grow (jobs that entered 'running' there, jobs that left it), whose
-- difference is the count. They move with every statement that changes such a job, whoever sends it: a claim
-- (any version of claim_flow_jobs, and the ordinary claim of a job that kept its flow_partition from an earlier
-- flow claim), a completion, a put-back, the rescuer, an operator's retry, cancel or delete, a node of the
-- previous release, or SQL by hand. So nothing outside the database has to remember to release a slot:
--   * an UPDATE of jobs: a statement trigger reads the statement's rows before and after (the transition tables
--     V31's triggers make PostgreSQL keep for every UPDATE of jobs anyway) and adds what the statement moved into
--     'running' per queue and partition to that partition's entered tally, or what it moved out to its left one,
--     the rows locked in key order, so two statements never wait on each other in a cycle. A statement that moved no flow-controlled
--     job stops at its first two reads (plain jobs have no flow_partition);
--   * an INSERT or DELETE of a running flow-controlled job (tests and operators; nothing in pgjobs inserts one
--     running, and retention deletes only finished jobs): row triggers whose WHEN clause admits only those rows,
--     so every other insert or delete pays one check;
--   * TRUNCATE of jobs: the tallies are emptied with it.
-- A count is never read below zero (only a tally that missed a job's entry could make it so, and a count too low
-- must not be lowered further by reading it as negative).
--
-- The claim reads the counts instead of jobs_flow_running: the queue's (the sum of its partitions' rows) for a
-- queue limit, one row per partition for a partition limit, each in a statement whose snapshot is taken after the
-- queue's advisory lock was granted, as before. Claims of a queue are serialized by that lock, so every count a
-- claim reads includes every claim committed before it; a completion not yet committed still counts its jobs as
-- running (the claim errs on the safe side, as before). Its own update moves the counts through the same trigger.
--
-- Rolling deploys: nodes of the previous release call claim_flow_jobs by the same names and arguments, which is
-- replaced here, so their claims read and move these counts too; their completions, put-backs, rescues and
-- operators' actions are UPDATEs and DELETEs of jobs, which the triggers count. A claim of theirs that was running
-- while this migration committed (its function began with V35's body) marks its jobs running after the trigger
-- exists (its UPDATE waits for this migration's lock on jobs), so they are counted as well. The counts start from
-- the running jobs as this migration sees them, with its lock on jobs held: no UPDATE, INSERT or DELETE of jobs
-- can be in progress meanwhile, and every one after it fires the triggers.
--
-- jobs_flow_running stays (expand-only: the previous release's operator view reads it); the claims keep writing
-- flow_partition, which it and the dashboard's busiest partitions use.

-- Creating the triggers takes a lock on jobs that waits for its writers and stops them while held; with this
-- timeout the migration gives up (and is run again) rather than queueing every writer behind a long transaction.
set local lock_timeout = '5s';

-- Per queue and partition that ever had a running flow-controlled job, two tallies: how many jobs ever entered
-- 'running' there (entered) and how many ever left it (not entered). Claims only ever add to the first and
-- completions, put-backs and rescues only to the second, so a claim never waits for a completion to commit (nor
-- a completion for a claim), as it would on one row of both. The rows are updated in place (HOT: no index entry
-- per change, which is the trouble with jobs_flow_running) and never deleted but by TRUNCATE of jobs.
create table flow_running_tallies (
    queue      text    not null,
    partition  text    not null,
    entered    boolean not null,
    jobs       bigint  not null,
    primary key (queue, partition, entered)
);

-- How many jobs run now per queue and partition: entered less left, never below zero (see below). What the
-- claim reads, and what an operator can look at.
create view flow_running as
select t.queue, t.partition, greatest(0, sum(case when t.entered then t.jobs else -t.jobs end))::bigint as running
from flow_running_tallies t
group by t.queue, t.partition;

-- Adds what an UPDATE moved into 'running' with a flow_partition, per queue and partition, to the partition's
-- entered tally, or what it moved out to its left one: the jobs the statement's rows after count there less those
-- its rows before count (a job that stays running, as in a lease renewal, counts in both and moves nothing), one
-- row at a time in key order. Counting both sides instead of joining them by job keeps it one pass over each:
-- a join of the two transition tables was planned as a nested loop (PostgreSQL estimates them at one row) and
-- cost a claim or a completion of 100 jobs more than the rest of its trigger.
create function count_flow_running_moves() returns trigger
language plpgsql
set search_path from current
as $$
begin
    if not exists (select 1 from flow_moved_now n where n.state = 'running' and n.flow_partition is not null)
       and not exists (select 1 from flow_moved_before b where b.state = 'running' and b.flow_partition is not null)
    then
        return null;
    end if;
    insert into flow_running_tallies as t (queue, partition, entered, jobs)
    select m.queue, m.flow_partition, m.moved > 0, abs(m.moved)
    from (select c.queue, c.flow_partition, sum(c.delta) as moved
          from (select n.queue, n.flow_partition, 1 as delta from flow_moved_now n
                where n.state = 'running' and n.flow_partition is not null
                union all
                select b.queue, b.flow_partition, -1 from flow_moved_before b
                where b.state = 'running' and b.flow_partition is not null) c
          group by c.queue, c.flow_partition) m
    where m.moved <> 0
    order by m.queue, m.flow_partition, m.moved > 0
    on conflict (queue, partition, entered) do update set jobs = t.jobs + excluded.jobs;
    return null;
end
$$;

create trigger jobs_flow_running_moved
    after update on jobs
    referencing old table as flow_moved_before new table as flow_moved_now
    for each statement
    execute function count_flow_running_moves();

-- Tallies a running flow-controlled job inserted as entered, one deleted as left.
create function count_flow_running_row() returns trigger
language plpgsql
set search_path from current
as $$
begin
    if tg_op = 'INSERT' then
        insert into flow_running_tallies as t (queue, partition, entered, jobs)
        values (new.queue, new.flow_partition, true, 1)
        on conflict (queue, partition, entered) do update set jobs = t.jobs + 1;
    else
        insert into flow_running_tallies as t (queue, partition, entered, jobs)
        values (old.queue, old.flow_partition, false, 1)
        on conflict (queue, partition, entered) do update set jobs = t.jobs + 1;
    end if;
    return null;
end
$$;

create trigger jobs_flow_running_inserted
    after insert on jobs
    for each row when (new.state = 'running' and new.flow_partition is not null)
    execute function count_flow_running_row();

create trigger jobs_flow_running_deleted
    after delete on jobs
    for each row when (old.state = 'running' and old.flow_partition is not null)
    execute function count_flow_running_row();

create function forget_flow_running() returns trigger
language plpgsql
set search_path from current
as $$
begin
    delete from flow_running_tallies;
    return null;
end
$$;

create trigger jobs_flow_running_truncated
    after truncate on jobs
    for each statement
    execute function forget_flow_running();

-- The jobs running now, as entered, taken under the lock the triggers above took on jobs.
insert into flow_running_tallies (queue, partition, entered, jobs)
select j.queue, j.flow_partition, true, count(*)
from jobs j
where j.state = 'running' and j.flow_partition is not null
group by j.queue, j.flow_partition;

-- V35's claim_flow_jobs (same arguments, same result, same walk and choice), reading the counts above instead of
-- counting the running jobs through jobs_flow_running: the queue's in one statement, as before; a partition's in
-- the walk's own query (each job read comes with its partition's count, read from its two tallies by the
-- table's key within the query, where V35 ran one statement per job; a join to the view flow_running was
-- planned as a read of every partition's tallies per claim). V35's wrapper without circuit_keys calls it,
-- unchanged.
create or replace function claim_flow_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text,
                                           lease_ms bigint, queue_limit int, partition_limit int, key_source text,
                                           key_path text[], ordered boolean, discarded_blocks boolean,
                                           rate_interval_ms double precision, rate_burst int, rate_per_partition boolean,
                                           circuit_keys jsonb)
returns table (id bigint, kind text, queue text, attempt int, max_attempts int, args text, metadata text,
               waited_ms bigint, priority smallint, run_at timestamptz, probe_partition text)
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
    probe_ids bigint[] := '{}';
    probe_parts text[] := '{}';
    candidate record;
    circuit record;
    taken int;
    allowance int;
    t timestamptz := now();
    tolerance_ms double precision := (coalesce(rate_burst, 1) - 1) * rate_interval_ms;
begin
    perform pg_advisory_xact_lock(x'70676A71'::int, hashtext(current_schema() || ':' || claim_queue));
    if exists (select 1 from queues q where q.name = claim_queue and q.paused) then
        return;
    end if;
    if queue_limit is not null then
        select least(claim_limit, queue_limit - coalesce(sum(f.running), 0)) into free
        from flow_running f where f.queue = claim_queue;
    end if;
    if rate_interval_ms is not null and not rate_per_partition then
        select least(free, rate_allowance(rl.tat, t, rate_interval_ms, tolerance_ms, rate_burst)) into free
        from (select max(l.tat) as tat from rate_limits l where l.queue = claim_queue and l.partition = '') rl;
    end if;
    if free <= 0 then
        return;
    end if;
    for candidate in
        select c.id, c.kind, p.part,
               case when partition_limit is not null
                    then (select greatest(0, coalesce(sum(case when f.entered then f.jobs else -f.jobs end), 0))
                          from flow_running_tallies f where f.queue = claim_queue and f.partition = p.part)
               end as running,
               case when circuit_keys ? c.kind
                    then flow_partition_of(c.partition_key, c.args, c.metadata, circuit_keys -> c.kind ->> 'source',
                                           array(select jsonb_array_elements_text(circuit_keys -> c.kind -> 'path')))
               end as circuit_part
        from jobs c
        cross join lateral (select flow_partition_of(c.partition_key, c.args, c.metadata, key_source, key_path) as part) p
        where c.state in ('available', 'scheduled', 'retryable') and c.queue = claim_queue
          and c.run_at <= now() and c.kind = any(claim_kinds)
          and (not ordered or c.ordering_key is null or not exists (
              select 1 from jobs o
              where o.queue = claim_queue and o.ordering_key = c.ordering_key and o.id <> c.id
                and o.state in ('scheduled', 'available', 'running', 'retryable', 'discarded')
                and (o.state = 'running'
                     or (o.id < c.id and (o.state <> 'discarded' or discarded_blocks)))))
        order by c.priority, c.run_at, c.id
        limit case when per_partition or circuit_keys is not null then greatest(free * 20, 1000) else free end
    loop
        if per_partition then
            taken := cardinality(array_positions(chosen_parts, candidate.part));
            if partition_limit is not null then
                continue when candidate.running + taken >= partition_limit;
            end if;
            if rate_per_partition then
                select rate_allowance(max(l.tat), t, rate_interval_ms, tolerance_ms, rate_burst) into allowance
                from rate_limits l where l.queue = claim_queue and l.partition = candidate.part;
                continue when taken >= allowance;
            end if;
        end if;
        if candidate.circuit_part is not null then
            select pc.state into circuit from partition_circuits pc
            where pc.kind = candidate.kind and pc.partition = candidate.circuit_part;
            if found and circuit.state <> 'closed' then
                perform 1 from partition_circuits pc
                where pc.kind = candidate.kind and pc.partition = candidate.circuit_part
                  and ((pc.state = 'open' and pc.retry_at <= now())
                       or (pc.state = 'half_open' and pc.updated_at < now() - lease_ms * interval '1 millisecond'
                           and not exists (select 1 from jobs j where j.id = pc.probe_job_id and j.state = 'running'))
                       or (pc.state = 'half_open' and pc.probe_job_id <> all(probe_ids) -- not chosen by this claim
                           and exists (select 1 from jobs j where j.id = pc.probe_job_id and j.state = 'available')))
                for update skip locked;
                continue when not found;
                update partition_circuits pc set state = 'half_open', probe_job_id = candidate.id, updated_at = now()
                where pc.kind = candidate.kind and pc.partition = candidate.circuit_part;
                probe_ids := probe_ids || candidate.id;
                probe_parts := probe_parts || candidate.circuit_part;
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
              greatest(0, extract(epoch from now() - j.run_at) * 1000)::bigint, j.priority, j.run_at,
              probe_parts[array_position(probe_ids, j.id)];
    if cardinality(probe_ids) > 0 then
        -- a probe chosen and then not claimed: its circuit is due again at once
        update partition_circuits pc set state = 'open', probe_job_id = null, updated_at = now()
        from unnest(probe_ids) p(id)
        where pc.probe_job_id = p.id and pc.state = 'half_open'
          and not exists (select 1 from jobs j where j.id = p.id and j.state = 'running' and j.node_id = claim_node);
    end if;
end
$$;
