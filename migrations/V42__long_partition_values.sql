-- pgjobs schema, version 42: a partition value too long for an index entry names its partition by a digest
-- (docs/flow-control.md, "Long partition values").
--
-- A request's partitionKey is at most 500 characters, but a partition taken from a path of the args or metadata
-- had no bound: a value of a few thousand bytes (or a JSON object at the path) could not be written to the
-- indexes that key on a partition (jobs_flow_running, flow_running_tallies, rate_limits, partition_circuits:
-- PostgreSQL's btree takes about 2,700 bytes an entry). The flow claim of its queue then failed as a whole, every
-- time, so one such job stopped the queue for every other job; and a completion batch holding the end of a job of
-- a kind with circuits per partition failed to record any of its outcomes.
--
-- From here a value of more than 1,500 bytes (in the database's encoding, UTF-8) is the partition
-- 'sha256:' || the hex SHA-256 of its UTF-8 bytes: 71 characters, the same for equal values and different for
-- different ones. 1,500 bytes keep every index entry under the limit beside the longest kind (200 characters of up
-- to 4 bytes) or queue name, and leave every request key of characters up to 3 bytes (500 of them) as it is.
--
-- Rolling deploys: nodes of the previous release (V39) call these same functions, so from this migration's commit
-- every claim and every circuit's record computes the new partitions. A value that no index could take was never
-- stored (its claim failed), so nothing running was counted under it. But a value over 1,500 bytes could be
-- stored when it fit (up to about 2,700 bytes, or longer when PostgreSQL compressed it well): such partitions are
-- renamed here, in this transaction, so that what the claims count stays exact: the running jobs' flow_partition
-- (the UPDATE's trigger moves their count from the old name's tallies to the new one's), the rate limits' state
-- and the circuits'. A claim or a record already running when this commits finishes with the old definition;
-- what it writes under an old name (a count, a rate, a circuit) is then kept apart from the digest's until its
-- jobs end, as docs/flow-control.md says.

-- Renaming waits for the row locks of running jobs' writers (a lease renewal, a completion); with this timeout
-- the migration gives up (and is run again) rather than making them queue behind it.
set local lock_timeout = '5s';

-- The partition a value names. Its bytes are those of the database's encoding (UTF-8), read by decode(..., 'escape')
-- with every backslash doubled, which gives them as they are; convert_to(value, 'UTF8') gives the same bytes but is
-- not immutable, and a function that calls it is not inlined into the claim's query but called once a job read.
create function flow_partition_value(value text)
returns text
language sql
immutable
parallel safe
as $$
    select case when octet_length(value) <= 1500 then value
                else 'sha256:' || encode(sha256(decode(replace(value, '\', '\\'), 'escape')), 'hex') end
$$;

-- V15's flow_partition_of (same arguments: the claims and record_partition_circuit_outcomes of every release since
-- call it), bounded by flow_partition_value. It names flow_partition_value by its schema, written in here, rather
-- than by `set search_path from current`: a function with a SET clause is never inlined into the claim's query,
-- and V15's, without one, was callable from any search_path.
do $migration$
begin
    execute format($function$
        create or replace function flow_partition_of(partition_key text, args jsonb, metadata jsonb, key_source text,
                                                     key_path text[])
        returns text
        language sql
        immutable
        as $$
            select %I.flow_partition_value(coalesce(partition_key,
                                                    case key_source when 'args' then args #>> key_path
                                                                    when 'metadata' then metadata #>> key_path end,
                                                    ''))
        $$
    $function$, current_schema());
end
$migration$;

update jobs set flow_partition = flow_partition_value(flow_partition)
where state = 'running' and flow_partition is not null and octet_length(flow_partition) > 1500;

-- (a row already under the digest's name could only be a short value written as one: it is left as it is)
update rate_limits l set partition = flow_partition_value(l.partition)
where octet_length(l.partition) > 1500
  and not exists (select 1 from rate_limits d where d.queue = l.queue and d.partition = flow_partition_value(l.partition));

update partition_circuits c set partition = flow_partition_value(c.partition)
where octet_length(c.partition) > 1500
  and not exists (select 1 from partition_circuits d
                  where d.kind = c.kind and d.partition = flow_partition_value(c.partition));
