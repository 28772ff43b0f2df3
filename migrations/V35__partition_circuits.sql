-- pgjobs schema, version 35: circuit breakers per partition of a kind (docs/flow-control.md, "Circuit breakers
-- per partition"). Additive only: the per-kind circuits of V15 and everything that uses them stay as they are
-- (nodes of the previous release upsert circuits on its key during a rolling deploy), and the flow claim keeps
-- its signature for them.
--
-- A kind may have its circuit per partition instead of one for the whole kind: the partition is found from the
-- job as for flow control's limits (flow_partition_of: the request's partition_key, else a path of the args or
-- metadata). Its jobs are claimed by claim_flow_jobs, whose walk asks each one's circuit: a partition whose
-- circuit is open is passed over (its jobs spend no attempt), the other partitions of the kind keep running.
-- When an open circuit's cool-down is over, the claim that comes to one of its jobs takes that job as the
-- partition's one probe (half_open), and the probe's outcome closes or reopens that partition's circuit.

-- One row per kind and partition whose circuit recorded an outcome or was set by hand; the columns mean what
-- those of circuits (V15) mean.
create table partition_circuits (
    kind                  text        not null check (kind <> '' and length(kind) <= 200),
    partition             text        not null,
    state                 text        not null default 'closed' check (state in ('closed', 'open', 'half_open')),
    consecutive_failures  int         not null default 0,
    window_started_at     timestamptz not null default now(),
    window_successes      int         not null default 0,
    window_failures       int         not null default 0,
    opened_at             timestamptz,
    retry_at              timestamptz,
    probe_job_id          bigint,
    reason                text,
    updated_at            timestamptz not null default now(),
    primary key (kind, partition)
);

-- The circuits an operator looks at first, and health() counts: those not closed. Closed rows (every partition
-- that ever recorded) are never in it.
create index partition_circuits_not_closed on partition_circuits (kind, state, partition) where state <> 'closed';

-- Records the outcomes of one kind's attempts that one completion batch wrote: job_ids in the order they ended,
-- job_failed true for a failure, false for a success, null for an end that says nothing about the partition's
-- health (snoozed, cancelled, interrupted). Each job's partition is computed here from its row, as the claim
-- computes it, and each partition's outcomes move its circuit under the lock of its row, taken in the order of
-- the partitions (so two batches of one kind never wait on each other in a cycle). The rules are V15's
-- record_circuit_outcomes', per partition. A probe that ended without an outcome puts its circuit back to open,
-- due at once, so the next claim takes another probe instead of the circuit waiting out the probe's grace.
-- Answers the partitions whose state the outcomes changed.
create function record_partition_circuit_outcomes(circuit_kind text, key_source text, key_path text[],
                                                  job_ids bigint[], job_failed boolean[], failure_threshold int,
                                                  rate_threshold double precision, rate_min_attempts int,
                                                  window_ms bigint, cool_down_ms bigint)
returns table (circuit_partition text, old_state text, new_state text, reason text, probe_job_id bigint)
language plpgsql
volatile
set search_path from current
as $$
#variable_conflict use_column
declare
    p record;
    c partition_circuits%rowtype;
    probe int;
