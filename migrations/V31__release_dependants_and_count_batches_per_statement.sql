-- pgjobs schema, version 31: workflow steps release their dependants, and jobs of a batch move its counts, once
-- per statement instead of once per row (docs/workflows.md).
--
-- V25 and V26 did both in row triggers: each step that finished locked and updated each of its dependants' rows,
-- and each job of a batch that finished updated its batch's row. A completion statement that finished the
-- thousands of parents of one fan-in step updated that step's row thousands of times (a new row version each,
-- with entries in every index of jobs), long enough to outlast its statement timeout; the jobs of one batch
-- did the same to the batch's row. Here statement triggers read the statement's rows before and after
-- (transition tables) and update each dependant and each batch once, by the number of its parents or jobs the
-- statement finished: the same counts, in the same transaction as before, whatever the statement (a completion
-- batch, the rescuer, a cancel, an operator's retry).
--
-- The cost: PostgreSQL keeps a copy of every row any UPDATE of jobs changes for the statement's end (claims and
-- lease renewals included; a transition table cannot be limited to some columns), and calls each function once
-- per statement, where a statement that finished no workflow step or job of a batch stops at its first read.

-- Replacing the triggers waits for the table's lock at most this long: behind a long transaction the migration
-- fails (run it again) instead of queueing every writer behind it (docs/migrations.md).
set local lock_timeout = '5s';

drop trigger jobs_release_dependants on jobs;
drop trigger jobs_count_batch_job on jobs;
drop function release_dependants();
drop function count_batch_job();

-- Releases the dependants of the workflow steps the statement finished (entered 'completed', 'discarded' or
-- 'cancelled'). Each discarded or cancelled step of a 'cancel_dependants' workflow first cancels every pending
-- step downstream of it, in id order of the failed steps, naming the failed step in the cancelled ones' last
-- error (as V25 did for each). Then each pending dependant of the steps that count down (completed ones, and any
-- finished step of a 'run_dependants' workflow) loses as many dependencies as it has such parents among them:
-- the dependants are locked in id order (one lock order for every releasing statement: no deadlock among
-- them), then updated once each, re-read if another transaction changed them meanwhile (two nodes finishing
-- parents of one step), so the counts stay exact. A dependant whose count reaches zero becomes available now, and
-- its queue is notified at commit; the waiters of cancelled steps are notified on the results channel (the
-- channels of io.pgjobs.internal.config.Config). The steps cancelled here fire this trigger again, for their own
-- statement, and find no pending dependants left.
create function release_dependants_of_finished_steps() returns trigger
language plpgsql
set search_path from current
as $$
declare
    failed record;
    dependants bigint[];
    parents_done int[];
    sent bigint;
