-- pgjobs schema, version 28: sagas, workflows whose completed steps are undone by compensating jobs when a step
-- fails for good (docs/workflows.md#sagas).
--
-- A saga is a workflow (V25) with a state of its own; a step may have a compensation, kept as the job to insert
-- (the JSON of V26's batch callbacks) until it is due. When a step of a saga is discarded or cancelled, the
-- saga starts compensating: once none of its steps is unfinished, the compensations of its completed steps run
-- one at a time, the latest declared step first, each an ordinary job (retried, rescued) that carries the id of
-- the step it undoes. Every move is made by a row trigger in the transaction that finishes the step or the
-- compensation, under the saga's row lock (steps of one saga wait for each other there, never for another
-- saga's), so no process polls and a crash leaves either the whole move or none of it.

-- null for a plain workflow
alter table workflows add column saga_state text
    check (saga_state in ('running', 'compensating', 'compensated', 'compensation_failed', 'completed'));

-- A compensation job: the id of the step it undoes. Null for every other job (adding it rewrites nothing).
alter table jobs add column compensates bigint;

-- The compensation of step step_job_id, as {kind, queue, priority, max_attempts, args, tags, metadata}, and the
-- id of the job it became once due. No foreign keys, as for job_dependencies: retention deletes it with its step.
create table saga_compensations (
    step_job_id  bigint primary key,
    workflow_id  bigint not null,
    request      jsonb  not null,
    job_id       bigint
);
create index saga_compensations_workflow on saga_compensations (workflow_id);

-- Moves saga `saga` to `state` and tells the nodes (`w:<saga>:<state>` on the scheduler's channel, at commit):
-- the leader publishes the SagaStateChanged event and counts the move (docs/workflows.md#sagas).
create function move_saga(saga bigint, state text, channel text) returns void
language plpgsql
set search_path from current
as $$
begin
    update workflows set saga_state = state where id = saga and saga_state <> state;
    if found then
        perform pg_notify(channel, 'w:' || saga || ':' || state);
    end if;
end
$$;

-- Moves saga `saga` (its row locked by the caller) on: nothing while a step is unfinished (it may still complete
-- and need undoing) or a compensation runs; else the compensation of the latest completed step not yet
-- compensated is inserted (its queue notified at commit); none left: the saga is compensated.
create function start_next_compensation(saga bigint, channel text) returns void
language plpgsql
set search_path from current
as $$
declare
    due saga_compensations%rowtype;
    inserted bigint;
begin
    if exists (select 1 from jobs where workflow_id = saga
                                     and state not in ('completed', 'discarded', 'cancelled'))
       or exists (select 1 from saga_compensations c join jobs j on j.id = c.job_id
                  where c.workflow_id = saga and j.state not in ('completed', 'discarded', 'cancelled')) then
        return;
    end if;
    select c.* into due from saga_compensations c join jobs s on s.id = c.step_job_id
    where c.workflow_id = saga and c.job_id is null and s.state = 'completed'
    order by c.step_job_id desc limit 1;
    if not found then
        perform move_saga(saga, 'compensated', channel);
        return;
    end if;
    insert into jobs (kind, queue, priority, max_attempts, args, tags, metadata, compensates)
    values (due.request->>'kind', due.request->>'queue', (due.request->>'priority')::smallint,
            (due.request->>'max_attempts')::int, due.request->'args',
            array(select jsonb_array_elements_text(due.request->'tags')), due.request->'metadata',
            due.step_job_id)
    returning id into inserted;
    update saga_compensations set job_id = inserted where step_job_id = due.step_job_id;
    perform pg_notify(channel, 'q:' || (due.request->>'queue'));
end
$$;

-- A step or a compensation of a saga finished (NEW). Plain workflows stop at the first read: their row does not
-- match, so it is not locked either.
--   a step completed while running: the saga is completed once every step is;
--   a step discarded or cancelled while running: the saga is compensating (V25's trigger, which fires after
--   this one, cancels the steps downstream of it; those already released run to their end);
--   any step finishing while compensating: the compensations may start;
--   a compensation completed: the next one; discarded or cancelled: the saga waits for an operator.
create function advance_saga() returns trigger
language plpgsql
set search_path from current
as $$
declare
    saga bigint := new.workflow_id;
    state_before text;
    channel text := 'pgjobs_' || tg_table_schema;
begin
    if new.compensates is not null then
        select c.workflow_id into saga from saga_compensations c where c.step_job_id = new.compensates;
    end if;
    -- the row lock serializes this saga's moves; the statements after it read what earlier moves committed
    select w.saga_state into state_before from workflows w where w.id = saga and w.saga_state is not null for update;
    if not found then
        return null;
    end if;
    if new.compensates is not null then
        if new.state = 'completed' then
            -- a failed compensation an operator retried (or any retry of its job) completed: compensating again
            if state_before = 'compensation_failed' then
                perform move_saga(saga, 'compensating', channel);
            end if;
            perform start_next_compensation(saga, channel);
        else
            perform move_saga(saga, 'compensation_failed', channel);
        end if;
    elsif state_before = 'running' and new.state = 'completed' then
        if not exists (select 1 from jobs where workflow_id = saga and state <> 'completed') then
            perform move_saga(saga, 'completed', channel);
        end if;
    elsif state_before = 'running' then
        perform move_saga(saga, 'compensating', channel);
        perform start_next_compensation(saga, channel);
    elsif state_before = 'compensating' then
        perform start_next_compensation(saga, channel);
    end if;
    return null;
end
$$;

create trigger jobs_advance_saga
    after update of state on jobs
    for each row
    when ((new.workflow_id is not null or new.compensates is not null)
          and new.state in ('completed', 'discarded', 'cancelled') and old.state is distinct from new.state)
    execute function advance_saga();
