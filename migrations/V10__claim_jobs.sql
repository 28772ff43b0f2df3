-- pgjobs schema, version 10: the whole claim in one function and one statement.
--
-- V8's claim_candidates returned the ids of the jobs it had locked, and the claim's UPDATE looked each of them up
-- again through the primary key: about half of the pages a claim touched (EXPLAIN ANALYZE during a drain: 408 of
-- 815 for a claim of 54 jobs). Here the choice of jobs returns their row addresses (ctid) and the UPDATE in the
-- same statement fetches them directly. A ctid names the row version the choice locked; nothing else can update
-- that row until the claim commits, so the address stays valid.
--
-- One statement also means one snapshot. The ids used to come from a function that took a newer snapshot than
-- the UPDATE around it, so a job committed in between was locked but not claimed (it stayed available for the
-- next claim). A row that was changed after this statement's snapshot and that the choice still locked (its
-- newest version, rechecked by EvalPlanQual) is invisible to the UPDATE and stays as it is, unclaimed.
--
-- A claim can start after a given position in the runnable index (priority, run_at, id) instead of at its
-- head. Jobs leave that index only when a vacuum removes their entries, so its head holds every job claimed
-- since the last vacuum (on a big table, a twentieth of the table: see JobsVacuum), and a claim from the head
-- walks them all. A node working through a backlog resumes where its previous claim ended; it still claims
-- from the head regularly, for jobs that sort before that position (a higher priority, a job due again, a
-- transaction that committed late). Without a position (nulls) the claim starts at the head.
--
-- The planner settings are V8's, for the reasons given there: the runnable index is walked in order and the
-- walk stops after the batch, whatever the statistics say.
create function claim_jobs(claim_queue text, claim_kinds text[], claim_limit int, claim_node text, lease_ms bigint,
                           after_priority smallint, after_run_at timestamptz, after_id bigint)
returns table (id bigint, kind text, queue text, attempt int, max_attempts int, args text, metadata text,
               waited_ms bigint, priority smallint, run_at timestamptz)
language sql
volatile
set enable_bitmapscan = off
set enable_seqscan = off
set enable_sort = off
set search_path from current
as $$
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
              greatest(0, extract(epoch from now() - j.run_at) * 1000)::bigint, j.priority, j.run_at
$$;

drop function claim_candidates(text, text[], int);
