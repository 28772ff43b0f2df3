-- pgjobs schema, version 11: V10's claim in PL/pgSQL, so that a session parses and plans it once.
--
-- A SQL function that is not inlined (V10's cannot be: it updates, and it sets planner options) is parsed,
-- analysed and planned again at every call. With pg_stat_statements tracking nested statements on PostgreSQL 15,
-- in the benchmark's steady state a claim of 50 jobs took 1.41 ms, of which planning its statement was 0.22 ms and
-- running it 0.84: the rest, and the planning, were the function's set-up. PL/pgSQL keeps its statement's plan
-- for the session (the plan cache replans when the table's statistics change), and is told to keep a generic
-- plan: left to choose, the plan cache kept planning the statement for its arguments at nearly every call. The
-- plan does not depend on the arguments: with bitmap scans, sequential scans and sorts switched off, the runnable
-- index walked in order is the only way to the first jobs of the queue, so a generic plan is what a custom plan
-- would be.
--
-- The statement, its arguments and its result are V10's; see V10 for why it is one statement over row addresses
-- and what the position arguments are for.
create or replace function claim_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text,
                                      lease_ms bigint, after_priority smallint, after_run_at timestamptz,
                                      after_id bigint)
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
begin
    return query
    update jobs j
    set state = 'running', attempt = j.attempt + 1, started_at = now(), node_id = claim_node,
        lease_expires_at = now() + lease_ms * interval '1 millisecond'
    where j.ctid = any(array(
        select c.ctid from jobs c
        where c.state in ('available', 'scheduled', 'retryable') and c.queue = claim_queue and c.run_at <= now()
          and c.kind = any(claim_kinds)
          and (c.priority, c.run_at, c.id) > (coalesce(after_priority, -1::smallint),
                                              coalesce(after_run_at, '-infinity'::timestamptz), coalesce(after_id, 0))
          and not exists (select 1 from queues q where q.name = claim_queue and q.paused)
        order by c.priority, c.run_at, c.id
        limit claim_limit
        for update of c skip locked))
    returning j.id, j.kind, j.queue, j.attempt, j.max_attempts, j.args::text, j.metadata::text,
              greatest(0, extract(epoch from now() - j.run_at) * 1000)::bigint, j.priority, j.run_at;
end
$$;