begin
    if not exists (select 1 from finished_now where workflow_id is not null
                                            and state in ('completed', 'discarded', 'cancelled')) then
        return null;
    end if;
    for failed in
        select n.id, n.step_name, n.state
        from finished_now n join finished_before o on o.id = n.id join workflows w on w.id = n.workflow_id
        where n.state in ('discarded', 'cancelled') and o.state is distinct from n.state
          and w.on_failure = 'cancel_dependants'
        order by n.id
    loop
        with recursive downstream(id) as (
            select d.job_id from job_dependencies d join jobs c on c.id = d.job_id
            where d.depends_on = failed.id and c.state = 'pending'
            union
            select d.job_id from downstream s join job_dependencies d on d.depends_on = s.id
            join jobs c on c.id = d.job_id
            where c.state = 'pending'
        ), cancelled as (
            update jobs c
            set state = 'cancelled', finished_at = now(), dependencies_left = null,
                last_error = 'step ''' || failed.step_name || ''' (job ' || failed.id || ') ended ' || failed.state
            from downstream s
            where c.id = s.id and c.state = 'pending'
            returning c.id, c.result_awaited
        )
        select count(pg_notify(left('pgjobs_results_' || tg_table_schema, 63), id::text)) into sent
        from cancelled where result_awaited;
    end loop;

    select array_agg(r.job_id order by r.job_id), array_agg(r.parents order by r.job_id)
    into dependants, parents_done
    from (select d.job_id, count(*)::int as parents
          from finished_now n join finished_before o on o.id = n.id
          join job_dependencies d on d.depends_on = n.id
          where n.workflow_id is not null and n.state in ('completed', 'discarded', 'cancelled')
            and o.state is distinct from n.state
            and (n.state = 'completed'
                 or (select w.on_failure = 'run_dependants' from workflows w where w.id = n.workflow_id))
          group by d.job_id) r;
    if dependants is null then
        return null;
    end if;
    perform 1 from jobs c where c.id = any(dependants) and c.state = 'pending' order by c.id for update;
    with released as (
        update jobs c
        set dependencies_left = greatest(c.dependencies_left - r.parents, 0),
            state = case when c.dependencies_left <= r.parents then 'available' else 'pending' end,
            run_at = case when c.dependencies_left <= r.parents then now() else c.run_at end
        from unnest(dependants, parents_done) as r(id, parents)
        where c.id = r.id and c.state = 'pending'
        returning c.queue, c.state
    )
    select count(pg_notify('pgjobs_' || tg_table_schema, 'q:' || queue)) into sent
    from (select distinct queue from released where state = 'available') q;
    return null;
end
$$;

create trigger jobs_release_dependants_per_statement
    after update on jobs
    referencing old table as finished_before new table as finished_now
    for each statement
    execute function release_dependants_of_finished_steps();

-- Moves the counts of the batches whose jobs the statement moved into or out of (an operator's retry) a finished
-- state, each batch once, then fires the callbacks whose condition now holds (V26's fire_batch_callbacks). The
-- batches' rows are locked in id order first: the count's update and the check that fires a callback are
-- serialized per batch, as with V26's row trigger, and two statements moving jobs of the same batches wait for
-- each other instead of deadlocking.
create function count_batch_jobs() returns trigger
language plpgsql
set search_path from current
as $$
declare
    moved_batches bigint[];
    completed_delta int[];
    discarded_delta int[];
    cancelled_delta int[];
    batch bigint;
begin
    if not exists (select 1 from moved_now where batch_id is not null) then
        return null;
    end if;
    select array_agg(m.batch_id order by m.batch_id), array_agg(m.completed order by m.batch_id),
           array_agg(m.discarded order by m.batch_id), array_agg(m.cancelled order by m.batch_id)
    into moved_batches, completed_delta, discarded_delta, cancelled_delta
    from (select n.batch_id,
                 sum((n.state = 'completed')::int - (o.state = 'completed')::int)::int as completed,
                 sum((n.state = 'discarded')::int - (o.state = 'discarded')::int)::int as discarded,
                 sum((n.state = 'cancelled')::int - (o.state = 'cancelled')::int)::int as cancelled
          from moved_now n join moved_before o on o.id = n.id
          where n.batch_id is not null and o.state is distinct from n.state
            and (n.state in ('completed', 'discarded', 'cancelled')
                 or o.state in ('completed', 'discarded', 'cancelled'))
          group by n.batch_id) m;
    if moved_batches is null then
        return null;
    end if;
    perform 1 from batches where id = any(moved_batches) order by id for update;
    update batches b
    set completed = b.completed + m.completed,
        discarded = b.discarded + m.discarded,
        cancelled = b.cancelled + m.cancelled
    from unnest(moved_batches, completed_delta, discarded_delta, cancelled_delta)
         as m(id, completed, discarded, cancelled)
    where b.id = m.id;
    foreach batch in array moved_batches loop
        perform fire_batch_callbacks(batch, 'pgjobs_' || tg_table_schema);
    end loop;
    return null;
end
$$;

create trigger jobs_count_batch_jobs_per_statement
    after update on jobs
    referencing old table as moved_before new table as moved_now
    for each statement
    execute function count_batch_jobs();
