-- pgjobs schema, version 15: flow control (docs/flow-control.md): cluster-wide concurrency limits, per queue and
-- per partition of a queue; ordered keys; rate limits; circuit breakers per kind. Additive only: nodes of the
-- previous version keep inserting and claiming as before.
--
-- A job's partition is the key the request gave (partition_key) or else the one its queue's configuration
-- takes from the args or the metadata; jobs without one share the partition ''. The flow claim writes the
-- partition it counted the job in to flow_partition, and counting a queue's running jobs per partition is what
-- enforces the limits: nothing else has to be released when a job ends, and a crashed node's jobs give their
-- slots back the moment the rescuer moves them out of 'running'.
--
-- Ordered keys: jobs of one queue with the same ordering_key run one at a time, in enqueue order (by id),
-- across the cluster.
alter table jobs add column partition_key text check (partition_key <> '' and length(partition_key) <= 500);
alter table jobs add column flow_partition text;
alter table jobs add column ordering_key text check (ordering_key <> '' and length(ordering_key) <= 500);

-- The running jobs of queues with flow control, counted by every flow claim. Jobs of other queues never have a
-- flow_partition, so they are never in it: their claims and completions do not pay for it (state changes are
-- never HOT anyway, see V4).
create index jobs_flow_running on jobs (queue, flow_partition) where state = 'running' and flow_partition is not null;

-- The jobs that can hold a key: every unfinished one, and the discarded ones (a queue may choose that a
-- discarded job keeps its key blocked). The claim asks it, for a job, whether another job of its key is running
-- or comes first and is still unfinished. Jobs without a key are never in it.
create index jobs_ordering on jobs (queue, ordering_key, id)
    where ordering_key is not null and state in ('scheduled', 'available', 'running', 'retryable', 'discarded');

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

-- A rate limit lets a queue (or each partition of it) start at most one job per interval, with a burst of up to
-- rate_burst at once after a quiet spell: the generic cell rate algorithm, whose whole state is one time per
-- queue and partition, the theoretical arrival time (tat) of the next job. A job may start at t when
-- tat - (burst - 1) * interval <= t; starting n jobs moves tat to max(tat, t) + n * interval. Over any span of
-- time d, at most burst + d / interval jobs start. The rows are read and written only by claims of their queue,
-- which hold the queue's advisory lock (see claim_flow_jobs below), so nothing else locks them.
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

-- The claim of a queue with flow control: at most queue_limit of its jobs running across the cluster (null: no
-- such limit) and at most partition_limit per partition (null: none), never more than claim_limit at once; with
-- ordered set, only the first job of each ordering key; under a rate limit, only as many as it allows.
--
-- Claims of one queue with flow control run one at a time: each takes a transaction-level advisory lock on the
-- queue (class 0x70676A71, key hashtext(schema:queue)) before it counts, and holds it until it commits. Each
-- statement below takes its snapshot after the lock was granted, so it sees every claim committed before.
-- Completions, rescues and cancellations only ever lower the counts and take no lock here; claims of other
-- queues are never made to wait.
--
-- The choice walks the queue's runnable jobs in claim order, as claim_jobs does (same planner settings, for the
-- same reasons, see V8 and V11), and passes over jobs whose partition is full. It looks at up to 20 times as
-- many jobs as it may take, and at least 1,000, so that a claim stays short while it holds the lock; jobs of
-- free partitions further back wait for the jobs ahead of them to start. The chosen jobs are then locked and
-- marked running by id (SKIP LOCKED, and their state checked again: one cancelled meanwhile is not claimed).
--
-- Ordered keys (ordered): a job with an ordering key is taken only when no other job of its queue and key is
-- running and none with a lower id is waiting, retrying, snoozed (scheduled) or, when discarded_blocks,
-- discarded. That check runs inside the walk, so the jobs it passes over do not use up the walk's length: a
-- claim looks past a long run of jobs held back by their keys to the first job of each key. Two jobs of one key
-- are never both claimed: within a claim the later one sees the earlier one waiting; across claims the lock
-- orders them, and each claim's statements see the claims committed before it. A job inserted by a transaction
-- that commits after a job of its key with a higher id started waits until that one has ended (the running
-- check), and then runs before the later jobs of its key.
--
-- Rate limits: rate_interval_ms (null: none) is the interval between starts, rate_burst how many may start at
-- once, rate_per_partition whether each partition (else the queue) has its own. The queue's own rate caps how
-- many the claim takes; a partition's caps how many of that partition it takes (its jobs are then passed over in
-- the walk, as those of a partition at its limit).
--
-- Without JIT: the claim switches sorts off to keep its walk of the runnable index in order, but its window over
-- the partitions needs a sort anyway; on PostgreSQL before 18 that sort carries the "disabled" cost, the
-- statement's estimate crosses jit_above_cost, and every claim was JIT-compiled (PostgreSQL 15 with jit on: 1.4
-- to 1.9 s a claim of 3 jobs out of 300, 0.8 ms with jit off). A claim never runs long enough for compiling to pay.
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
set jit = off
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

