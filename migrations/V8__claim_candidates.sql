-- pgjobs schema, version 8: the claim's choice of jobs, planned the one way that stays fast.
--
-- A claim wants the first few runnable jobs of a queue in the order of jobs_runnable, and the right plan walks
-- that index in order and stops after them. The planner only picks it when it believes many rows are
-- runnable: with statistics taken while the queue was nearly empty (the usual case right before a burst), it
-- estimates a handful of rows and prefers reading every runnable row through a bitmap scan and sorting them.
-- With a backlog of 200,000 jobs that made each claim take 157 ms instead of about 1 (PostgreSQL 18, the
-- benchmark's steady state), so a queue that fell behind fell further behind. Inside this function bitmap
-- scans, sequential scans and sorts are switched off; SET clauses of a function apply to its own statements
-- only, never to the caller's session. search_path is pinned to this schema for the unqualified names.
create function claim_candidates(claim_queue text, claim_kinds text[], claim_limit int)
returns setof bigint
language sql
volatile
set enable_bitmapscan = off
set enable_seqscan = off
set enable_sort = off
set search_path from current
as $$
    select id from jobs
    where state in ('available', 'scheduled', 'retryable') and queue = claim_queue and run_at <= now()
      and kind = any(claim_kinds)
      and not exists (select 1 from queues q where q.name = claim_queue and q.paused)
    order by priority, run_at, id
    limit claim_limit
    for update skip locked
$$;
