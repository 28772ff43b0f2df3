-- pgjobs schema, version 20: enqueue from SQL, for triggers, psql and programs in other languages
-- (docs/sql-enqueue.md). Additive: one function, no table changes.
--
-- It takes the options of io.pgjobs.JobRequest, checks them with the same limits and the same messages
-- ("priority: 12 is out of range 0..9"), raised as SQLSTATE 22023 (invalid_parameter_value) so that a bad call
-- rolls back the caller's transaction and writes nothing. Args must be a JSON object or array of at most 1 MiB:
-- the Java client's default maxArgsBytes (a node configured higher accepts more from Java only). An idempotency
-- key that already exists returns the existing job with duplicate = true, as JobClient.enqueue does, and a job
-- due now notifies its queue's workers at commit on the channel the Java client uses ('pgjobs_' || schema).
-- run_at and delay are exclusive here (the Java builder keeps the last one set; a SQL call has no order).
--
-- search_path is the schema Flyway migrates (fixed at creation), so callers with any search_path reach pgjobs'
-- tables, and current_schema() inside is pgjobs' schema, which names the notification channel.
-- The check of JobRequest's names (kind, queue, key, tags): not blank, at most max_length characters.
create function enqueue_check_name(field text, value text, max_length int)
returns void
language plpgsql
immutable
as $$
begin
    if value is null or value ~ '^[[:space:]]*$' then
        raise exception '%: must not be blank', field using errcode = '22023';
    end if;
    if length(value) > max_length then
        raise exception '%: is % characters, over the limit of %', field, length(value), max_length
            using errcode = '22023';
    end if;
end
$$;

create function enqueue(kind text,
                        args jsonb default '{}',
                        queue text default 'default',
                        priority int default 5,
                        run_at timestamptz default null,
                        delay interval default null,
                        max_attempts int default 20,
                        idempotency_key text default null,
                        tags text[] default '{}',
                        metadata jsonb default '{}')
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

    due := coalesce(enqueue.run_at, now() + coalesce(enqueue.delay, interval '0'));
    new_state := case when due > now() then 'scheduled' else 'available' end;
    -- A key held by a row that retention deletes between the insert and the read is tried again, as in the Java
    -- client; the loop ends because each round either inserts or finds a row.
    loop
        insert into jobs as j (kind, queue, state, priority, run_at, max_attempts, args, idempotency_key, tags,
                               metadata)
        values (enqueue.kind, enqueue.queue, new_state, enqueue.priority, due, enqueue.max_attempts, enqueue.args,
                enqueue.idempotency_key, enqueue.tags, enqueue.metadata)
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

comment on function enqueue(text, jsonb, text, int, timestamptz, interval, int, text, text[], jsonb) is
    'Enqueues a job with the options and checks of the Java JobClient; returns its id and whether its '
    'idempotency key already existed. See docs/sql-enqueue.md.';
