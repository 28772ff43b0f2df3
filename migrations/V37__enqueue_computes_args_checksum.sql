-- pgjobs schema, version 37: enqueue() from SQL (V29) stores the args' checksum (V34) itself, computed from the
-- args' text it already prints for the size check, instead of leaving it to V34's trigger. The trigger's WHEN
-- clause skips a row that comes with a checksum, so the PL/pgSQL call per row (which cost more than the hashing:
-- docs/performance.md, "Payload checksums") is made only for rows inserted by other means: a user's own INSERT, or
-- nodes of a version before this one during a rolling deploy. pgjobs' Java routes (the client's statements and
-- COPY, workflows) compute it in their own statements the same way.
--
-- Expand-only (docs/migrations.md): the function is replaced with the same signature and the same behaviour for its
-- callers (its comment and privileges stay); no table is altered.
create or replace function enqueue(kind text,
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
    args_text text;
begin
    perform enqueue_check_name('kind', enqueue.kind, 200);
    perform enqueue_check_name('queue', enqueue.queue, 100);
    if enqueue.args is null or jsonb_typeof(enqueue.args) not in ('object', 'array') then
        raise exception 'args: must be a JSON object or array, got %', coalesce(jsonb_typeof(enqueue.args), 'null')
            using errcode = '22023';
    end if;
    args_text := enqueue.args::text;
    if octet_length(args_text) > 1048576 then
        raise exception 'args: args of kind ''%'' are % bytes of JSON, over the limit of 1048576 bytes',
            enqueue.kind, octet_length(args_text) using errcode = '22023';
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
        insert into jobs as j (kind, queue, state, priority, run_at, max_attempts, args, args_sha256,
                               idempotency_key, tags, metadata, partition_key, ordering_key)
        values (enqueue.kind, enqueue.queue, new_state, enqueue.priority, due, enqueue.max_attempts, enqueue.args,
                sha256(convert_to(args_text, 'UTF8')), enqueue.idempotency_key, enqueue.tags, enqueue.metadata,
                enqueue.partition_key, enqueue.ordering_key)
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
