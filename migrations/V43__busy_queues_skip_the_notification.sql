-- pgjobs schema, version 43: an enqueue skips its notification while a node of the queue polls it on its own.
-- PostgreSQL takes one server-wide lock at a notifying transaction's commit and keeps it until the commit's WAL is
-- flushed, so notifying transactions commit one at a time, each after its own flush (docs/performance.md, "What
-- held the producers back"). A node whose fetcher of a queue keeps finding work polls that queue every few
-- milliseconds and says so here: a row per (queue, node) with the database time until which it promises to
-- poll. An enqueue sends its notification only if no row of its queue is still in its time (read with
-- clock_timestamp(): a long transaction's now() is old); the node keeps polling for a grace period past it, so a
-- transaction that commits within that grace of its enqueue is claimed by a poll (docs/architecture.md, "The
-- wake-up"). Unlogged: the rows are a few hundred milliseconds' promise, rewritten several times a second, and
-- their commits then write no WAL and wait for no flush; a crash empties the table, and every enqueue notifies
-- again, as before this version.
--
-- Expand-only (docs/migrations.md): a new table, and enqueue() (V37) replaced with the same signature, the same
-- checks and the same result; its comment and privileges stay. Nodes of V42 never write a row, so enqueues keep
-- notifying them unless a node of this version is hot on their queue.
create unlogged table busy_queues (
    queue       text        not null,
    node_id     text        not null,
    polls_until timestamptz not null,
    primary key (queue, node_id)
);

comment on table busy_queues is
    'Queues a node polls on its own every few milliseconds, until polls_until (database time): enqueues into them '
    'skip pg_notify. Written by the nodes'' fetchers; unlogged, emptied by a crash (enqueues then notify).';

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
            -- no notification while a node polls the queue on its own (see busy_queues)
            if new_state = 'available' and not exists (select 1 from busy_queues b
                                                       where b.queue = enqueue.queue
                                                         and b.polls_until > clock_timestamp()) then
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