-- Circuit breakers per kind: one row per kind that has a circuit breaker on some node, created by its first
-- recorded outcome. A closed circuit counts its kind's attempts: consecutive failures, and successes and failures
-- in the current window (a fixed window that starts again once it is over). An open one keeps its kind's jobs
-- from being claimed until retry_at; then one node takes exactly one probe job (half_open, probe_job_id) by
-- locking this row, and the probe's outcome closes or opens it again.
create table circuits (
    kind                  text        primary key check (kind <> '' and length(kind) <= 200),
    state                 text        not null default 'closed' check (state in ('closed', 'open', 'half_open')),
    consecutive_failures  int         not null default 0,
    window_started_at     timestamptz not null default now(),
    window_successes      int         not null default 0,
    window_failures       int         not null default 0,
    opened_at             timestamptz,
    retry_at              timestamptz,
    probe_job_id          bigint,
    reason                text,
    updated_at            timestamptz not null default now()
);


-- Records the outcomes of a kind's attempts that one completion batch wrote (in the order they ended: failures
-- after the last success are trailing_failures; probes are the probe jobs among them and whether each failed),
-- under the lock of the kind's row, and moves the circuit on. Thresholds are the calling node's settings: a
-- null one is not used. Answers the state before and after, and why it changed.
create function record_circuit_outcomes(circuit_kind text, successes int, failures int, trailing_failures int,
                                        probe_ids bigint[], probe_failed boolean[], failure_threshold int,
                                        rate_threshold double precision, rate_min_attempts int, window_ms bigint,
                                        cool_down_ms bigint)
returns table (old_state text, new_state text, reason text, probe_job_id bigint)
language plpgsql
volatile
set search_path from current
as $$
#variable_conflict use_column
declare
    c circuits%rowtype;
    probe int;
begin
    insert into circuits (kind) values (circuit_kind) on conflict (kind) do nothing;
    select * into c from circuits where kind = circuit_kind for update;
    old_state := c.state;
    reason := null;
    if c.state = 'half_open' then
        probe := array_position(probe_ids, c.probe_job_id);
        if probe is null then
            -- outcomes of jobs that were running when the circuit opened decide nothing
            new_state := c.state;
        elsif probe_failed[probe] then
            new_state := 'open';
            reason := 'probe job ' || c.probe_job_id || ' failed';
        else
            new_state := 'closed';
            reason := 'probe job ' || c.probe_job_id || ' succeeded';
        end if;
    elsif c.state = 'open' then
        new_state := c.state;
    else
        if c.window_started_at + window_ms * interval '1 millisecond' <= now() then
            c.window_started_at := now();
            c.window_successes := 0;
            c.window_failures := 0;
        end if;
        c.window_successes := c.window_successes + successes;
        c.window_failures := c.window_failures + failures;
        c.consecutive_failures := case when successes > 0 then trailing_failures
                                       else c.consecutive_failures + trailing_failures end;
        new_state := 'closed';
        if failure_threshold is not null and c.consecutive_failures >= failure_threshold then
            new_state := 'open';
            reason := c.consecutive_failures || ' consecutive failures';
        elsif rate_threshold is not null and c.window_successes + c.window_failures >= rate_min_attempts
              and c.window_failures >= rate_threshold * (c.window_successes + c.window_failures) then
            new_state := 'open';
            reason := c.window_failures || ' failures in ' || (c.window_successes + c.window_failures)
                      || ' attempts since ' || c.window_started_at;
        end if;
    end if;
    probe_job_id := c.probe_job_id;
    if new_state = 'open' and old_state <> 'open' then
        update circuits
        set state = 'open', opened_at = now(), retry_at = now() + cool_down_ms * interval '1 millisecond',
            probe_job_id = null, reason = record_circuit_outcomes.reason, updated_at = now()
        where kind = circuit_kind;
    elsif new_state = 'closed' then
        update circuits
        set state = 'closed', consecutive_failures = case when old_state = 'closed' then c.consecutive_failures else 0 end,
            window_started_at = case when old_state = 'closed' then c.window_started_at else now() end,
            window_successes = case when old_state = 'closed' then c.window_successes else 0 end,
            window_failures = case when old_state = 'closed' then c.window_failures else 0 end,
            opened_at = null, retry_at = null, probe_job_id = null,
            reason = coalesce(record_circuit_outcomes.reason, circuits.reason), updated_at = now()
        where kind = circuit_kind;
    end if;
    return next;
end
$$;