begin
    for p in
        select o.part,
               (count(*) filter (where o.failed is false))::int as successes,
               (count(*) filter (where o.failed))::int as failures,
               (count(*) filter (where o.failed and o.n > coalesce(o.last_success, 0)))::int as trailing_failures,
               array_agg(o.id order by o.n) as ids,
               array_agg(o.failed order by o.n) as failed
        from (select e.id, e.failed, e.n, e.part,
                     max(e.n) filter (where e.failed is false) over (partition by e.part) as last_success
              from (select u.id, u.failed, u.n,
                           flow_partition_of(j.partition_key, j.args, j.metadata, key_source, key_path) as part
                    from unnest(job_ids, job_failed) with ordinality u(id, failed, n)
                    join jobs j on j.id = u.id) e) o
        group by o.part
        order by o.part
    loop
        if p.successes + p.failures = 0 then
            -- only ends that say nothing: they count for nothing, but a probe among them is lost
            update partition_circuits pc set state = 'open', probe_job_id = null, updated_at = now()
            where pc.kind = circuit_kind and pc.partition = p.part and pc.state = 'half_open'
              and pc.probe_job_id = any(p.ids);
            continue;
        end if;
        insert into partition_circuits (kind, partition) values (circuit_kind, p.part) on conflict do nothing;
        select * into c from partition_circuits pc where pc.kind = circuit_kind and pc.partition = p.part for update;
        old_state := c.state;
        reason := null;
        if c.state = 'half_open' then
            probe := array_position(p.ids, c.probe_job_id);
            if probe is null then
                -- outcomes of jobs that were running when the circuit opened decide nothing
                new_state := c.state;
            elsif p.failed[probe] is null then
                update partition_circuits pc set state = 'open', probe_job_id = null, updated_at = now()
                where pc.kind = circuit_kind and pc.partition = p.part;
                continue;
            elsif p.failed[probe] then
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
            c.window_successes := c.window_successes + p.successes;
            c.window_failures := c.window_failures + p.failures;
            c.consecutive_failures := case when p.successes > 0 then p.trailing_failures
                                           else c.consecutive_failures + p.trailing_failures end;
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
            update partition_circuits pc
            set state = 'open', opened_at = now(), retry_at = now() + cool_down_ms * interval '1 millisecond',
                probe_job_id = null, reason = record_partition_circuit_outcomes.reason, updated_at = now()
            where pc.kind = circuit_kind and pc.partition = p.part;
        elsif new_state = 'closed' then
            update partition_circuits pc
            set state = 'closed',
                consecutive_failures = case when old_state = 'closed' then c.consecutive_failures else 0 end,
                window_started_at = case when old_state = 'closed' then c.window_started_at else now() end,
                window_successes = case when old_state = 'closed' then c.window_successes else 0 end,
                window_failures = case when old_state = 'closed' then c.window_failures else 0 end,
                opened_at = null, retry_at = null, probe_job_id = null,
                reason = coalesce(record_partition_circuit_outcomes.reason, pc.reason), updated_at = now()
            where pc.kind = circuit_kind and pc.partition = p.part;
        end if;
        if new_state <> old_state then
            circuit_partition := p.part;
            return next;
        end if;
    end loop;
end
$$;

-- The flow claim with circuits per partition: V30's claim_flow_jobs (same arguments, same walk, same choice)
-- and one more, circuit_keys: for each kind with a circuit per partition, where its partition is found
-- ({"<kind>": {"source": "args" | "metadata" | null, "path": [...]}}; null: no such kind). Each job of such a kind
-- that fits under the queue's limits is then asked about its partition's circuit (a probe of the table's key):
-- closed or never recorded, it is taken; open and not due, or half-open with its probe running, it is passed
-- over; open and due (or half-open whose probe is no longer running and was taken more than lease_ms ago: its
-- node died; or whose probe is available again: its node put it back unstarted, and no outcome will come, since
-- a probe that ran ends retryable, scheduled, cancelled or finished), this job becomes the partition's probe: the row is
-- locked (SKIP LOCKED: a claim never waits on a circuit, it passes over one that a recorder or another claim
-- holds) and moved to half_open naming it, in the claim's transaction, so the probe is taken if and only if the
-- job is claimed. A probe chosen but not claimed after all (cancelled, or locked by another statement) puts its
-- circuit back to open, due at once. The result has one more column: the partition whose probe the job is
-- (null for a job that is not a probe).
--
-- The walk looks at up to 20 times as many jobs as it may take (at least 1,000), as with partition limits,
-- since the jobs of open partitions are passed over.
create function claim_flow_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text,
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
        select c.id, c.kind, flow_partition_of(c.partition_key, c.args, c.metadata, key_source, key_path) as part,
               case when circuit_keys ? c.kind
                    then flow_partition_of(c.partition_key, c.args, c.metadata, circuit_keys -> c.kind ->> 'source',
                                           array(select jsonb_array_elements_text(circuit_keys -> c.kind -> 'path')))
               end as circuit_part
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
        limit case when per_partition or circuit_keys is not null then greatest(free * 20, 1000) else free end
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

-- V30's claim, for nodes of the previous release during a rolling deploy (and any caller without circuits per
-- partition): the claim above without them, so that there is one walk.
create or replace function claim_flow_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text,
                                           lease_ms bigint, queue_limit int, partition_limit int, key_source text,
                                           key_path text[], ordered boolean, discarded_blocks boolean,
                                           rate_interval_ms double precision, rate_burst int,
                                           rate_per_partition boolean)
returns table (id bigint, kind text, queue text, attempt int, max_attempts int, args text, metadata text,
               waited_ms bigint, priority smallint, run_at timestamptz)
language sql
volatile
set search_path from current
as $$
    select c.id, c.kind, c.queue, c.attempt, c.max_attempts, c.args, c.metadata, c.waited_ms, c.priority, c.run_at
    from claim_flow_jobs(claim_queue, claim_kinds, claim_limit, claim_node, lease_ms, queue_limit, partition_limit,
                         key_source, key_path, ordered, discarded_blocks, rate_interval_ms, rate_burst,
                         rate_per_partition, null::jsonb) c
$$;
