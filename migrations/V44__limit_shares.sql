-- pgjobs schema, version 44: a node's leased share of a queue-wide concurrency limit (docs/flow-control.md,
-- "Shares of a queue limit").
--
-- A queue whose only flow control is a queue-wide limit was claimed by claim_flow_jobs, under the queue's advisory
-- lock, each claim counting the queue's running jobs: every slot went through a durable claim and a durable
-- completion one after the other, so such a queue ran at a fifth of the speed of an unlimited one. From here a node
-- of this version leases a share of the limit instead (a row of limit_shares: so many slots until a database
-- time), claims that queue as an unlimited one (the ordinary claim, ahead into its buffer) and starts a job only
-- while fewer than its share of the queue's jobs execute on it and its share is valid. Shares are granted by
-- lease_limit_share under the same advisory lock as the flow claims, so that the queue's unexpired shares and the
-- jobs counted running by the flow claims' tallies never sum to more than the limit.
--
-- Rolling deploys: nodes of the previous release (V42) still claim such a queue through claim_flow_jobs, whose
-- jobs the tallies count (a node of this version claims it without a flow_partition, so its jobs are not in
-- them). This migration replaces claim_flow_jobs (same arguments, same result, same walk) so that its room under a
-- queue limit is the limit less the running jobs it counts and less the queue's unexpired shares; a share is
-- granted only out of the limit less the same two. Both read under the queue's advisory lock, and a claim's
-- tallies commit before its lock is released, so each sees what the other granted or claimed before it: the jobs
-- executing (old nodes' running jobs, new nodes' starts within their shares) never exceed the limit.

create table limit_shares (
    queue      text        not null,
    node_id    text        not null,
    -- how many of the queue's jobs the node may execute at once
    slots      int         not null check (slots >= 0),
    -- how many it asked for: a node with fewer slots than it wants (and than its fair part) makes the others give
    -- back their excess
    wanted     int         not null check (wanted >= 0),
    granted_at timestamptz not null,
    expires_at timestamptz not null,
    primary key (queue, node_id)
);

-- Leases node share_node's share of queue share_queue's limit of queue_limit jobs for lease_ms from now (database
-- time), replacing its earlier one, under the queue's advisory lock (that of claim_flow_jobs). The node asks for
-- wanted slots and must keep keep (the jobs it executes now, which it cannot give back). Expired shares are
-- deleted. The live nodes that want slots divide the limit: each one's fair part is the limit divided among them
-- (one more to the first in node order while a remainder is left). A node gets what it wants out of what is free
-- (the limit less the flow claims' running jobs and the others' shares) while no other node has less than the
-- least of what it wants and its fair part; otherwise at most the least of its fair part and what it wants (giving
-- back its excess), but never less than keep while that is free. A share of no slots that wants none is deleted
-- (how a node that stops releases it). Returns the slots granted, the node's fair part, whether another node waits
-- for slots, and how many milliseconds the share lasts.
create function lease_limit_share(share_queue text, share_node text, queue_limit int, wanted int, keep int,
                                  lease_ms bigint)
returns table (slots int, fair int, others_waiting boolean, lasts_ms bigint)
language plpgsql
volatile
set search_path from current
as $$
#variable_conflict use_column
declare
    flow_claimed int;
    others_hold int;
    free int;
    my_fair int;
    waiting boolean;
    target int;
    granted int;
begin
    perform pg_advisory_xact_lock(x'70676A71'::int, hashtext(current_schema() || ':' || share_queue));
    delete from limit_shares s where s.queue = share_queue and s.expires_at <= now();
    select coalesce(sum(f.running), 0) into flow_claimed from flow_running f where f.queue = share_queue;
    select coalesce(sum(s.slots), 0) into others_hold
    from limit_shares s where s.queue = share_queue and s.node_id <> share_node;
    free := greatest(0, queue_limit - flow_claimed - others_hold);
    with wanting as (
        select s.node_id, s.slots, s.wanted from limit_shares s
        where s.queue = share_queue and s.node_id <> share_node and s.wanted > 0
        union all
        select share_node, 0, wanted where wanted > 0
    ), ranked as (
        select w.node_id, w.slots, w.wanted,
               queue_limit / count(*) over ()
                   + case when row_number() over (order by w.node_id) <= queue_limit % count(*) over () then 1 else 0 end
                   as fair_part
        from wanting w
    )
    select coalesce(max(r.fair_part) filter (where r.node_id = share_node), 0),
           coalesce(bool_or(r.slots < least(r.wanted, r.fair_part)) filter (where r.node_id <> share_node), false)
    into my_fair, waiting
    from ranked r;
    target := case when waiting then least(wanted, my_fair) else wanted end;
    granted := greatest(least(target, free), least(keep, free));
    if granted = 0 and wanted = 0 then
        delete from limit_shares s where s.queue = share_queue and s.node_id = share_node;
    else
        insert into limit_shares as s (queue, node_id, slots, wanted, granted_at, expires_at)
        values (share_queue, share_node, granted, wanted, now(), now() + lease_ms * interval '1 millisecond')
        on conflict (queue, node_id) do update
        set slots = excluded.slots, wanted = excluded.wanted, granted_at = excluded.granted_at,
            expires_at = excluded.expires_at;
    end if;
    return query select granted, my_fair, waiting, lease_ms;
end
$$;

-- V39's claim_flow_jobs, its room under a queue limit also less the queue's unexpired shares (above); the rest
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
        select least(claim_limit, queue_limit - coalesce(sum(f.running), 0)
                                  - (select coalesce(sum(s.slots), 0) from limit_shares s
                                     where s.queue = claim_queue and s.expires_at > now())) into free
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
