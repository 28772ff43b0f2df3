-- pgjobs schema, version 15.2: circuit breakers per kind (docs/flow-control.md). Additive only, like V15.
--
-- One row per kind that has a circuit breaker on some node, created by its first recorded outcome. A closed
-- circuit counts its kind's attempts: consecutive failures, and successes and failures in the current window
-- (a fixed window that starts again once it is over). An open one keeps its kind's jobs from being claimed until
-- retry_at; then one node takes exactly one probe job (half_open, probe_job_id) by locking this row, and the
-- probe's outcome closes or opens it again.
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
