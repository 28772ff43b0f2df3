-- pgjobs schema, version 29: enqueue from SQL (V20, docs/sql-enqueue.md) takes a job's partition key and ordering
-- key (JobRequest.partitionKey and orderingKey, docs/flow-control.md). Additive for callers: every call written
-- for V20 means the same thing.
--
-- The function is replaced, not overloaded: two functions named enqueue whose trailing parameters all have
-- defaults would both match a call such as enqueue('k', '{}'), and PostgreSQL refuses such a call as ambiguous.
-- Dropping the V20 function is safe for the callers it was made for (PL/pgSQL and dynamic SQL look a function up
-- when they run); an object that depends on it by its signature (a view, or a function with a BEGIN ATOMIC body)
-- makes this migration fail with PostgreSQL's "cannot drop function" naming it, before anything changed.
-- Privileges granted or revoked on the V20 function by hand are not carried over.
--
-- Uniqueness (JobRequest.unique) is not among the options: its key is a digest of the args in the Java client's
-- canonical JSON form, which PostgreSQL's jsonb text does not reproduce for every value (numbers such as 1e2 or
-- 1.0, escapes), so a key computed here would not always match the key of the same job enqueued from Java.
drop function enqueue(text, jsonb, text, int, timestamptz, interval, int, text, text[], jsonb);

create function enqueue(kind text,
                        args jsonb default '{}',
                        queue text default 'default',
                        priority int default 5,
                        run_at timestamptz default null,
                        delay interval default null,
                        max_attempts int default 20,
                        idempotency_key text default null,
                        tags text[] default '{}',
                        metadata jsonb default '{}',
                        partition_key text default null,
                        ordering_key text default null)
returns table (id bigint, duplicate boolean)
language plpgsql
volatile
set search_path from current
as $$
#variable_conflict use_column
declare
    due timestamptz;
    new_state text;
    tag text;
    inserted_id bigint;
    existing_id bigint;
begin
    perform enqueue_check_name('kind', enqueue.kind, 200);
    perform enqueue_check_name('queue', enqueue.queue, 100);
    if enqueue.args is null or jsonb_typeof(enqueue.args) not in ('object', 'array') then
        raise exception 'args: must be a JSON object or array, got %', coalesce(jsonb_typeof(enqueue.args), 'null')
            using errcode = '22023';
    end if;
    if octet_length(enqueue.args::text) > 1048576 then
        raise exception 'args: args of kind ''%'' are % bytes of JSON, over the limit of 1048576 bytes',
            enqueue.kind, octet_length(enqueue.args::text) using errcode = '22023';
    end if;
    if enqueue.priority is null or enqueue.priority not between 0 and 9 then
        raise exception 'priority: % is out of range 0..9', coalesce(enqueue.priority::text, 'null')
            using errcode = '22023';
    end if;
    if enqueue.max_attempts is null or enqueue.max_attempts not between 1 and 1000 then
        raise exception 'maxAttempts: % is out of range 1..1000', coalesce(enqueue.max_attempts::text, 'null')
            using errcode = '22023';
    end if;
    if enqueue.run_at is not null and enqueue.delay is not null then
        raise exception 'run_at, delay: give one of them, not both' using errcode = '22023';
    end if;
    if enqueue.delay < interval '0' then
        raise exception 'delay: must not be negative, was %', enqueue.delay using errcode = '22023';
    end if;
    if enqueue.idempotency_key is not null then
        perform enqueue_check_name('idempotencyKey', enqueue.idempotency_key, 500);
    end if;
    if enqueue.tags is null then
        raise exception 'tags: must not be null (pass ''{}'' for none)' using errcode = '22023';
    end if;
    foreach tag in array enqueue.tags loop
        perform enqueue_check_name('tags', tag, 100);
    end loop;
    if enqueue.metadata is null or jsonb_typeof(enqueue.metadata) <> 'object' then
        raise exception 'metadata: must be a JSON object, got %', coalesce(jsonb_typeof(enqueue.metadata), 'null')
            using errcode = '22023';
    end if;
    -- null means none, as in Java; a key that is given is checked as JobRequest checks it
    if enqueue.partition_key is not null then
        perform enqueue_check_name('partitionKey', enqueue.partition_key, 500);
    end if;
    if enqueue.ordering_key is not null then
        perform enqueue_check_name('orderingKey', enqueue.ordering_key, 500);
    end if;

    due := coalesce(enqueue.run_at, now() + coalesce(enqueue.delay, interval '0'));
    new_state := case when due > now() then 'scheduled' else 'available' end;
    -- A key held by a row that retention deletes between the insert and the read is tried again, as in the Java
    -- client; the loop ends because each round either inserts or finds a row.
    loop
        insert into jobs as j (kind, queue, state, priority, run_at, max_attempts, args, idempotency_key, tags,
                               metadata, partition_key, ordering_key)
        values (enqueue.kind, enqueue.queue, new_state, enqueue.priority, due, enqueue.max_attempts, enqueue.args,
                enqueue.idempotency_key, enqueue.tags, enqueue.metadata, enqueue.partition_key, enqueue.ordering_key)
        on conflict (idempotency_key) where idempotency_key is not null do nothing
        returning j.id into inserted_id;
        if inserted_id is not null then
            if new_state = 'available' then
                perform pg_notify('pgjobs_' || current_schema(), 'q:' || enqueue.queue);
            end if;
            return query select inserted_id, false;
            return;
        end if;
        select j.id into existing_id from jobs j where j.idempotency_key = enqueue.idempotency_key;
        if existing_id is not null then
            return query select existing_id, true;
            return;
        end if;
    end loop;
end
$$;

comment on function enqueue(text, jsonb, text, int, timestamptz, interval, int, text, text[], jsonb, text, text) is
    'Enqueues a job with the options and checks of the Java JobClient; returns its id and whether its '
    'idempotency key already existed. See docs/sql-enqueue.md.';
