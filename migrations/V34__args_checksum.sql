-- pgjobs schema, version 34: the SHA-256 of each job's args, stored when the job is inserted and checked by the
-- node before the handler runs (docs/guide.md, "Payload integrity"): args changed after the enqueue, by anything
-- that is not pgjobs (a hand-written UPDATE, a faulty restore or replication, a bug elsewhere), discard the job
-- with a clear error instead of running it on what nobody enqueued.
--
-- The checksum is of the args' text as jsonb prints it, which is what a node reads back and hashes: the Java
-- client's JSON is not jsonb's (key order, spacing, numbers), so it cannot be computed in Java before the insert.
-- A trigger computes it for every way a job is inserted (the Java client's routes, COPY included, which takes no
-- expressions; enqueue() from SQL; workflows, batches, cron fires; and nodes of the previous version during a
-- rolling deploy). It runs only for rows inserted without one (WHEN, evaluated before the function is called),
-- so a row copied with its checksum keeps it. jobs.args is never updated by pgjobs, so the checksum stays right
-- for a job's whole life; a job inserted before this migration has none and is not checked.
--
-- Expand-only (docs/migrations.md): a nullable column (no rewrite) and a trigger, each taking the table's lock
-- only briefly, under the lock timeout.
set local lock_timeout = '5s';

alter table jobs add column args_sha256 bytea;

create function jobs_args_sha256() returns trigger
language plpgsql
as $$
begin
    new.args_sha256 := sha256(convert_to(new.args::text, 'UTF8'));
    return new;
end
$$;

create trigger jobs_args_sha256 before insert on jobs
    for each row when (new.args_sha256 is null) execute function jobs_args_sha256();
